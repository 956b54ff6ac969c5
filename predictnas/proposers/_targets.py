"""Which metrics of a proposal context are known exactly (cheap) and which must be modelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._base import ProposalContext
from predictnas.spaces import Arch
from predictnas.pareto import to_minimization
from predictnas.types import FrozenTrial, Objective


@dataclass(frozen=True)
class Targets:
    """Splits objectives and constraints into exactly known (``ctx.cheap``) and modelled ones.

    An objective is exact when it is declared ``cheap`` and ``ctx.cheap`` gives its value; a
    constraint is exact when ``ctx.cheap`` gives its metric. Model outputs are the modelled
    objectives in maximisation form, then the modelled constraint metrics as they are.

    Attributes:
        exact: Indices of exactly known objectives.
        modelled: Indices of modelled objectives (every objective when all would be exact).
        exact_constraints: Indices of constraints on exactly known metrics.
        modelled_constraints: Indices of constraints on modelled metrics.
        features: Names of cheap statistics that are model inputs only (e.g. a zero-cost proxy).
    """

    ctx: ProposalContext
    exact: tuple[int, ...]
    modelled: tuple[int, ...]
    exact_constraints: tuple[int, ...]
    modelled_constraints: tuple[int, ...]
    features: tuple[str, ...] = ()

    @classmethod
    def of(cls, ctx: ProposalContext, features: Sequence[str] = ()) -> Targets:
        """Raises ``InvalidSpecError`` when a requested feature is not a cheap statistic of ``ctx``."""
        known: set[str] = set()
        observed = ctx.complete or ctx.stopped
        if ctx.cheap is not None and observed:
            probe = ctx.cheap([observed[0].arch])
            known = {k for k, v in probe.items() if np.isfinite(np.asarray(v, dtype=float)).all()}
        missing = [f for f in features if f not in known]
        if missing:
            raise InvalidSpecError(
                f"features={list(features)}: the study's cheap statistics give no {missing} "
                f"(they give {sorted(known) or 'nothing'}); give the evaluator those statistics (e.g. "
                "TableEvaluator(..., cheap=[...]), SupernetEvaluator(..., proxies=[...]) or a supernet definition's "
                "options = {proxies = [...]}, or study.cheap_function), or drop them from features.")
        exact = tuple(i for i, o in enumerate(ctx.objectives) if o.cheap and o.name in known)
        if len(exact) == len(ctx.objectives):
            exact = ()
        modelled = tuple(i for i in range(len(ctx.objectives)) if i not in exact)
        cons = ctx.constraints
        return cls(ctx, exact, modelled, tuple(i for i, c in enumerate(cons) if c.metric in known),
                   tuple(i for i, c in enumerate(cons) if c.metric not in known), tuple(features))

    @property
    def modelled_metrics(self) -> list[str]:
        """Names of the model outputs, in order."""
        return ([self.ctx.objectives[i].name for i in self.modelled]
                + [self.ctx.constraints[j].metric for j in self.modelled_constraints])

    @property
    def n_outputs(self) -> int:
        return len(self.modelled) + len(self.modelled_constraints)

    def model_targets(self, trials: Sequence[FrozenTrial]) -> np.ndarray:
        """``(n, n_outputs)``: modelled objectives (maximisation form), then constrained metrics."""
        objs = [self.ctx.objectives[i] for i in self.modelled]
        F = _maximization(np.array([[t.values[o.name] for o in objs] for t in trials], dtype=np.float64), objs)
        C = np.array([[t.values[self.ctx.constraints[j].metric] for j in self.modelled_constraints] for t in trials],
                     dtype=np.float64)
        return np.concatenate([F.reshape(len(trials), -1), C.reshape(len(trials), -1)], axis=1)

    def exact_values(self, archs: Sequence[Arch], stats: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(F, violation)``: exact objectives ``(n, len(exact))`` in maximisation form (NaN if
        unknown) and the summed violation ``(n,)`` of exact constraints (NaN if unknown).
        ``stats``: ``ctx.cheap(archs)`` when the caller has it already."""
        n = len(archs)
        if not self.exact and not self.exact_constraints:
            return np.zeros((n, 0)), np.zeros(n)
        stats = self.lookup(archs) if stats is None else stats
        objs = self.ctx.objectives
        F = _maximization(np.stack([np.asarray(stats[objs[i].name], dtype=float) for i in self.exact], axis=1),
                          [objs[i] for i in self.exact]) if self.exact else np.zeros((n, 0))
        violation = np.zeros(n)
        for j in self.exact_constraints:
            c = self.ctx.constraints[j]
            values = np.asarray(stats[c.metric], dtype=float)
            violation = violation + (np.maximum(values - c.bound, 0) if c.op == "<=" else np.maximum(c.bound - values, 0))
        return F, violation

    def lookup(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        """``ctx.cheap(archs)``: ``{name: (n,) values}``."""
        assert self.ctx.cheap is not None
        return self.ctx.cheap(archs)

    def constraint_specs(self) -> list[tuple[int, float, float]]:
        """Modelled constraints as ``(model output, sign, bound)``: ``sign * (output - bound) <= 0``
        is feasible."""
        return [(len(self.modelled) + pos, 1.0 if self.ctx.constraints[j].op == "<=" else -1.0, self.ctx.constraints[j].bound)
                for pos, j in enumerate(self.modelled_constraints)]


def _maximization(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """``(n, k)`` values of ``objectives`` in maximisation form (botorch maximises)."""
    return -to_minimization(values, [o.direction for o in objectives])
