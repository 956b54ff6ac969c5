"""In-loop surrogate diagnostics: cross-validated predictor quality, stored in the study file."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas._determinism import pinned_step
from predictnas.exceptions import InvalidValuesError
from predictnas.types import TrialState

if TYPE_CHECKING:
    from predictnas.study._study import Study


def search_model(study: Study) -> tuple[str, str]:
    """``(surrogate, encoding)`` of the model that drives the study's search: the default
    proposer's own settings, else the study's ``surrogate`` setting, else the GP on tabular
    features."""
    settings = study.definition.get("surrogate") or {}
    spec = study.proposer.model_spec() or {}
    name = spec.get("surrogate") or settings.get("name", "gp")
    encoding = spec.get("encoding") or settings.get("encoding", "tabular")
    return str(name), str(encoding)


def assess_surrogate(study: Study, surrogate: str | None = None, encoding: str | None = None, *,
                     folds: int = 5) -> dict[str, Any]:
    """Cross-validates a surrogate on the completed trials; returns the ``diagnostics`` payload
    (:meth:`Study.assess_surrogate` stores it; ``study.diagnostics`` lists them, reports plot them).

    Features: the ``encoding`` of each architecture plus the cheap statistics every completed
    trial has. Only objectives not declared cheap are modelled.

    Args:
        surrogate: ``"gp"``, ``"xgboost"`` or ``"xgboost-quantile"`` (default: the model that
            drives the search, :func:`search_model`).
        encoding: ``"tabular"``, ``"onehot"``, ``"path"``, ``"graph"`` or ``"sequence"`` (default:
            the search's).

    Returns:
        ``{"n_complete", "surrogate", "encoding", "features", "objectives": {name: {"spearman",
        "kendall", "coverage"}}}`` (coverage of 90 % intervals).
    """
    from predictnas.encoders import ArchFeatures
    from predictnas.surrogates import cross_validate, make_surrogate

    default_name, default_encoding = search_model(study)
    name, encoding = surrogate or default_name, encoding or default_encoding
    done = [t for t in study.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
    if len(done) < max(folds, 5):
        raise InvalidValuesError(f"assess_surrogate() needs at least {max(folds, 5)} completed trials; the study has {len(done)}.")
    modelled = [o.name for o in study.objectives if not o.cheap]
    cheap = sorted(set.intersection(*(set(t.cheap) for t in done))) if done else []
    stats = {k: [t.cheap[k] for t in done] for k in cheap}
    features = ArchFeatures(encoding, cheap=cheap).fit(study.space, cheap=stats)
    X = features.transform([t.arch for t in done], stats)
    Y = np.array([[t.values[m] for m in modelled] for t in done], dtype=np.float64)
    rng = np.random.default_rng([study.seed, study.step, 0xD1A6])
    started = time.perf_counter()
    with pinned_step(rng):
        quality = cross_validate(lambda: make_surrogate(name, cat_dims=features.cat_dims_), X, Y, names=modelled, folds=folds, rng=rng)
    payload = {"n_complete": len(done), "surrogate": name, "encoding": encoding, "features": cheap,
               "seconds": round(time.perf_counter() - started, 3),
               "objectives": {k: {m: (v if np.isfinite(v) else None) for m, v in q.items()} for k, q in quality.items()}}
    return payload


AUTO_EVERY = 25  # completed trials between automatic assessments
AUTO_SHARE = 0.1  # an automatic assessment costs at most this share of the evaluation time since the last one
FIRST_COST_S = 4.0  # seconds per completed trial a first assessment is assumed to cost (a GP's 5-fold CV with calibration)


def assess_if_due(study: Study) -> None:
    """Assesses the surrogate when due. ``surrogate.assess_every = k``: each time ``k`` more trials
    completed (from 10 on); ``0``: never. Unset: automatically where it is cheap, i.e. every
    ``AUTO_EVERY`` completed trials when their evaluations took at least ten times what an assessment
    is expected to cost (the last one's seconds per trial, scaled to the trials now; ``FIRST_COST_S``
    per trial before the first): real training runs get it, a table or a quick function never does."""
    every = (study.definition.get("surrogate") or {}).get("assess_every")
    done = [t for t in study.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
    last = study.diagnostics[-1] if study.diagnostics else None
    since = int(last["n_complete"]) if last else 0
    if every:
        if len(done) >= max(10, since + every):
            study.assess_surrogate()
    elif every is None and len(done) >= since + AUTO_EVERY:
        spent = sum(t.duration_s or 0.0 for t in done[since:])
        per_trial = float(last["seconds"]) / max(since, 1) if last and "seconds" in last else FIRST_COST_S
        if spent * AUTO_SHARE >= per_trial * len(done):
            study.assess_surrogate()
