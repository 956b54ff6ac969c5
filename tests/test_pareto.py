"""Pareto utilities against hand-computed values."""

import numpy as np
import pytest

from predictnas.pareto import (front_recall, hv_ratio, hypervolume, non_dominated_ranks, pareto_mask, rank_and_crowding,
                               to_minimization)


def test_orientation_and_fronts():
    Y = np.array([[90.0, 10.0], [80.0, 5.0], [85.0, 20.0], [70.0, 4.0], [60.0, 30.0]])
    F = to_minimization(Y, ["maximize", "minimize"])
    np.testing.assert_array_equal(F[:, 0], -Y[:, 0])
    np.testing.assert_array_equal(pareto_mask(F), [True, True, False, True, False])
    np.testing.assert_array_equal(non_dominated_ranks(F), [0, 0, 1, 0, 2])


def test_hypervolume_of_a_square_and_points_beyond_the_reference():
    F = np.array([[0.0, 0.0], [2.0, 2.0]])
    # normalised to [0, 1]: (0, 0) dominates the box up to 1.1 -> 1.21; (1, 1) adds nothing.
    assert hypervolume(F, lower=np.zeros(2), upper=np.full(2, 2.0)) == pytest.approx(1.21)
    assert hypervolume(np.array([[5.0, 5.0]]), lower=np.zeros(2), upper=np.ones(2)) == 0.0


def test_hv_ratio_and_front_recall_on_a_known_table():
    F_all = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0], [1.0, 1.0]])
    true_hv = (0.5 - 0.0) * (1.1 - 1.0) + (1.0 - 0.5) * (1.1 - 0.5) + (1.1 - 1.0) * (1.1 - 0.0)
    assert hv_ratio(F_all[[0, 1, 2]], F_all) == pytest.approx(1.0)
    only_middle = (1.1 - 0.5) * (1.1 - 0.5)
    assert hv_ratio(F_all[[1, 3]], F_all) == pytest.approx(only_middle / true_hv)
    assert front_recall([1, 3], F_all) == pytest.approx(1 / 3)


def test_pareto_mask_agrees_with_the_definition_on_ties_and_duplicates():
    rng = np.random.default_rng(0)
    for n, m in [(0, 2), (1, 3), (300, 2), (300, 3), (120, 5)]:
        F = np.round(rng.normal(size=(n, m)), 1)  # many ties and duplicate rows
        F = np.concatenate([F, F[:10]])
        brute = [not (np.all(F <= f, axis=1) & np.any(F < f, axis=1)).any() for f in F]
        assert pareto_mask(F).tolist() == brute


def test_rank_and_crowding_makes_pymoos_survival_choice():
    """The array version chooses exactly what pymoo's RankAndCrowding survival does with the same
    seed, on ties, duplicates, 1-4 objectives and n beyond the rows."""
    from pymoo.core.population import Population
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    rng = np.random.default_rng(1)
    for case in range(60):
        m, rows = int(rng.integers(1, 5)), int(rng.integers(1, 120))
        n = int(rng.integers(1, rows + 3))
        F = rng.integers(0, 5, (rows, m)).astype(float) if case % 2 else rng.random((rows, m))
        pop = Population.new(F=F, index=np.arange(rows))
        survivors = RankAndCrowding().do(Problem(n_var=1, n_obj=m), pop, n_survive=n, random_state=np.random.default_rng(0))
        expected = np.sort(np.asarray(survivors.get("index"), dtype=int))
        np.testing.assert_array_equal(rank_and_crowding(F, n), expected)
    assert len(rank_and_crowding(np.zeros((0, 2)), 4)) == 0
