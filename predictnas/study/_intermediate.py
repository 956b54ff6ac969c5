"""How a running trial ends other than by ``tell``: its intermediate results (``Study.report``),
early stopping (``should_stop``, ``stop``) and failure with a retry (``fail``): the events they
write and the decisions they read, as pure functions of the study state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from predictnas.exceptions import InvalidValuesError
from predictnas.spaces import Arch, SearchSpace
from predictnas.study._events import EventKind, StudyState
from predictnas.types import FrozenTrial, Objective, TrialState, as_real

logger = logging.getLogger("predictnas.study")


def running(state: StudyState, trial: FrozenTrial | int, what: str) -> FrozenTrial:
    """The running trial ``trial`` names, or ``InvalidValuesError`` saying why not."""
    number = trial.number if isinstance(trial, FrozenTrial) else trial
    known = state.trials.get(number) if isinstance(number, int) and not isinstance(number, bool) else None
    if known is None:
        raise InvalidValuesError(f"{what}: trial {number!r} does not exist.")
    if known.state is not TrialState.RUNNING:
        raise InvalidValuesError(f"{what}: trial {number} is already {known.state.value}; only a running trial can.")
    return known


def report_events(state: StudyState, trial: FrozenTrial | int, step: int, values: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """The ``report`` event of ``values`` at ``step`` (none when the step is recorded already: a
    re-run of an interrupted trial reports again, and the first report stands)."""
    known = running(state, trial, "report()")
    if not isinstance(step, int) or isinstance(step, bool) or step < 1:
        raise InvalidValuesError(f"report(): step must be an integer >= 1 (e.g. the epoch); got {step!r}.")
    numbers = {str(k): as_real(v) for k, v in values.items()} if isinstance(values, Mapping) else {}
    bad = {k: values[k] for k, v in numbers.items() if v is None}
    if not numbers or bad:
        raise InvalidValuesError(f"report(): values must be a non-empty mapping of finite numbers; got {values!r}.")
    if step in known.intermediate:
        if known.intermediate[step] != numbers:
            logger.warning("trial %d reported step %d again with other values; the first report stands", known.number, step)
        return []
    return [(EventKind.REPORT.value, {"number": known.number, "step": step, "values": numbers})]


def peers_at(state: StudyState, trial: FrozenTrial, step: int) -> list[dict[str, float]]:
    """What the other trials reported at ``step`` before ``trial`` did (the study file's order)."""
    mine = state.report_seq[(trial.number, step)]
    return [t.intermediate[step] for t in state.trials.values()
            if t.number != trial.number and step in t.intermediate and state.report_seq[(t.number, step)] < mine]


def decide(state: StudyState, stopper: Any, trial: FrozenTrial | int, objectives: Sequence[Objective],
           encode: Callable[[Sequence[Arch]], np.ndarray] | None = None) -> bool:
    """Whether the stopper stops ``trial`` after its last report (``False`` before any report and
    for a verification trial, see :mod:`predictnas.study._verify`). ``encode`` (architectures ->
    ``(n, d)`` features) serves a stopper that ``uses_features``."""
    known = running(state, trial, "should_stop()")
    if not known.intermediate or "verifies" in known.user_attrs:  # a verification runs to the end
        return False
    step = max(known.intermediate)
    extra: dict[str, Any] = {}
    if getattr(type(stopper), "uses_curves", False):
        done = complete_before(state, known, step)
        extra["curves"] = [(t.intermediate[step], dict(t.values)) for t in done]
        if getattr(type(stopper), "uses_features", False) and encode is not None:
            X = encode([known.arch] + [t.arch for t in done])
            extra["features"], extra["curve_features"] = X[0], X[1:]
    return bool(stopper.should_stop(step, known.intermediate[step], peers_at(state, known, step), objectives, **extra))


def tabular_features(space: SearchSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``(n, d)`` tabular features of ``archs`` (a feature-aware stopper's input)."""
    from predictnas.encoders import ArchFeatures

    return ArchFeatures("tabular").fit(space).transform(archs)


def complete_before(state: StudyState, trial: FrozenTrial, step: int) -> list[FrozenTrial]:
    """The complete trials that reported ``step`` and were told before ``trial`` reported it (the
    study file's order: a resumed study sees what the uninterrupted one saw)."""
    mine = state.report_seq[(trial.number, step)]
    return [t for t in state.trials.values()
            if t.state is TrialState.COMPLETE and step in t.intermediate and state.tell_seq.get(t.number, mine) < mine]


def stop_events(state: StudyState, trial: FrozenTrial | int, user_attrs: Mapping[str, Any] | None = None) -> list[tuple[str, dict]]:
    """The ``tell`` event that ends ``trial`` as stopped, with its last reported values and step."""
    known = running(state, trial, "stop()")
    if not known.intermediate:
        raise InvalidValuesError(f"stop(): trial {known.number} has reported nothing; report() its values first, or tell "
                                 "it failed.")
    step = max(known.intermediate)
    payload: dict[str, Any] = {"number": known.number, "state": TrialState.STOPPED.value,
                               "values": dict(known.intermediate[step]), "fidelity": step}
    if user_attrs:
        payload["user_attrs"] = dict(user_attrs)
    return [(EventKind.TELL.value, payload)]


def fail_events(state: StudyState, trial: FrozenTrial, error: str, *, duration_s: float | None,
                retry: bool) -> list[tuple[str, dict]]:
    """``trial`` failed and, with ``retry``, a new trial of its architecture (``retry_of``), in one write."""
    events: list[tuple[str, dict]] = [(EventKind.TELL.value, {
        "number": trial.number, "state": "failed", "error": str(error),
        **({"duration_s": float(duration_s)} if duration_s is not None else {})})]
    if retry:
        number = state.next_number
        events += [(EventKind.ASK.value, {"step": state.step,
                                          "trials": [{"number": number, "params": trial.arch.to_dict(), "key": trial.key}]}),
                   (EventKind.ATTR.value, {"number": number, "key": "retry_of", "value": trial.number})]
    return events
