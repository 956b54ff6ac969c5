"""A search benchmark problem: a fully known table, objectives, cheap columns and constraints."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from predictnas.evaluators._table import TableEvaluator
from predictnas.exceptions import InvalidSpecError, PredictNASError
from predictnas.pareto import hypervolume, pareto_mask, to_minimization
from predictnas.spaces import Arch, SearchSpace
from predictnas.types import Objective, OutcomeConstraint

_OBJECTIVE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(max|min)$")


@dataclass
class SearchProblem:
    """A table whose every row is known, so a search can be scored exactly.

    Conventions (as in the issue's protocol): objectives are min-max normalised over the whole
    table in minimisation form, the reference point is 1.1 per objective, and the true front is
    the Pareto front of the feasible rows.

    Attributes:
        space: The search space.
        table: The ``TableEvaluator`` over the CSV.
        objectives: ``(column, "maximize"|"minimize")`` pairs.
        cheap: Columns that are known before evaluation (only for methods that use them).
        constraints: Outcome constraints on table columns.
        failures: ``(n_rows,)`` bool, rows whose evaluation fails (failure injection), or ``None``.
            Failing rows stay in the true front: the HV ratio says what a method reached of it.
    """

    space: SearchSpace
    table: TableEvaluator
    objectives: list[tuple[str, str]]
    cheap: list[str] = field(default_factory=list)
    constraints: list[OutcomeConstraint] = field(default_factory=list)
    failures: np.ndarray | None = None
    features: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, space: SearchSpace, table: str | Path, objectives: list[str], cheap: list[str],
                  constraints: list[str], failures: str | None = None, features: list[str] | None = None) -> SearchProblem:
        """Parses ``COL:max`` / ``COL:min`` objectives, ``COL<=V`` constraints, a failure
        injection (see :func:`failing_rows`) and ``features``: columns known before evaluation
        that are neither objectives nor constrained (e.g. a zero-cost proxy), given to
        predictnas methods as cheap statistics (use them with ``predictnas{features=COL}``)."""
        parsed = []
        for text in objectives:
            match = _OBJECTIVE.match(text)
            if match is None:
                raise InvalidSpecError(f"--objective {text!r} must look like COLUMN:max or COLUMN:min.")
            parsed.append((match.group(1), "maximize" if match.group(2) == "max" else "minimize"))
        if not parsed:
            raise InvalidSpecError("give at least one --objective COLUMN:max|min.")
        cons = [OutcomeConstraint.parse(c) for c in constraints]
        names = {c for c, _ in parsed}
        unknown = [c for c in cheap if c not in names and c not in {k.metric for k in cons}]
        if unknown:
            raise InvalidSpecError(f"--cheap {unknown}: not an objective or constrained column.")
        features = list(features or [])
        clash = [c for c in features if c in names or c in {k.metric for k in cons}]
        if clash:
            raise InvalidSpecError(f"--feature {clash}: an objective or constrained column; declare it --cheap instead.")
        metrics = {c: c for c in [*names, *(k.metric for k in cons)]}
        evaluator = TableEvaluator(table, space, metrics, cheap=[*cheap, *features])
        return cls(space, evaluator, parsed, list(cheap), cons, failing_rows(evaluator, failures) if failures else None,
                   features)

    def cheap_statistics(self, arch: Arch, *, use_cheap: bool) -> dict[str, float]:
        """What a predictnas method may know of ``arch`` before evaluating it: the ``features``
        columns, and with ``use_cheap`` the ``cheap`` ones too."""
        allowed = set(self.features) | (set(self.cheap) if use_cheap else set())
        return {k: v for k, v in self.table.cheap_statistics(arch).items() if k in allowed}

    def __post_init__(self) -> None:
        rows = self.table.rows
        columns = [c for c, _ in self.objectives]
        values = np.array([[_number(r[c]) for c in columns] for r in rows])
        self.F = to_minimization(values, [d for _, d in self.objectives])  # (n_rows, m)
        violation = np.zeros(len(rows))
        for c in self.constraints:
            col = np.array([_number(r[c.metric]) for r in rows])
            violation += np.array([c.violation(v) for v in col])
        self.feasible = np.isfinite(self.F).all(axis=1) & (violation == 0)
        if not self.feasible.any():
            raise InvalidSpecError("No row of the table satisfies the constraints and has all objective values.")
        finite = np.isfinite(self.F).all(axis=1)
        self.lower, self.upper = self.F[finite].min(axis=0), self.F[finite].max(axis=0)
        rows_ok = np.flatnonzero(self.feasible)
        self.front_rows = rows_ok[pareto_mask(self.F[rows_ok])]
        self.true_hv = hypervolume(self.F[self.front_rows], lower=self.lower, upper=self.upper)
        self.optimum = float(self.F[self.feasible, 0].min()) if len(self.objectives) == 1 else None

    def study_objectives(self, *, use_cheap: bool) -> list[Objective]:
        return [Objective(c, d, use_cheap and c in self.cheap) for c, d in self.objectives]

    def hv_ratio(self, rows: list[int]) -> float:
        """Hypervolume of the feasible evaluated ``rows`` over that of the true front."""
        found = [r for r in set(rows) if r >= 0 and self.feasible[r]]
        if not found or not self.true_hv > 0:
            return 0.0
        return hypervolume(self.F[found], lower=self.lower, upper=self.upper) / self.true_hv

    def front_recall(self, rows: list[int]) -> float:
        return len(set(self.front_rows.tolist()) & set(rows)) / len(self.front_rows)

    def fails(self, row: int) -> bool:
        """Whether evaluating ``row`` fails (failure injection)."""
        return self.failures is not None and bool(self.failures[row])

    def working_rows_cap(self) -> float | None:
        """The HV ratio of every row whose evaluation does not fail (``None`` without failure
        injection): the most any method can reach when the failing rows hold part of the front."""
        if self.failures is None:
            return None
        return self.hv_ratio(np.flatnonzero(~self.failures).tolist())

    def one_per_class_cap(self) -> float | None:
        """The HV ratio of every row that represents its canonical class in a predictnas pool
        (one evaluation per functionally distinct architecture): the most a search that never
        re-evaluates an equivalent architecture can reach. ``None`` when the space is too large
        to enumerate. Equivalent rows of a table can differ (training noise, dead ops that still
        cost latency), so this can be below 1."""
        unique = self.space.enumerate_unique(240_000)
        if unique is None:
            return None
        rows = []
        for _, arch in unique:
            try:
                rows.append(self.table.row_index(arch))
            except PredictNASError:
                continue
        return self.hv_ratio(rows)


_FAILURES = re.compile(r"^(?:random:(?P<rate>[0-9.]+)(?::(?P<seed>\d+))?|op:(?P<op>[A-Za-z0-9_]+)>=(?P<k>\d+))$")


def failing_rows(table: TableEvaluator, spec: str) -> np.ndarray:
    """``(n_rows,)`` bool from a failure-injection spec:

    - ``random:RATE[:SEED]``: a fixed, seeded fraction of the rows (e.g. ``random:0.25``);
    - ``op:NAME>=K``: every row whose architecture uses op ``NAME`` on ``K`` or more edges, dead
      edges included (like a memory limit: e.g. ``op:nor_conv_3x3>=2``).
    """
    match = _FAILURES.match(spec.strip())
    if match is None:
        raise InvalidSpecError(f"--failures {spec!r} must look like random:0.25[:SEED] or op:nor_conv_3x3>=2.")
    n = len(table.rows)
    if match.group("rate") is not None:
        rate = float(match.group("rate"))
        if not 0 <= rate < 1:
            raise InvalidSpecError(f"--failures {spec!r}: the rate must be in [0, 1).")
        rng = np.random.default_rng([int(match.group("seed") or 0), 0xFA11])
        return rng.random(n) < rate
    op, k = match.group("op"), int(match.group("k"))
    return np.array([sum(v == op for v in arch.values()) >= k for arch in table.archs])


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")
