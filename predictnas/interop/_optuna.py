"""Optuna studies in and out: every trial with its parameters (as Optuna categorical
distributions over the space's choices), values, state, intermediate values and attributes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from predictnas.exceptions import InvalidSpecError, InvalidValuesError, OptionalDependencyError
from predictnas.spaces import SearchSpace, load_space
from predictnas.study import Study, TrialState, create_study, jsonable


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise OptionalDependencyError("Optuna interop needs optuna: pip install 'optuna>=5,<6'.") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def to_optuna(study: Study, storage: str, *, study_name: str | None = None) -> Any:
    """Writes ``study``'s trials into a new Optuna study in ``storage`` (e.g. ``"sqlite:///x.db"``)
    and returns it. Objectives become Optuna's directions and metric names; complete trials
    ``COMPLETE``, failed ``FAIL``, stopped early ``PRUNED`` (with their reports as intermediate
    values of the first objective), running ones are left out. Parameters are categorical over the
    space's choices; cheap statistics, user attributes, ``fidelity`` and the canonical ``key`` go
    to user attributes. An existing Optuna study of that name is never touched (an error)."""
    optuna = _optuna()
    name = study_name or study.name
    try:
        target = optuna.create_study(storage=storage, study_name=name, directions=[o.direction for o in study.objectives])
    except optuna.exceptions.DuplicatedStudyError:
        raise InvalidValuesError(f"Optuna storage {storage!r} already has a study {name!r}; pick another study_name.") from None
    with warnings.catch_warnings():  # experimental since Optuna 3.2, stable in use; optuna-dashboard shows the names
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        target.set_metric_names([o.name for o in study.objectives])
    states = {TrialState.COMPLETE: optuna.trial.TrialState.COMPLETE, TrialState.FAILED: optuna.trial.TrialState.FAIL,
              TrialState.STOPPED: optuna.trial.TrialState.PRUNED}
    first = study.objectives[0].name
    trials = []
    for t in study.trials:
        if t.state not in states:
            continue
        distributions = {p: optuna.distributions.CategoricalDistribution(study.space.param(p).choices) for p in t.arch}
        complete = t.state is TrialState.COMPLETE
        trials.append(optuna.trial.create_trial(
            state=states[t.state], params=dict(t.arch), distributions=distributions,
            values=[t.values[o.name] for o in study.objectives] if complete else None,
            intermediate_values={step: v[first] for step, v in t.intermediate.items() if first in v} or None,
            user_attrs={"predictnas_number": t.number, "key": t.key, "cheap": dict(t.cheap), **jsonable(dict(t.user_attrs)),
                        **({"fidelity": t.fidelity} if t.fidelity else {}), **({"error": t.error} if t.error else {}),
                        **({"metrics": dict(t.values)} if t.values else {})}))
    target.add_trials(trials)
    return target


def from_optuna(source: Any, space: SearchSpace | str, storage: str | Path, *,
                objectives: Sequence[str] | Mapping[str, str] | None = None, name: str | None = None) -> Study:
    """A new predictnas study file at ``storage`` holding the complete trials of an Optuna study
    (an ``optuna.Study``, or ``(storage_url, study_name)``) whose parameters are the space's
    (values coerced to its choices), e.g. to pass as ``warm_start=[storage]`` to a new search.

    ``objectives``: the names of the Optuna study's values, in order (default: its metric names, or
    ``value_0, value_1, ...``); directions are Optuna's. A trial whose parameters are not an
    architecture of the space is one error naming the trial and the parameter (and no file is
    left); failed, pruned and running trials are left out."""
    optuna = _optuna()
    if isinstance(source, tuple):
        url, study_name = source
        source = optuna.load_study(study_name=study_name, storage=url)
    space = load_space(space) if isinstance(space, str) else space
    directions = ["maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize" for d in source.directions]
    names = list(objectives) if objectives is not None else (source.metric_names or [f"value_{i}" for i in range(len(directions))])
    if len(names) != len(directions):
        raise InvalidSpecError(f"objectives {names!r}: the Optuna study has {len(directions)} value(s); name each once.")
    archs, values = [], []
    for t in source.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE]):
        unknown = sorted(set(t.params) - set(space.param_names))
        if unknown:
            raise InvalidSpecError(f"Optuna trial {t.number}: parameter(s) {unknown} are not in space {space.name!r} "
                                   f"(its parameters: {list(space.param_names)}).")
        try:
            archs.append(space.make_arch(t.params))
        except Exception as exc:
            raise InvalidSpecError(f"Optuna trial {t.number}: {exc}") from None
        if t.values is None or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in t.values):
            raise InvalidValuesError(f"Optuna trial {t.number}: values {t.values!r} are not finite numbers.")
        values.append(dict(zip(names, map(float, t.values))))
    study = create_study(space=space, objectives=dict(zip(names, directions)), storage=storage,
                         name=name or f"optuna:{source.study_name}", proposer="random")
    for trial, metrics in zip(study.ask(archs=archs) if archs else [], values):
        if trial.state is TrialState.RUNNING:
            study.tell(trial, metrics)
    return study

