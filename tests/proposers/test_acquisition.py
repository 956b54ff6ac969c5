"""The acquisition helpers against botorch's own versions."""

import pytest
import torch


@pytest.mark.parametrize("constrained", [False, True])
def test_the_pruned_baseline_is_botorchs(constrained):
    """qLogNEHVI's baseline pruning with the chunked front check keeps exactly the rows botorch's
    ``prune_inferior_points_multi_objective`` keeps (80 rows: botorch takes its loop there)."""
    from botorch.acquisition.multi_objective.objective import GenericMCMultiOutputObjective
    from botorch.acquisition.multi_objective.utils import prune_inferior_points_multi_objective
    from botorch.models import SingleTaskGP

    from predictnas.proposers._acquisition import _pruned_baseline

    generator = torch.Generator().manual_seed(3)
    X = torch.rand(80, 3, dtype=torch.float64, generator=generator)
    Y = torch.stack([X.sum(-1), -(X ** 2).sum(-1)], -1) + 0.3 * torch.randn(80, 2, dtype=torch.float64, generator=generator)
    model = SingleTaskGP(X, torch.cat([Y, X[:, :1]], -1))
    objective = GenericMCMultiOutputObjective(lambda Z, X=None: Z[..., :2])
    constraints = [lambda Z: Z[..., 2] - 0.5] if constrained else None
    ref = Y.quantile(0.3, dim=0)  # some rows never clear it
    torch.manual_seed(0)
    expected = prune_inferior_points_multi_objective(model, X, ref, objective=objective, constraints=constraints)
    torch.manual_seed(0)
    pruned = _pruned_baseline(model, X, objective, constraints, ref)
    assert 1 < len(pruned) < len(X)
    assert torch.equal(pruned, expected)


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("levels", [4, 0])
def test_the_front_check_is_botorchs_on_ties_and_duplicates(m, levels):
    """Two objectives by sorting, more pairwise: botorch's answer on ties and duplicates
    (``levels`` integer values) and on continuous values."""
    from botorch.utils.multi_objective.pareto import is_non_dominated

    from predictnas.proposers._acquisition import _non_dominated

    generator = torch.Generator().manual_seed(1)
    Y = (torch.randint(0, levels, (600, 40, m), generator=generator).to(torch.float64) if levels
         else torch.randn(600, 40, m, dtype=torch.float64, generator=generator))
    expected = is_non_dominated(Y, deduplicate=False)  # 600 x 40 x 40 comparisons: botorch's loop
    assert torch.equal(_non_dominated(Y), expected) and not expected.all()
    assert torch.equal(_non_dominated(Y[:3, :5]), is_non_dominated(Y[:3, :5], deduplicate=False))


@pytest.mark.parametrize("constrained", [False, True])
def test_the_scalarised_pruning_is_botorchs_for_every_scalarisation(constrained):
    """ParEGO's baseline pruning, one set of posterior samples for every greedy step: for each
    scalarisation, exactly the rows botorch's ``prune_inferior_points`` keeps with those samples."""
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.acquisition.utils import prune_inferior_points
    from botorch.models import SingleTaskGP
    from botorch.sampling import SobolQMCNormalSampler
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization

    from predictnas.proposers._acquisition import _scalar_pruner
    from predictnas.surrogates import AcquisitionModel

    generator = torch.Generator().manual_seed(5)
    X = torch.rand(60, 3, dtype=torch.float64, generator=generator)
    Y = torch.stack([X.sum(-1), -(X ** 2).sum(-1)], -1) + 0.3 * torch.randn(60, 2, dtype=torch.float64, generator=generator)
    model = SingleTaskGP(X, torch.cat([Y, X[:, :1]], -1))
    model.likelihood.noise = 0.3  # noisy observations: several rows may be the best
    am = AcquisitionModel(model, lambda X: X, lambda Z: Z, "posterior", {})
    objectives = lambda Z, X=None: Z[..., :2]  # noqa: E731
    constraints = [lambda Z: Z[..., 2] - 0.5] if constrained else None
    prune = _scalar_pruner(am, objectives, constraints, X, seed=11)
    kept = []
    for weights in ([0.5, 0.5], [0.9, 0.1], [0.1, 0.9]):
        scalarize = get_chebyshev_scalarization(torch.tensor(weights, dtype=torch.float64), Y)
        objective = GenericMCObjective(lambda Z, X=None, s=scalarize: s(objectives(Z, X)))
        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([2048]), seed=11)
        expected = prune_inferior_points(model, X, objective=objective, constraints=constraints, sampler=sampler)
        pruned = prune(scalarize)
        assert torch.equal(pruned, expected) and 1 < len(pruned) < len(X)
        kept.append(pruned)
    assert not all(torch.equal(kept[0], k) for k in kept[1:])  # the scalarisations keep different rows
