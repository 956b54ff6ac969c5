"""Pareto utilities: orientation, non-dominated sorting, hypervolume, HV ratio, front recall.

Conventions (documented once, used everywhere):

- ``F`` is ``(n, m)`` in **minimisation** form (maximised objectives are negated by
  :func:`to_minimization`).
- Hypervolume is computed on objectives **min-max normalised** to ``[0, 1]`` with given
  ``lower``/``upper`` bounds (per objective, in minimisation form), against the **reference point
  1.1** in every objective. Points worse than the reference point contribute nothing.
- The **HV ratio** of a found set against a fully known table is
  ``HV(found) / HV(true Pareto front)``, both normalised by the min and max of the *whole table*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REFERENCE_POINT = 1.1


def to_minimization(Y: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """``(n, m)`` values in the objectives' own directions -> minimisation form."""
    Y = np.asarray(Y, dtype=np.float64)
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return Y * signs


def non_dominated_ranks(F: np.ndarray) -> np.ndarray:
    """Front index (0 = Pareto front) of every row of ``F`` (minimisation), ``(n,)`` int."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    F = np.asarray(F, dtype=np.float64)
    if len(F) == 0:
        return np.zeros(0, dtype=int)
    _, ranks = NonDominatedSorting().do(F, return_rank=True)
    return np.asarray(ranks, dtype=int)


def rank_and_crowding(F: np.ndarray, n: int) -> np.ndarray:
    """Indices (sorted) of ``n`` rows of ``F`` (minimisation) chosen by NSGA-II survival: whole
    non-dominated fronts in order, the last one cut by crowding distance (ties broken by a fixed
    seed, so the choice is a pure function of ``F``).

    pymoo's ``RankAndCrowding`` survival step by step on the array (the same choice: tested),
    without building a ``Population`` of one object per row, which cost ~1 s for 25,000 rows."""
    from pymoo.operators.survival.rank_and_crowding.metrics import get_crowding_function
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
    from pymoo.util.randomized_argsort import randomized_argsort

    F = np.asarray(F, dtype=np.float64)
    n = min(n, len(F))
    if n <= 0:
        return np.zeros(0, dtype=int)
    random_state, crowding = np.random.default_rng(0), get_crowding_function("cd")
    survivors: list[np.ndarray] = []
    size = 0
    for front in NonDominatedSorting().do(F, n_stop_if_ranked=n):
        front = np.asarray(front, dtype=int)
        if size + len(front) > n:  # the splitting front: drop the most crowded
            n_remove = size + len(front) - n
            order = randomized_argsort(crowding.do(F[front], n_remove=n_remove), order="descending", method="numpy",
                                       random_state=random_state)
            front = front[order[:-n_remove]]
        survivors.append(front)
        size += len(front)
    return np.sort(np.concatenate(survivors))


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: rows of ``F`` (minimisation) that no other row dominates (duplicates all kept)."""
    F = np.asarray(F, dtype=np.float64)
    mask = np.zeros(len(F), dtype=bool)
    # A dominating row has a smaller sum, so in order of the sum each row needs checking only
    # against the non-dominated rows found before it (a dominator is one, or is dominated by one).
    front = np.empty((0, F.shape[-1]))
    for i in np.argsort(F.sum(axis=1), kind="stable"):
        if not (np.all(front <= F[i], axis=1) & np.any(front < F[i], axis=1)).any():
            mask[i] = True
            front = np.vstack([front, F[i]])
    return mask


def normalize(F: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Min-max normalisation; an objective with ``upper == lower`` maps to 0."""
    F = np.asarray(F, dtype=np.float64)
    span = np.where(np.asarray(upper) > np.asarray(lower), np.asarray(upper) - np.asarray(lower), 1.0)
    return (F - lower) / span


def hypervolume(F: np.ndarray, *, lower: np.ndarray, upper: np.ndarray, ref: float = REFERENCE_POINT) -> float:
    """Hypervolume of ``F`` (minimisation) after normalising with ``lower``/``upper``; ref point ``ref``."""
    from pymoo.indicators.hv import HV

    F = np.asarray(F, dtype=np.float64)
    if len(F) == 0:
        return 0.0
    Z = normalize(F, lower, upper)
    Z = Z[np.all(Z < ref, axis=1)]
    if len(Z) == 0:
        return 0.0
    return float(HV(ref_point=np.full(F.shape[1], ref))(Z))


def hv_ratio(F_found: np.ndarray, F_all: np.ndarray) -> float:
    """HV of the found set over HV of the true front, both normalised by the whole table's range."""
    F_all = np.asarray(F_all, dtype=np.float64)
    lower, upper = F_all.min(axis=0), F_all.max(axis=0)
    true_hv = hypervolume(F_all[pareto_mask(F_all)], lower=lower, upper=upper)
    return hypervolume(F_found, lower=lower, upper=upper) / true_hv if true_hv > 0 else float("nan")


def front_recall(found_rows: Sequence[int], F_all: np.ndarray) -> float:
    """Share of the table's true Pareto-front rows whose index is in ``found_rows``."""
    front = set(np.flatnonzero(pareto_mask(np.asarray(F_all, dtype=np.float64))).tolist())
    return len(front & set(found_rows)) / len(front)
