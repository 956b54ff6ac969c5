"""What a report shows, computed from a study: trials with front/feasibility flags, hypervolume over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from predictnas._version import __version__
from predictnas.exceptions import ReportError
from predictnas.pareto import hypervolume, pareto_mask
from predictnas.report._device import format_device
from predictnas.report._fidelity import format_fidelity
from predictnas.report._reference import table_reference
from predictnas.report._summary import format_proposals, format_wall_time
from predictnas.study import Study, TrialState


@dataclass(frozen=True)
class TrialPoint:
    """One trial as the report shows it (``values`` empty for failed or running trials)."""

    number: int
    state: str
    values: dict[str, float]
    arch: str
    params: dict[str, Any]
    feasible: bool
    on_front: bool
    cache_of: int | None
    error: str | None
    proposed_by: str = ""  # the model of its ask step ("random", "gp", ...); "" when told by hand or not recorded


@dataclass(frozen=True)
class ReportData:
    """Everything a report renders.

    Attributes:
        header: Study name, space, objectives, budget, seed, wall time, version, path.
        objectives: ``(name, direction)`` pairs.
        trials: All trials in number order.
        hv_curve: ``(k, hv)``: hypervolume of the feasible trials among the first ``k`` trials,
            normalised with the fixed ``bounds`` (minimisation form) and reference point 1.1.
        bounds: ``(lower, upper)`` per objective in minimisation form.
        compare: Name and ``hv_curve`` of a baseline study, measured with the same bounds.
        diagnostics: The study's surrogate assessments (``study.diagnostics``), oldest first.
        metrics: Objective names, then constrained metrics (the columns of the front table).
    """

    header: dict[str, Any]
    objectives: list[tuple[str, str]]
    trials: list[TrialPoint]
    hv_curve: list[tuple[int, float]]
    bounds: tuple[list[float], list[float]]
    compare: dict[str, Any] | None = field(default=None)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)

    @property
    def front(self) -> list[TrialPoint]:
        """Pareto-optimal trials, sorted by the first objective."""
        return sorted((t for t in self.trials if t.on_front), key=lambda t: [t.values[n] for n, _ in self.objectives])


def _usable(study: Study) -> list:
    return [t for t in study.trials if t.state is TrialState.COMPLETE and study.is_feasible(t) and t.cache_of is None]


def report_data(study: Study, *, compare: Study | None = None) -> ReportData:
    """Collects the report's data; ``compare`` adds a baseline study's hypervolume curve."""
    usable = _usable(study)
    if not usable:
        raise ReportError(f"Study {study.name!r} ({study.path}) has no completed feasible trials yet; run it first "
                          "(`predictnas resume STUDY.db`).")
    names = study.metric_names
    F = study.objective_matrix(usable)
    if compare is not None:
        other = [(o.name, o.direction) for o in compare.objectives]
        if other != [(o.name, o.direction) for o in study.objectives]:
            raise ReportError(f"Cannot compare: {study.name!r} optimises {[(o.name, o.direction) for o in study.objectives]} "
                              f"but {compare.name!r} optimises {other}.")
        if _usable(compare):
            F = np.vstack([F, compare.objective_matrix(_usable(compare))])
    lower, upper = F.min(axis=0), F.max(axis=0)
    front_numbers = {t.number for t in study.pareto_front()}
    by_step = {p["step"]: _model_name(p.get("model")) for p in study.proposals}
    trials = [
        TrialPoint(
            number=t.number, state=t.state.value, values={n: t.values[n] for n in names if n in t.values},
            arch=study.space.to_string(t.arch), params=dict(t.arch),
            feasible=t.state is TrialState.COMPLETE and study.is_feasible(t), on_front=t.number in front_numbers,
            cache_of=t.cache_of, error=t.error, proposed_by=by_step.get(t.step, ""),
        )
        for t in study.trials
    ]
    header = {
        "study": study.name, "space": study.space.name,
        "objectives": ", ".join(f"{o.name} ({o.direction})" for o in study.objectives),
        "constraints": ", ".join(map(str, study.constraints)) or "-",
        "trials": f"{len(study.trials)} of budget {study.budget or '-'}",
        "complete / failed": f"{sum(t.state is TrialState.COMPLETE for t in study.trials)} / "
                             f"{sum(t.state is TrialState.FAILED for t in study.trials)}",
        **({"early stopping": format_fidelity(study)} if any(t.state is TrialState.STOPPED for t in study.trials) else {}),
        "seed": study.seed, "proposer": study.definition.get("proposer", {}).get("name", "-"),
        "wall time": format_wall_time(study),
        "predictnas": __version__, "study file": str(study.path),
    }
    if study.proposals:
        header["proposer steps"] = format_proposals(study.proposals)
    device = format_device(study)
    if device is not None:
        header["on the device"] = device
    reference = table_reference(study)
    if reference is not None:
        header["vs table"] = reference.describe()
    data_compare = None
    if compare is not None:
        data_compare = {"name": compare.name, "path": str(compare.path), "hv_curve": hv_curve(compare, lower, upper)}
    return ReportData(header, [(o.name, o.direction) for o in study.objectives], trials,
                      hv_curve(study, lower, upper), (lower.tolist(), upper.tolist()), data_compare, list(study.diagnostics),
                      names)


def hv_curve(study: Study, lower: Sequence[float], upper: Sequence[float]) -> list[tuple[int, float]]:
    """``(k, hv)`` for k = 1..n trials (number order); recomputed only when a trial joins the front."""
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    curve: list[tuple[int, float]] = []
    front = np.empty((0, len(study.objectives)))
    value = 0.0
    for k, t in enumerate(study.trials, start=1):
        if t.state is TrialState.COMPLETE and study.is_feasible(t) and t.cache_of is None:
            f = study.objective_matrix([t])
            if not np.any(np.all(front <= f, axis=1)):  # not weakly dominated: the front changes
                front = np.vstack([front, f])
                front = front[pareto_mask(front)]
                value = hypervolume(front, lower=lo, upper=hi)
        curve.append((k, value))
    return curve


def _model_name(model: object) -> str:
    """``"random"`` for any random proposal (initial design, fallbacks), else the model's name."""
    text = str(model or "")
    return "random" if text.startswith("random") else text.split(" ")[0]
