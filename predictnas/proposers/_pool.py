"""Candidate pools: the architectures an acquisition function chooses from at one step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from predictnas.pareto import pareto_mask
from predictnas.proposers._base import ProposalContext
from predictnas.proposers._evolution import ScoreFunction, evolve
from predictnas.spaces import Arch


def generated_pool(ctx: ProposalContext, score: ScoreFunction, *, n_obj: int, n_constr: int, size: int,
                   pop_size: int, generations: int, rng: np.random.Generator, taken: set[str]) -> list[Arch]:
    """At least ``size`` new architectures (fewer only if the space has fewer), drawn from:

    1. pymoo NSGA-II on ``score`` (the surrogate), seeded with the observed Pareto set: its
       final population and every architecture it scored;
    2. one- and two-change mutations and crossovers of the observed Pareto set;
    3. uniform random samples up to ``size``.

    Keys in ``taken`` (evaluated or pending) are excluded; duplicates by canonical key are dropped.
    """
    space = ctx.space
    pool: dict[str, Arch] = {}

    def add(archs: Sequence[Arch]) -> None:
        for arch in archs:
            key = space.canonical_key(arch)
            if key not in taken:
                pool.setdefault(key, arch)

    front = _observed_front(ctx)
    final, visited = evolve(space, score, n_obj=n_obj, n_constr=n_constr, seeds=front, pop_size=pop_size,
                            generations=generations, seed=int(rng.integers(2**31)))
    add(final)
    add(visited)
    n_local = max(size // 5, 20 * len(front))
    for i in range(n_local):
        a = front[i % len(front)]
        if i % 3 == 2 and len(front) > 1:
            b = front[int(rng.integers(len(front)))]
            child = space.crossover(a, b, rng=rng)
            add([space.mutate(child, rng=rng) if rng.random() < 0.5 else child])
        else:
            add([space.mutate(a, rng=rng, n_changes=1 + i % 3 // 2)])
    misses = 0
    while len(pool) < size and misses < 5:
        before = len(pool)
        add(space.sample_many(size - len(pool), rng=rng))
        misses = misses + 1 if len(pool) == before else 0
    return list(pool.values())


def _observed_front(ctx: ProposalContext) -> list[Arch]:
    """Architectures of the observed Pareto front (feasible trials first; all if none is feasible)."""
    if not ctx.complete:
        return []
    violation = ctx.violation_matrix().sum(axis=1)
    rows = np.flatnonzero(violation == 0) if (violation == 0).any() else np.arange(len(ctx.complete))
    front = rows[pareto_mask(ctx.objective_matrix()[rows])]
    return [ctx.complete[int(i)].arch for i in front]
