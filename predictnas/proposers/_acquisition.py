"""Batch selection over a finite candidate set with botorch MC acquisition functions.

Works with whatever a surrogate offers (:class:`~predictnas.surrogates.AcquisitionModel`): a GP's
joint posterior (quasi-MC samples), or an ensemble of joint draws (every member once). Outputs
are mapped back to the objectives' own units before the acquisition function sees them, so the
hypervolume is measured in the units the study reports.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MODES = ("qlognehvi", "qlogehvi", "parego", "single")


@dataclass(frozen=True)
class BatchProblem:
    """What the batch is chosen for; every objective in maximisation form.

    Attributes:
        n_modelled: Model outputs that are objectives (the first ones).
        exact_columns: Feature columns holding the exact objectives (after the modelled ones).
        constraints: ``(output index, sign, bound)``: ``sign * (output - bound) <= 0`` is feasible.
        Y_baseline: ``(n, n_objectives)`` observed objectives of the baseline rows.
        ref_point: ``(n_objectives,)`` hypervolume reference point (qLogNEHVI).
    """

    n_modelled: int
    exact_columns: Sequence[int]
    constraints: Sequence[tuple[int, float, float]]
    Y_baseline: np.ndarray
    ref_point: np.ndarray

    @property
    def n_objectives(self) -> int:
        return self.n_modelled + len(self.exact_columns)


def select_batch(am: Any, problem: BatchProblem, *, X_baseline: np.ndarray, X_cand: np.ndarray,
                 X_pending: np.ndarray | None, q: int, mode: str, mc_samples: int, seed: int,
                 log_weights: np.ndarray | None = None, lazy: bool = True) -> list[int]:
    """Greedy sequential batch: ``q`` distinct indices into ``X_cand`` (``(N, d)`` features).

    Each step scores the candidates with the pending rows and those chosen so far and adds the
    best; for the hypervolume modes only the first step scores every candidate, later ones rescore
    lazily (:func:`_lazy_rescore`). ``mode``: ``"qlognehvi"`` (2-3 objectives; each candidate
    jointly with the pending rows, the front of every MC sample partitioned anew: exact, and its
    cost grows with the front and the candidates scored),
    ``"qlogehvi"`` (one partitioning of the observed front plus the predicted means of the pending
    rows, "Kriging believer": one box decomposition per step, each candidate on its own),
    ``"parego"`` (``qLogNEI`` of a random Chebyshev scalarisation per batch element) or
    ``"single"`` (``qLogNEI``). ``log_weights (N,)`` are added to the log acquisition values (e.g. the log
    probability that an evaluation succeeds). ``lazy=False`` rescores every candidate at every
    step (the reference the lazy batch is measured against).
    """
    import torch
    from linear_operator.utils.warnings import NumericalWarning

    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not one of {MODES}")
    positions = [am.columns[c] for c in problem.exact_columns]
    m = problem.n_modelled

    def objectives(Z: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
        Y = am.outputs(Z)[..., :m]
        if positions:
            assert X is not None
            Y = torch.cat([Y, X[..., positions].expand(*Y.shape[:-1], len(positions))], dim=-1)
        return Y

    constraints = [
        (lambda Z, i=i, sign=sign, bound=bound: sign * (am.outputs(Z)[..., i] - bound))
        for i, sign, bound in problem.constraints
    ] or None
    base, cand = am.inputs(X_baseline), am.inputs(X_cand)
    pending = am.inputs(X_pending) if X_pending is not None and len(X_pending) else None
    Y_obs = torch.as_tensor(problem.Y_baseline, dtype=torch.float64)
    ref = torch.as_tensor(problem.ref_point, dtype=torch.float64)
    build = _builder(am, mode, objectives, constraints, base, Y_obs, ref, mc_samples, seed)
    bonus = torch.as_tensor(log_weights, dtype=torch.float64) if log_weights is not None else None
    rescore = _lazy_rescore if lazy else _full_rescore
    if mode == "qlogehvi":
        return _believer_batch(am, build, objectives, problem.constraints, cand, pending, Y_obs, ref, bonus, q, rescore)
    chosen: list[int] = []
    acq, values = None, None
    with warnings.catch_warnings():
        # jitter added to joint posteriors of near-duplicate candidates: expected, harmless
        warnings.simplefilter("ignore", NumericalWarning)
        for step in range(min(q, len(cand))):
            parts = [t for t in (pending, cand[chosen] if chosen else None) if t is not None]
            X_pend = torch.cat(parts) if parts else None
            if acq is None or mode != "qlognehvi":
                acq = build(step, X_pend)
            else:
                acq.set_X_pending(X_pend)

            def score(rows: Any, acq: Any = acq) -> Any:
                with torch.no_grad():
                    v = torch.cat([acq(chunk[:, None, :]) for chunk in cand[rows].split(512)])
                return v + bonus[rows] if bonus is not None else v

            if values is None or mode != "qlognehvi":
                values = score(torch.arange(len(cand)))
                values[chosen] = -torch.inf
                best = int(values.argmax())
            else:
                values, best = rescore(score, values)
            chosen.append(best)
            values[best] = -torch.inf
    return chosen


def _believer_batch(am: Any, build: Callable[[int, Any], Any], objectives: Callable[..., Any],
                    bounds: Sequence[tuple[int, float, float]], cand: Any, pending: Any, Y_obs: Any, ref: Any,
                    bonus: Any, q: int, rescore: Callable[..., tuple[Any, int]]) -> list[int]:
    """Greedy batch for ``"qlogehvi"``: the front to improve on is the observed one plus, as
    "Kriging believer", the posterior mean of each pending or chosen row predicted to meet the
    modelled constraints. Each candidate is scored on its own (q = 1), so its posterior samples
    are drawn once for all steps, and later steps ``rescore`` (:func:`_lazy_rescore` by default)."""
    import torch
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    def believed(Z: Any, X: Any) -> Any:  # (k, n_objectives) rows of the believed front
        Y, out = objectives(Z, X), am.outputs(Z)
        ok = torch.ones(len(Y), dtype=torch.bool)
        for i, sign, bound in bounds:
            ok &= sign * (out[..., i] - bound) <= 0
        return torch.where(ok[:, None], Y, torch.nan).to(Y_obs)

    with torch.no_grad():
        posterior = am.model.posterior(cand[:, None, :])
        cand_front = believed(posterior.mean[:, 0, :], cand)
        front = Y_obs if pending is None else torch.cat([Y_obs, believed(am.model.posterior(pending).mean, pending)])
        partitioning = FastNondominatedPartitioning(ref_point=ref, Y=_finite(front))
        acq = build(0, partitioning)
        samples = acq.get_posterior_samples(posterior) if am.kind == "posterior" else None
    chosen: list[int] = []
    values = None
    for step in range(min(q, len(cand))):
        if step:
            new = _finite(cand_front[chosen[-1:]])
            if (new > ref).all(dim=-1).any():  # botorch's incremental update (Lacour et al. 2017): the same cells
                partitioning.update(new)        # as partitioning the whole front anew, at a fraction of the cost
            acq = build(step, partitioning)

        def score(rows: Any, acq: Any = acq) -> Any:
            with torch.no_grad():
                if samples is not None:
                    v = acq._compute_log_qehvi(samples=samples[:, rows], X=cand[rows][:, None, :])
                else:
                    v = torch.cat([acq(chunk[:, None, :]) for chunk in cand[rows].split(512)])
            return v + bonus[rows] if bonus is not None else v

        if values is None:
            values = score(torch.arange(len(cand)))
            best = int(values.argmax())
        else:
            values, best = rescore(score, values)
        chosen.append(best)
        values[best] = -torch.inf
    return chosen


def _finite(Y: Any) -> Any:
    return Y[Y.isfinite().all(dim=-1)]


def _lazy_rescore(score: Callable[[Any], Any], stale: Any, chunk: int = 16) -> tuple[Any, int]:
    """Lazy greedy (Minoux): rescores candidates in order of their last values until the best
    fresh value is at least every remaining last value; returns the values (fresh where
    rescored, the last ones elsewhere) and the best index. Exact when adding a point to the front
    cannot raise a candidate's value (true of the hypervolume improvement per MC sample, so of
    qLogEHVI up to the log smoothing's slack). For qLogNEHVI a chosen row also shifts each
    candidate's conditional samples, so it holds approximately: the same batch as full rescoring
    on the test fixtures, while whole benchmark runs diverge at times (the README measures both)."""
    import torch

    values = stale.clone()
    order = torch.argsort(stale, descending=True, stable=True)
    best, best_value = -1, -torch.inf
    for start in range(0, len(order), chunk):
        rows = order[start:start + chunk]
        if not torch.isfinite(stale[rows[0]]) or (best >= 0 and stale[rows[0]] <= best_value):
            break
        values[rows] = score(rows)
        i = int(rows[values[rows].argmax()])
        if values[i] > best_value:
            best, best_value = i, values[i]
    return values, best if best >= 0 else int(values.argmax())


def _full_rescore(score: Callable[[Any], Any], stale: Any) -> tuple[Any, int]:
    """Every candidate rescored (those already chosen, at ``-inf`` in ``stale``, stay out)."""
    import torch

    values = score(torch.arange(len(stale)))
    values[~torch.isfinite(stale)] = -torch.inf
    return values, int(values.argmax())


def _portable_log_ehvi() -> None:
    """Keeps qLogNEHVI on botorch's pure-PyTorch path.

    botorch >= 0.18 compiles a fused C++ kernel (``-march=native``) the first time qLogNEHVI is
    built: tens of seconds on every fresh machine, rounding that depends on the CPU, and a lock file
    that a process killed during the compile leaves behind, on which every later process waits for
    ever. The pure path gives the same numbers everywhere, which exact resume needs.
    """
    from botorch.acquisition.multi_objective import logei

    if hasattr(logei, "_load_attempted"):
        logei._load_attempted, logei._C = True, None


def _builder(am: Any, mode: str, objectives: Callable[..., Any], constraints: list[Callable[..., Any]] | None,
             base: Any, Y_obs: Any, ref: Any, mc_samples: int, seed: int) -> Callable[[int, Any], Any]:
    """``build(step, X_pending)``: the acquisition function of one greedy step. For ``"qlogehvi"``
    the second argument is the partitioning of the front to improve on (see :func:`_believer_batch`)."""
    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.multi_objective.logei import (
        qLogExpectedHypervolumeImprovement,
        qLogNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.objective import GenericMCMultiOutputObjective
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization
    from botorch.utils.sampling import sample_simplex

    _portable_log_ehvi()

    def sampler() -> Any:
        if am.kind == "samples":
            return _every_member(am.model.size, seed)
        from botorch.sampling import SobolQMCNormalSampler

        return SobolQMCNormalSampler(sample_shape=torch.Size([mc_samples]), seed=seed)

    cache_root = am.kind == "posterior"
    prune = _scalar_pruner(am, objectives, constraints, base, seed + 104_729) if mode in ("parego", "single") else None

    def build(step: int, X_pending: Any) -> Any:
        if mode == "qlogehvi":
            return qLogExpectedHypervolumeImprovement(
                model=am.model, ref_point=ref, partitioning=X_pending, sampler=sampler(),
                objective=GenericMCMultiOutputObjective(objectives), constraints=constraints)
        if mode == "qlognehvi":
            objective = GenericMCMultiOutputObjective(objectives)
            pruned = _pruned_baseline(am.model, base, objective, constraints, ref)
            return qLogNoisyExpectedHypervolumeImprovement(
                model=am.model, ref_point=ref, X_baseline=base if pruned is None else pruned, sampler=sampler(),
                objective=objective, constraints=constraints, X_pending=X_pending, prune_baseline=pruned is None,
                cache_root=cache_root)
        if mode == "parego":
            weights = sample_simplex(Y_obs.shape[-1], n=1, seed=seed + step, dtype=Y_obs.dtype)[0]
            scalarize = get_chebyshev_scalarization(weights, Y_obs)
        else:
            scalarize = lambda Y: Y[..., 0]  # noqa: E731
        objective = GenericMCObjective(lambda Z, X=None: scalarize(objectives(Z, X)))
        pruned = prune(scalarize) if prune is not None else None
        return qLogNoisyExpectedImprovement(model=am.model, X_baseline=base if pruned is None else pruned,
                                            sampler=sampler(), objective=objective, constraints=constraints,
                                            X_pending=X_pending, prune_baseline=pruned is None, cache_root=cache_root)

    return build


def _scalar_pruner(am: Any, objectives: Callable[..., Any], constraints: list[Callable[..., Any]] | None, X: Any,
                   seed: int) -> Callable[[Callable[[Any], Any]], Any] | None:
    """``prune(scalarize)``: the rows of ``X`` that are best under at least one of 2,048 joint
    posterior samples of ``scalarize(objectives)`` (infeasible samples last), what qLogNEI's
    ``prune_baseline=True`` keeps (botorch's ``prune_inferior_points``), with one set of samples
    drawn for every greedy step of a batch instead of a new set per step (ParEGO scalarises
    differently at each step; the per-step pruning was about 40 % of its acquisition time on 4
    objectives). ``None`` (botorch prunes) for ensembles; ``prune`` returns ``None``
    when no sample is feasible (botorch then keeps the row closest to feasibility)."""
    if am.kind != "posterior":
        return None
    import torch
    from botorch.sampling import SobolQMCNormalSampler
    from botorch.utils.objective import compute_feasibility_indicator

    shared: dict[str, Any] = {}

    def prune(scalarize: Callable[[Any], Any]) -> Any:
        if not shared:
            with torch.no_grad():
                Z = SobolQMCNormalSampler(sample_shape=torch.Size([2048]), seed=seed)(am.model.posterior(X))
                shared["Y"] = objectives(Z, X)  # (2048, n, n_objectives)
                shared["infeasible"] = ~compute_feasibility_indicator(constraints=constraints, samples=Z)
        values, infeasible = scalarize(shared["Y"]), shared["infeasible"]
        if infeasible.all():
            return None
        if infeasible.any():
            values = values.clone()
            values[infeasible] = values.min() - 1
        return X[torch.unique(values.argmax(dim=-1))]

    return prune


def _pruned_baseline(model: Any, X: Any, objective: Any, constraints: Any, ref_point: Any) -> Any:
    """What qLogNEHVI's ``prune_baseline=True`` keeps of ``X`` (botorch's
    ``prune_inferior_points_multi_objective``: the rows on the front of at least one of 2,048 joint
    posterior samples, above the reference point), with each sample's front found by
    :func:`_non_dominated` instead of botorch's loop over the rows, which it takes beyond 5 MB of
    comparisons (``benchmarks/front_speed.py`` times both): the same rows (tested). ``None`` where
    this botorch lacks the shared step (botorch then prunes)."""
    try:
        from botorch.acquisition.utils import _prune_inferior_shared_processing
    except ImportError:  # pragma: no cover - older botorch
        return None
    _, obj_vals, infeas = _prune_inferior_shared_processing(  # max_frac 1: every row may stay
        model=model, X=X, is_moo=True, objective=objective, constraints=constraints, num_samples=2048, max_frac=1.0)
    if obj_vals.ndim != 3 or obj_vals.shape[-2] != X.shape[-2]:  # pragma: no cover - batched models: botorch's path
        return None
    if infeas.any():
        obj_vals[infeas] = ref_point
    on_some_front = (_non_dominated(obj_vals) & (obj_vals > ref_point).all(dim=-1)).any(dim=0)
    return X[on_some_front.nonzero().view(-1)]


def _non_dominated(Y: Any) -> Any:
    """``(b, n)`` bool: rows of ``Y (b, n, m)`` (maximisation) no other row of their batch
    dominates; duplicates are all kept (botorch's ``is_non_dominated(deduplicate=False)``). Two
    objectives: one lexicographic sort per batch, ``O(n log n)``; otherwise pairwise in chunks."""
    import torch

    if Y.shape[-1] != 2 or Y.isnan().any():
        Y1, Y2 = Y.unsqueeze(-3), Y.unsqueeze(-2)
        chunk = max(1, 2_000_000 // max(Y.shape[-2] ** 2, 1))
        return torch.cat([~((a >= b).all(dim=-1) & (a > b).any(dim=-1)).any(dim=-1) & ~y.isnan().all(dim=-1)
                          for a, b, y in zip(Y1.split(chunk), Y2.split(chunk), Y.split(chunk))])
    by_second = torch.argsort(Y[..., 1], dim=-1, descending=True, stable=True)
    order = by_second.gather(-1, torch.argsort(Y[..., 0].gather(-1, by_second), dim=-1, descending=True, stable=True))
    first, second = Y[..., 0].gather(-1, order), Y[..., 1].gather(-1, order)  # (first, second) descending
    best_before = torch.cat([torch.full_like(second[..., :1], -torch.inf), second.cummax(dim=-1).values[..., :-1]], -1)
    n = Y.shape[-2]
    new_first = torch.cat([torch.ones_like(first[..., :1], dtype=torch.bool), first[..., 1:] != first[..., :-1]], -1)
    group_start = (torch.arange(n) * new_first).cummax(dim=-1).values
    best_of_larger_first = best_before.gather(-1, group_start)  # rows whose first objective is strictly larger
    dominated = (best_before > second) | (best_of_larger_first >= second)
    return torch.empty_like(dominated).scatter_(-1, order, ~dominated)


@functools.cache
def _every_member_class() -> type:
    from botorch.sampling.index_sampler import IndexSampler

    class EveryMember(IndexSampler):
        """Each of the ``size`` ensemble members exactly once (botorch's ``IndexSampler`` draws
        members at random, with repeats)."""

        def _construct_base_samples(self, posterior: Any) -> None:
            import torch

            size = self.sample_shape[0]
            index = torch.arange(size).reshape(size, *([1] * len(posterior.batch_shape)))
            self.base_samples = index.expand(size, *posterior.batch_shape)

    return EveryMember


def _every_member(size: int, seed: int) -> Any:
    import torch

    return _every_member_class()(sample_shape=torch.Size([size]), seed=seed)


def reference_point(Y_observed: np.ndarray, Y_exact_pool: np.ndarray) -> np.ndarray:
    """The hypervolume reference point (maximisation form): 10 % of the range below the worst
    value, per objective. Modelled objectives: of the observed values. Exact objectives (the
    columns of ``Y_exact_pool``, the last ones): of the observed *and* candidate values, which
    are known; a reference point from the observed range alone would give zero improvement to
    every candidate beyond it, and the search would never extend the front there (with FLOPs
    declared cheap it stopped short of the most accurate, most expensive architectures)."""
    k = Y_exact_pool.shape[1]
    both = [Y_observed[:, j] if j < Y_observed.shape[1] - k else
            np.concatenate([Y_observed[:, j], Y_exact_pool[:, j - (Y_observed.shape[1] - k)]]) for j in range(Y_observed.shape[1])]
    lo = np.array([b.min() for b in both])
    hi = np.array([b.max() for b in both])
    return lo - 0.1 * np.maximum(hi - lo, 1e-9)
