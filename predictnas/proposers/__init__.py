"""Proposers: decide which architectures to evaluate next."""

from __future__ import annotations

import inspect
from typing import Any

from predictnas._registry import Registry
from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._base import ProposalContext, Proposer, SpaceExhaustedError, new_and_distinct, rest_of_space
from predictnas.proposers._bo import BayesOptProposer, initial_design_size
from predictnas.proposers._inputs import fidelity_level
from predictnas.proposers._nsga2 import NSGA2Proposer
from predictnas.proposers._random import RandomProposer
from predictnas.proposers._surrogate_nsga2 import SurrogateNSGA2Proposer

PROPOSERS: Registry[type[Proposer]] = Registry("proposer", {
    "bo": BayesOptProposer, "nsga2-surrogate": SurrogateNSGA2Proposer, "nsga2": NSGA2Proposer, "random": RandomProposer,
})


def proposer_options(cls: type) -> dict[str, Any]:
    """The keyword options a proposer class takes, with their defaults."""
    return {name: (None if p.default is inspect.Parameter.empty else p.default)
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name != "self"}


def make_proposer(name: str, options: dict[str, Any] | None = None) -> Proposer:
    """A proposer by registered name or ``"package.module:Class"`` entry point, with keyword
    options; an unknown name or option is one clear error listing what is valid."""
    cls = PROPOSERS.resolve(name)
    if not (isinstance(cls, type) and issubclass(cls, Proposer)):
        raise InvalidSpecError(f"Proposer entry point {name!r} is a {type(cls).__name__}, not a Proposer subclass.")
    options = dict(options or {})
    accepted = proposer_options(cls)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        listing = ", ".join(f"{k}={v!r}" for k, v in accepted.items()) or "none"
        raise InvalidSpecError(f"Proposer {name!r} has no option(s) {unknown}; its options (with defaults): {listing}.")
    try:
        return cls(**options)
    except TypeError as exc:
        raise InvalidSpecError(f"Bad options {options!r} for proposer {name!r}: {exc}.") from None


__all__ = ["PROPOSERS", "BayesOptProposer", "fidelity_level", "NSGA2Proposer", "ProposalContext", "Proposer", "RandomProposer",
           "SpaceExhaustedError", "SurrogateNSGA2Proposer", "initial_design_size", "make_proposer", "new_and_distinct",
           "proposer_options", "rest_of_space"]
