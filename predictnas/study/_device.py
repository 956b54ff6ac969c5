"""A constrained front checked on the device: the members of the front are measured (e.g. their
latency on the target device) before it is reported, and a measured value overrides the
predicted one the trial was told with."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from predictnas.exceptions import InvalidValuesError
from predictnas.types import FrozenTrial, as_real

if TYPE_CHECKING:
    from predictnas.study._study import Study

MEASURED = "measured"  # user_attrs key: {metric: measured value, ...}


def measured_value(trial: FrozenTrial, metric: str) -> float:
    """``metric`` of ``trial``: its measured value (``user_attrs["measured"]``) when one was
    recorded, else the told one. A measured entry that is not a finite number is ignored."""
    measured = trial.user_attrs.get(MEASURED)
    value = as_real(measured.get(metric)) if isinstance(measured, dict) else None
    return trial.values[metric] if value is None else value


def measure_front(study: Study, measure: Callable[[Any], float], metric: str = "latency", *,
                  max_measurements: int | None = None) -> list[FrozenTrial]:
    """Measures ``metric`` of the front's members with ``measure(arch) -> value`` until every
    member of the (constrained) front has a measured value, or ``max_measurements`` were taken.

    A member whose measured value breaks a constraint leaves the front, and whatever it dominated
    may enter: those are measured in turn. Each measurement is one ``attr`` event
    (``user_attrs["measured"] = {metric: value, "predicted_" + metric: told value}``), so a killed
    check resumes with what it measured. Returns the trials measured now, in order.
    """
    if metric not in study.metric_names:
        raise InvalidValuesError(f"measure_front(): {metric!r} is not a metric of this study ({', '.join(study.metric_names)}).")
    done: list[FrozenTrial] = []
    while max_measurements is None or len(done) < max_measurements:
        todo = [t for t in study.pareto_front() if metric not in (t.user_attrs.get(MEASURED) or {})]
        if not todo:
            break
        trial = todo[0]
        raw = measure(trial.arch)
        value = as_real(raw)
        if value is None:
            raise InvalidValuesError(f"measure_front(): the measurement of trial {trial.number} is {raw!r}, not a finite "
                                     "number; nothing was stored for it.")
        previous = trial.user_attrs.get(MEASURED)
        record = {**(previous if isinstance(previous, dict) else {}), metric: value, f"predicted_{metric}": trial.values[metric]}
        study.set_user_attr(trial, MEASURED, record)
        done.append(study.get_trial(trial.number))
    return done
