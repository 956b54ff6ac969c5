"""Choosing rows of an objective matrix: NSGA-II survival, and a bounded training subset."""

from __future__ import annotations

import hashlib

import numpy as np

from predictnas.pareto import rank_and_crowding

__all__ = ["rank_and_crowding", "training_subset"]


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
