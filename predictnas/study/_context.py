"""The :class:`~predictnas.proposers.ProposalContext` a study gives its proposer: a frozen view of its state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from predictnas.spaces import SearchSpace
from predictnas.study._cheap import CheapStatistics
from predictnas.study._events import StudyState
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, PriorStudy, TrialState

if TYPE_CHECKING:
    from predictnas.proposers import ProposalContext


def proposal_context(state: StudyState, space: SearchSpace, objectives: Sequence[Objective],
                     constraints: Sequence[OutcomeConstraint], cheap: CheapStatistics | None,
                     warm_start: Sequence[PriorStudy]) -> ProposalContext:
    """What the proposer may look at now (complete trials without cache hits, failed, stopped and
    running ones, seen keys, the cheap statistics checked against complete trials)."""
    from predictnas.proposers import ProposalContext

    index = state.index
    assert index is not None
    complete = tuple(state.ordered(TrialState.COMPLETE))  # cache hits left out
    if cheap is not None:
        cheap.check(complete, [o.name for o in objectives if o.cheap], space)
    return ProposalContext(
        space=space, objectives=tuple(objectives), constraints=tuple(constraints), complete=complete,
        pending=tuple(t.arch for t in state.ordered(TrialState.RUNNING)),
        seen_keys=frozenset(index.keys), step=state.step,
        cheap=cheap.lookup if cheap is not None else None,
        failed=tuple(state.ordered(TrialState.FAILED)), warm_start=tuple(warm_start),
        stopped=tuple(state.ordered(TrialState.STOPPED)),
        target_fidelity=target_fidelity(complete),
    )


def target_fidelity(complete: Sequence[FrozenTrial]) -> int | None:
    """The step a complete trial reaches: the largest step a complete trial reported (``None``: none did)."""
    return max((max(t.intermediate) for t in complete if t.intermediate), default=None)
