"""The ``Proposer`` interface: what to evaluate next."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from typing import Any, ClassVar

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
        stopped: Trials stopped early (a stopping rule), in trial order: their ``values`` were
            measured at step ``fidelity`` (lower-fidelity observations).
        target_fidelity: The step a complete trial reaches (the largest step a complete trial
            reported), or ``None`` when no complete trial reported steps.
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
    stopped: tuple[FrozenTrial, ...] = ()
    target_fidelity: int | None = None

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

    # What a study may read from a proposer (nothing else, and never by attribute name):
    def step_report(self) -> dict[str, Any]:
        """What the last :meth:`propose` did (e.g. model, pool size, acquisition, seconds per
        phase), stored with its proposal in the study file. Default: nothing."""
        return {}

    def model_spec(self) -> dict[str, Any] | None:
        """The model that drives the search, ``{"surrogate", "encoding", "features"}`` (names a
        study's diagnostics re-use), or ``None`` when there is none (default)."""
        return None


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


def new_and_distinct(proposed: Sequence[Arch], ctx: ProposalContext) -> list[Arch]:
    """The proposals without repeats and without architectures that already have a trial (a proposer
    that breaks this contract, e.g. a batch larger than what is left, never costs an evaluation)."""
    seen, out = set(ctx.seen_keys), []
    for arch in proposed:
        key = ctx.space.canonical_key(arch)
        if key not in seen:
            seen.add(key)
            out.append(arch)
    return out


def rest_of_space(ctx: ProposalContext, n: int, rng: np.random.Generator) -> list[Arch]:
    """Up to ``n`` architectures without a trial, or ``SpaceExhaustedError`` when none is left."""
    rest = fresh_random(ctx, n, rng, set(ctx.seen_keys))
    if not rest:
        raise SpaceExhaustedError(f"Space {ctx.space.name!r} is exhausted: each of its {len(ctx.seen_keys)} distinct "
                                  "architectures has a trial; nothing was stored.")
    return rest
