"""The ``Proposer`` interface: what to evaluate next."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from typing import ClassVar

import numpy as np

from predictnas.exceptions import PredictNASError, SpaceExhaustedError
from predictnas.spaces import Arch, SearchSpace
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, PriorStudy, objective_matrix


@dataclass(frozen=True)
class ProposalContext:
    """Everything a proposer may look at. A proposer must be a pure function of this and ``rng``
    (that is what makes a resumed study propose exactly what an uninterrupted one would).

    Attributes:
        space: The search space.
        objectives: Objectives with directions.
        constraints: Outcome constraints.
        complete: Completed trials (with values), in trial order.
        failed: Failed trials, in trial order (a proposer may learn where evaluations fail).
        warm_start: Observations of earlier studies on the same space (see ``create_study(warm_start=...)``).
        pending: Architectures asked but not yet told (``X_pending``).
        seen_keys: Canonical keys of every trial so far (complete, failed or pending).
        step: The ask step number.
        cheap: Looks up statistics known without evaluation (FLOPs, params, a latency table):
            ``(archs) -> {name: (n,) values}``, NaN where unknown; ``None`` when the study has no
            such source. Objectives declared ``cheap`` and found here are known exactly.
    """

    space: SearchSpace
    objectives: tuple[Objective, ...]
    constraints: tuple[OutcomeConstraint, ...]
    complete: tuple[FrozenTrial, ...]
    pending: tuple[Arch, ...]
    seen_keys: frozenset[str]
    step: int
    cheap: Callable[[Sequence[Arch]], dict[str, np.ndarray]] | None = None
    failed: tuple[FrozenTrial, ...] = ()
    warm_start: tuple[PriorStudy, ...] = ()

    def objective_matrix(self) -> np.ndarray:
        """``(n_complete, m)`` objective values in minimisation form."""
        return objective_matrix(self.complete, self.objectives)

    def violation_matrix(self) -> np.ndarray:
        """``(n_complete, c)`` constraint violations (0 = satisfied)."""
        return np.array(
            [[c.violation(t.values[c.metric]) for c in self.constraints] for t in self.complete], dtype=np.float64
        ).reshape(len(self.complete), len(self.constraints))


class Proposer(abc.ABC):
    """Proposes architectures to evaluate; implement :meth:`propose`."""

    #: One line for ``predictnas proposers``: when to choose this proposer.
    use_when: ClassVar[str] = "-"

    @abc.abstractmethod
    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        """Returns up to ``n`` architectures whose canonical keys are not in ``ctx.seen_keys``."""


def fresh_random(ctx: ProposalContext, n: int, rng: np.random.Generator, taken: set[str]) -> list[Arch]:
    """``n`` random architectures with new canonical keys (rejection sampling, enumeration as fallback)."""
    out: list[Arch] = []
    misses = 0
    while len(out) < n:
        arch = ctx.space.sample(1, rng=rng)[0]
        key = ctx.space.canonical_key(arch)
        if key in taken:
            misses += 1
            if misses > 200 + 50 * n:
                return out + _remaining(ctx, n - len(out), rng, taken)
            continue
        taken.add(key)
        out.append(arch)
    return out


def _remaining(ctx: ProposalContext, n: int, rng: np.random.Generator, taken: set[str]) -> list[Arch]:
    try:
        rest = {}
        for arch in ctx.space.enumerate():
            key = ctx.space.canonical_key(arch)
            if key not in taken:
                rest.setdefault(key, arch)
    except PredictNASError:
        raise SpaceExhaustedError(f"Could not find new architectures in space {ctx.space.name!r}.") from None
    keys = sorted(rest)
    picked = [keys[i] for i in rng.permutation(len(keys))[:n]]
    taken.update(picked)
    return [rest[k] for k in picked]
