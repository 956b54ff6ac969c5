"""Which architecture parameters matter for each objective: mean decrease in impurity of a random
forest on the completed trials (Optuna's ``MeanDecreaseImpurityImportanceEvaluator``), one score per
parameter (its one-hot columns summed), normalised to sum to 1 per objective."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas.exceptions import InvalidValuesError
from predictnas.types import TrialState

if TYPE_CHECKING:
    from predictnas.study import Study


def param_importances(study: Study, *, n_trees: int = 64) -> dict[str, dict[str, float]]:
    """``{objective: {parameter: importance}}``, most important first; needs 5 complete trials.

    An inactive parameter (a layer beyond its stage's depth) is one more value of it, so depth
    shows up as the parameter that switches the others on. Deterministic: the forest's seed is the
    study's."""
    from sklearn.ensemble import RandomForestRegressor

    done = [t for t in study.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
    if len(done) < 5:
        raise InvalidValuesError(f"param_importances() needs at least 5 completed trials; the study has {len(done)}.")
    names = list(study.space.param_names)
    columns, owner = [], []
    for p in names:
        values = sorted({repr(t.arch.get(p)) for t in done})
        for v in values:
            columns.append([float(repr(t.arch.get(p)) == v) for t in done])
            owner.append(p)
    X = np.array(columns).T
    out = {}
    for o in study.objectives:
        y = np.array([t.values[o.name] for t in done])
        forest = RandomForestRegressor(n_estimators=n_trees, random_state=study.seed % (2**31), min_samples_leaf=2).fit(X, y)
        score = dict.fromkeys(names, 0.0)
        for p, s in zip(owner, forest.feature_importances_):
            score[p] += float(s)
        total = sum(score.values()) or 1.0
        out[o.name] = dict(sorted(((p, s / total) for p, s in score.items()), key=lambda kv: -kv[1]))
    return out


def plot_param_importances(study: Study, *, top: int = 12) -> Any:
    """A matplotlib ``Figure``: the ``top`` parameters' importance per objective (horizontal bars),
    like ``optuna.visualization.plot_param_importances``."""
    from predictnas.report._figures import _figure

    scores = param_importances(study)
    fig = _figure(figsize=(4.6 * len(scores), 0.3 * top + 1.4))
    for i, (objective, ranked) in enumerate(scores.items()):
        ax = fig.add_subplot(1, len(scores), i + 1)
        items = list(ranked.items())[:top][::-1]
        ax.barh([p for p, _ in items], [s for _, s in items], color="#4c72b0")
        ax.set_title(objective)
        ax.set_xlabel("importance (mean decrease in impurity)")
    fig.tight_layout()
    return fig
