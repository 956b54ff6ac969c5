"""Uniform random search without replacement (by canonical key)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.spaces import Arch


class RandomProposer(Proposer):
    """Samples uniformly (each active parameter independently), skipping known canonical keys."""

    use_when: ClassVar[str] = "a baseline, or tests of execution and files rather than of search"

    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        return fresh_random(ctx, n, rng, set(ctx.seen_keys))
