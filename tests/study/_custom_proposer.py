"""A user's own proposer, in a module of its own (so it can be named by an entry point)."""

import numpy as np

import predictnas as pn


class GreedyMutation(pn.Proposer):
    """Mutates the best architecture so far (first objective); random until a trial is complete."""

    use_when = "an example of a custom proposer"

    def __init__(self, *, n_changes: int = 1) -> None:
        self.n_changes = n_changes

    def propose(self, ctx, n, *, rng):
        out, seen = [], set(ctx.seen_keys)
        best = ctx.complete[int(np.argmin(ctx.objective_matrix()[:, 0]))].arch if ctx.complete else None
        while len(out) < n:
            arch = ctx.space.mutate(best, rng=rng, n_changes=self.n_changes) if best else ctx.space.sample(1, rng=rng)[0]
            if ctx.space.canonical_key(arch) not in seen:
                seen.add(ctx.space.canonical_key(arch))
                out.append(arch)
        return out
