"""Choosing rows of an objective matrix: NSGA-II survival, and a bounded training subset."""

from __future__ import annotations

import hashlib

import numpy as np


def rank_and_crowding(F: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` rows of ``F`` (minimisation) chosen by NSGA-II survival: whole
    non-dominated fronts in order, the last one cut by crowding distance (pymoo)."""
    from pymoo.core.population import Population
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    pop = Population.new(F=F, index=np.arange(len(F)))
    survivors = RankAndCrowding().do(Problem(n_var=1, n_obj=F.shape[1]), pop, n_survive=n,
                                     random_state=np.random.default_rng(0))
    return np.sort(np.asarray(survivors.get("index"), dtype=int))


def training_subset(F: np.ndarray, limit: int) -> np.ndarray:
    """Indices (sorted) of at most ``limit`` rows of ``F`` (minimisation): every row when there are
    few enough; else the best non-dominated fronts, whole, up to half the limit (where the search
    acts; the first front cut if it alone is larger), then an even spread over the rest, seeded by
    the data so that a resumed study picks the same rows."""
    n = len(F)
    if n <= limit:
        return np.arange(n)
    from predictnas.pareto import non_dominated_ranks

    ranks = non_dominated_ranks(F)
    order = np.argsort(ranks, kind="stable")
    sizes = np.cumsum(np.bincount(ranks))
    whole = sizes[sizes <= limit // 2]
    best = order[: whole[-1] if len(whole) else limit // 2]
    rest = np.setdiff1d(np.arange(n), best)
    seed = int.from_bytes(hashlib.sha1(np.ascontiguousarray(F).tobytes()).digest()[:8], "little")
    spread = np.random.default_rng(seed).choice(rest, size=limit - len(best), replace=False)
    return np.sort(np.concatenate([best, spread]))
