"""Uniform random search without replacement (by canonical key)."""

from __future__ import annotations

import numpy as np

from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.spaces import Arch


class RandomProposer(Proposer):
    """Samples uniformly (each active parameter independently), skipping known canonical keys."""

    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        return fresh_random(ctx, n, rng, set(ctx.seen_keys))
