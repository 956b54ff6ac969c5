"""NSGA-II on real evaluations (the baseline the surrogate-driven search must beat)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.spaces import Arch


class NSGA2Proposer(Proposer):
    """Steady-state NSGA-II (Deb et al. 2002) over all evaluated architectures.

    Each step: pymoo's rank-and-crowding survival (constraint violations first) picks ``pop_size``
    parents from every completed trial; binary tournaments on (rank, crowding) choose pairs; the
    space's uniform crossover and mutation make children; children already seen are replaced.
    Being a function of the evaluated set, it resumes exactly. Until ``pop_size`` trials are
    complete it samples at random.

    Args:
        pop_size: Parent population size.
        crossover_prob: Probability that a child comes from crossover (else a mutated copy).
        mutation_changes: Parameters changed per mutation.
    """

    use_when: ClassVar[str] = "a model-free baseline, or evaluations so cheap that modelling is not worth it"

    def __init__(self, *, pop_size: int = 20, crossover_prob: float = 0.9, mutation_changes: int = 1) -> None:
        self.pop_size = pop_size
        self.crossover_prob = crossover_prob
        self.mutation_changes = mutation_changes

    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        taken = set(ctx.seen_keys)
        if len(ctx.complete) < self.pop_size:
            return fresh_random(ctx, n, rng, taken)
        parents, rank, crowding = self._survivors(ctx, rng)
        out: list[Arch] = []
        for _ in range(50 * n):
            if len(out) == n:
                break
            a = parents[self._tournament(rank, crowding, rng)]
            if rng.random() < self.crossover_prob:
                b = parents[self._tournament(rank, crowding, rng)]
                child = ctx.space.crossover(a, b, rng=rng)
            else:
                child = a
            child = ctx.space.mutate(child, rng=rng, n_changes=self.mutation_changes)
            key = ctx.space.canonical_key(child)
            if key not in taken:
                taken.add(key)
                out.append(child)
        if len(out) < n:
            out += fresh_random(ctx, n - len(out), rng, taken)
        return out

    def _survivors(self, ctx: ProposalContext, rng: np.random.Generator) -> tuple[list[Arch], np.ndarray, np.ndarray]:
        from pymoo.core.population import Population
        from pymoo.core.problem import Problem
        from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

        F = ctx.objective_matrix()
        G = ctx.violation_matrix()
        n_constr = G.shape[1]
        pop = Population.new(F=F, index=np.arange(len(F)), **({"G": G} if n_constr else {}))
        problem = Problem(n_var=1, n_obj=F.shape[1], n_ieq_constr=n_constr)
        survivors = RankAndCrowding().do(problem, pop, n_survive=min(self.pop_size, len(F)), random_state=rng)
        parents = [ctx.complete[int(i)].arch for i in survivors.get("index")]
        # Infeasible survivors come last, ordered by violation, with rank None: rank them after every
        # feasible front, in that order.
        raw = survivors.get("rank")
        worst = max((r for r in raw if r is not None), default=-1)
        rank = np.array([r if r is not None else worst + 1 + pos for pos, r in enumerate(raw)], dtype=float)
        crowding = np.nan_to_num(np.asarray(survivors.get("crowding"), dtype=float), nan=0.0)
        return parents, rank, crowding

    @staticmethod
    def _tournament(rank: np.ndarray, crowding: np.ndarray, rng: np.random.Generator) -> int:
        i, j = rng.integers(len(rank), size=2)
        if rank[i] != rank[j]:
            return int(i if rank[i] < rank[j] else j)
        return int(i if crowding[i] >= crowding[j] else j)
