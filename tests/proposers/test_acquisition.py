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
