"""Value types shared by studies, proposers and benchmarks: objectives, outcome constraints,
trial states and frozen trials. Importing this module does not import the study code."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import Arch

Direction = Literal["minimize", "maximize"]


@dataclass(frozen=True)
class Objective:
    """An objective: a metric name and a direction. ``cheap`` marks a metric known before evaluation."""

    name: str
    direction: Direction
    cheap: bool = False

    def __post_init__(self) -> None:
        if self.direction not in ("minimize", "maximize"):
            raise InvalidSpecError(
                f"Objective {self.name!r} has direction {self.direction!r}; use \"minimize\" or \"maximize\"."
            )


_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class OutcomeConstraint:
    """An outcome constraint such as ``latency <= 5``: ``metric`` must stay on the right side of ``bound``."""

    metric: str
    op: Literal["<=", ">="]
    bound: float

    @classmethod
    def parse(cls, text: str) -> OutcomeConstraint:
        match = _CONSTRAINT.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidSpecError(f"Constraint {text!r} must look like \"metric <= 5\" or \"metric >= 0.9\".")
        try:
            bound = float(match.group(3))
        except ValueError:
            raise InvalidSpecError(f"Constraint {text!r}: {match.group(3)!r} is not a number.") from None
        return cls(match.group(1), match.group(2), bound)  # type: ignore[arg-type]

    def violation(self, value: float) -> float:
        """How far ``value`` is on the wrong side (0 when satisfied)."""
        return max(0.0, value - self.bound) if self.op == "<=" else max(0.0, self.bound - value)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


class TrialState(str, enum.Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    STOPPED = "stopped"  # ended early (a stopping rule): its values are at a lower fidelity


@dataclass(frozen=True)
class FrozenTrial:
    """A snapshot of one trial.

    Attributes:
        number: 0-based trial number in the study.
        arch: The architecture.
        key: Its canonical key.
        state: running / complete / failed / stopped.
        values: Objective and constraint metric values (complete trials; a stopped trial: its last
            reported values, at step ``fidelity``).
        step: The ask step that proposed it.
        cheap: Cheap statistics (FLOPs, params, proxies ...) recorded with it.
        user_attrs: Free-form attributes.
        error: Why it failed (failed trials).
        cache_of: Number of the earlier trial whose result it reused (deduplication), else ``None``.
        duration_s: Evaluation wall time.
        intermediate: Step (e.g. epoch) -> values reported while it ran (``Study.report``).
        fidelity: The step its ``values`` were measured at when it was stopped early, else ``None``
            (the target fidelity).
    """

    number: int
    arch: Arch
    key: str
    state: TrialState
    step: int
    values: dict[str, float] = field(default_factory=dict)
    cheap: dict[str, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    cache_of: int | None = None
    duration_s: float | None = None
    intermediate: dict[int, dict[str, float]] = field(default_factory=dict)
    fidelity: int | None = None


def as_real(value: object) -> float | None:
    """``float(value)`` when ``value`` is one finite real number of any type (``int``, ``float``, a
    numpy scalar, a 0-d array or tensor), else ``None``. Booleans, strings and containers are not
    numbers here."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or getattr(value, "ndim", 0) != 0:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        return None
    return number if math.isfinite(number) else None


def objective_matrix(trials: Sequence[FrozenTrial], objectives: Sequence[Objective]) -> np.ndarray:
    """``(n, m)`` objective values of complete ``trials`` in minimisation form."""
    from predictnas.pareto import to_minimization

    Y = np.array([[t.values[o.name] for o in objectives] for t in trials], dtype=np.float64)
    return to_minimization(Y.reshape(len(trials), len(objectives)), [o.direction for o in objectives])


@dataclass(frozen=True)
class PriorStudy:
    """Observations of an earlier study on the same space, to warm-start a new one.

    Attributes:
        name: Where they came from (the earlier study's name and file).
        archs: ``(n,)`` the earlier study's completed architectures.
        values: New objective name -> ``(n,)`` values of the earlier metric mapped onto it, in
            that metric's units (its direction is assumed to be the new objective's).
    """

    name: str
    archs: tuple[Arch, ...]
    values: dict[str, np.ndarray]
