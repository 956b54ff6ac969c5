"""Proposers: decide which architectures to evaluate next."""

from __future__ import annotations

from typing import Any

from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._base import ProposalContext, Proposer, SpaceExhaustedError
from predictnas.proposers._bo import BayesOptProposer, initial_design_size
from predictnas.proposers._nsga2 import NSGA2Proposer
from predictnas.proposers._random import RandomProposer
from predictnas.proposers._surrogate_nsga2 import SurrogateNSGA2Proposer

PROPOSERS: dict[str, type[Proposer]] = {"bo": BayesOptProposer, "random": RandomProposer, "nsga2": NSGA2Proposer,
                                       "nsga2-surrogate": SurrogateNSGA2Proposer}


def make_proposer(name: str, options: dict[str, Any] | None = None) -> Proposer:
    """A proposer by registered name with keyword options; clear errors for unknown names/options."""
    cls = PROPOSERS.get(name)
    if cls is None:
        raise InvalidSpecError(f"Unknown proposer {name!r}; available: {sorted(PROPOSERS)}.")
    try:
        return cls(**(options or {}))
    except TypeError as exc:
        raise InvalidSpecError(f"Bad options {options!r} for proposer {name!r}: {exc}.") from None


__all__ = ["PROPOSERS", "BayesOptProposer", "initial_design_size", "NSGA2Proposer", "ProposalContext", "Proposer", "RandomProposer", "SpaceExhaustedError", "SurrogateNSGA2Proposer", "make_proposer"]
