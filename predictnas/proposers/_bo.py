"""Surrogate-driven Bayesian optimisation over a candidate pool (the default proposer)."""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.proposers._pool import enumerate_unique, generated_pool
from predictnas.proposers._targets import Targets
from predictnas.spaces import Arch, SearchSpace

ACQUISITIONS = ("auto", "qlognehvi", "parego")


def initial_design_size(space: SearchSpace) -> int:
    """Random trials before the first model: the number of parameters + 2, between 6 and 20."""
    return int(np.clip(len(space.param_names) + 2, 6, 20))


def refit_schedule(n: int, growth: float) -> int:
    """The number of first trials the GP hyperparameters are fitted on when ``n`` are complete:
    the largest ``round(4 * (1 + growth) ** k) <= n``. Between refits the GP is conditioned on
    all ``n`` trials with the last fitted hyperparameters, so a refit happens each time the data
    grew by ``growth``, and a resumed study fits on exactly the same trials."""
    size, k = 4, 0
    while True:
        nxt = max(size + 1, int(round(4 * (1 + growth) ** (k + 1))))
        if nxt > n:
            return min(size, n)
        size, k = nxt, k + 1


class BayesOptProposer(Proposer):
    """Multi-objective Bayesian optimisation: GP posteriors + botorch acquisition over a pool.

    Each step (after a random initial design of :func:`initial_design_size` trials):

    1. **Model.** A :class:`~predictnas.surrogates.GPSurrogate` (``ModelListGP``) on the
       ``encoding`` features models every objective not known exactly, and every constrained
       metric. Objectives declared ``cheap`` that ``ctx.cheap`` knows are *not* modelled: they
       are exact feature columns, and the acquisition reads them from the candidates' inputs.
       Hyperparameters are refitted when the data grew by ``refit_growth`` (see
       :func:`refit_schedule`); in between the GP is only conditioned on the new data.
    2. **Pool.** Every unseen architecture when the space has at most ``exhaustive_limit``
       (e.g. all 6,466 distinct NAS-Bench-201 cells); otherwise at least ``pool_size`` from
       NSGA-II on the surrogate's means, mutations and crossovers of the observed Pareto set,
       and random samples. Candidates that break an exactly known constraint are dropped.
    3. **Shortlist.** The first non-dominated fronts of the optimistic bounds (mean + ``beta``
       std, exact values as they are) until ``shortlist`` candidates (cheap: one prediction each).
    4. **Acquisition.** Greedy sequential batch (``q = n``) over the shortlist with running trials
       as ``X_pending``: ``qLogNEHVI`` for 2-3 objectives, ParEGO (``qLogNEI`` on a random
       Chebyshev scalarisation per batch element) for 4+, ``qLogNEI`` for one objective. Modelled
       constraints enter as feasibility probabilities (botorch ``constraints``).

    Args:
        acquisition: ``"auto"``, ``"qlognehvi"`` or ``"parego"`` (multi-objective only).
        encoding: Feature encoding for the GP (``"tabular"``, ``"path"``, ``"graph"``, ``"sequence"``).
        n_initial: Random initial design size (default: :func:`initial_design_size`).
        pool_size: Minimum generated pool size.
        shortlist: Candidates scored by the acquisition function.
        mc_samples: Quasi-MC samples of the acquisition function (default: 64 for up to 2
            objectives, 32 for more, where each sample's box decomposition dominates the cost).
        beta: Optimism of the shortlist bounds, in standard deviations.
        refit_growth: Relative data growth that triggers a hyperparameter refit.
        exhaustive_limit: Use every architecture as the pool up to this raw space size.
        generations: NSGA-II generations on the surrogate (pool of 100).
    """

    def __init__(self, *, acquisition: str = "auto", encoding: str = "tabular", n_initial: int | None = None,
                 pool_size: int = 10_000, shortlist: int = 256, mc_samples: int | None = None, beta: float = 2.0,
                 refit_growth: float = 0.2, exhaustive_limit: int = 20_000, generations: int = 6) -> None:
        from predictnas.encoders import ENCODERS

        if acquisition not in ACQUISITIONS:
            raise InvalidSpecError(f"acquisition={acquisition!r} is not one of {list(ACQUISITIONS)}.")
        if encoding not in ENCODERS:
            raise InvalidSpecError(f"encoding={encoding!r} is not one of {sorted(ENCODERS)}.")
        for name, value in {"pool_size": pool_size, "shortlist": shortlist, "mc_samples": mc_samples or 1,
                            "generations": generations}.items():
            if not isinstance(value, int) or value < 1:
                raise InvalidSpecError(f"{name} must be a positive integer; got {value!r}.")
        if n_initial is not None and (not isinstance(n_initial, int) or n_initial < 2):
            raise InvalidSpecError(f"n_initial must be an integer >= 2; got {n_initial!r}.")
        self.acquisition, self.encoding, self.n_initial = acquisition, encoding, n_initial
        self.pool_size, self.shortlist, self.mc_samples, self.beta = pool_size, shortlist, mc_samples, float(beta)
        self.refit_growth, self.exhaustive_limit, self.generations = float(refit_growth), exhaustive_limit, generations
        self._space: SearchSpace | None = None
        self._fits: OrderedDict[str, Any] = OrderedDict()  # hyperparameter fits by data hash (a pure cache)
        self.last_pool_size = 0  # candidates in the last step's pool (diagnostics)

    # -- the step ---------------------------------------------------------------------------------
    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        taken = set(ctx.seen_keys)
        n_initial = self.n_initial or initial_design_size(ctx.space)
        if len(ctx.complete) < max(n_initial, 3):
            return fresh_random(ctx, n, rng, taken)
        self._prepare(ctx.space)
        targets = Targets.of(ctx)
        done = list(ctx.complete)
        X = self._inputs(targets, [t.arch for t in done])
        gp = self._surrogate(X, targets.model_targets(done))
        exact_cols = [self._n_enc + i for i in range(len(targets.exact))]
        if not all(c in gp.keep_ for c in exact_cols):  # an exact objective is constant so far
            return fresh_random(ctx, n, rng, taken)
        pool, X_pool = self._pool(ctx, targets, gp, rng, taken)
        self.last_pool_size = len(pool)
        if not pool:
            return fresh_random(ctx, n, rng, taken)
        short = self._shortlist(targets, gp, X_pool)
        X_pending = self._inputs(targets, list(ctx.pending)) if ctx.pending else None
        picked = _acquire(self, ctx, targets, gp, X, X_pool[short], X_pending, n, rng)
        out = [pool[short[i]] for i in picked]
        taken.update(ctx.space.canonical_key(a) for a in out)
        if len(out) < n:
            out += fresh_random(ctx, n - len(out), rng, taken)
        return out

    # -- pieces -----------------------------------------------------------------------------------
    def _prepare(self, space: SearchSpace) -> None:
        """Caches what depends on the space only: the encoder and, if small, the whole space."""
        if self._space is space:
            return
        from predictnas.surrogates import ArchFeatures

        self._space, self._features = space, ArchFeatures(self.encoding).fit(space)
        self._n_enc = self._features.transform(space.sample(1, rng=np.random.default_rng(0))).shape[1]
        self._all = enumerate_unique(space, self.exhaustive_limit)
        self._all_X = self._features.transform([a for _, a in self._all]) if self._all else None

    def _inputs(self, targets: Targets, archs: Sequence[Arch], encoded: np.ndarray | None = None) -> np.ndarray:
        return targets.inputs(self._features, archs, encoded)

    def _surrogate(self, X: np.ndarray, Y: np.ndarray) -> Any:
        from predictnas.surrogates import GPSurrogate

        n_fit = refit_schedule(len(X), self.refit_growth)
        digest = hashlib.sha1(X[:n_fit].tobytes() + Y[:n_fit].tobytes()).hexdigest()
        fitted = self._fits.get(digest)
        if fitted is None:
            fitted = GPSurrogate().fit(X[:n_fit], Y[:n_fit])
            self._fits[digest] = fitted
            while len(self._fits) > 4:
                self._fits.popitem(last=False)
        return fitted if n_fit == len(X) else fitted.with_data(X, Y)

    def _pool(self, ctx: ProposalContext, targets: Targets, gp: Any, rng: np.random.Generator,
              taken: set[str]) -> tuple[list[Arch], np.ndarray]:
        if self._all is not None:
            idx = np.array([i for i, (key, _) in enumerate(self._all) if key not in taken], dtype=int)
            pool = [self._all[i][1] for i in idx]
            encoded = self._all_X[idx] if len(idx) else np.zeros((0, self._n_enc))
        else:
            m_mod = len(targets.modelled)
            n_exact_c = 1 if targets.exact_constraints else 0

            def score(archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray | None]:
                Xs = self._inputs(targets, archs)
                mean = gp.predict(np.nan_to_num(Xs))[0]
                exact, violation = targets.exact_values(archs)
                F = -np.concatenate([mean[:, :m_mod], np.nan_to_num(exact, nan=-1e30)], axis=1)
                G = np.nan_to_num(violation, nan=1e30)[:, None] if n_exact_c else None
                return F, G

            pool = generated_pool(ctx, score, n_obj=len(ctx.objectives), n_constr=n_exact_c, size=self.pool_size,
                                  pop_size=100, generations=self.generations, rng=rng, taken=taken)
            encoded = self._features.transform(pool) if pool else np.zeros((0, self._n_enc))
        X_pool = self._inputs(targets, pool, encoded)
        _, violation = targets.exact_values(pool)
        ok = np.isfinite(X_pool).all(axis=1) & (violation == 0)
        keep = np.flatnonzero(ok)
        return [pool[i] for i in keep], X_pool[keep]

    def _shortlist(self, targets: Targets, gp: Any, X_pool: np.ndarray) -> np.ndarray:
        """Indices of the candidates the acquisition function scores."""
        from scipy.stats import norm

        if len(X_pool) <= self.shortlist:
            return np.arange(len(X_pool))
        mean, std = gp.predict(X_pool)
        m_mod = len(targets.modelled)
        optimistic = mean[:, :m_mod] + self.beta * std[:, :m_mod]
        F = -np.concatenate([optimistic, X_pool[:, self._n_enc:]], axis=1)
        candidates = np.arange(len(X_pool))
        if targets.modelled_constraints:
            p = np.ones(len(X_pool))
            for pos, j in enumerate(targets.modelled_constraints):
                c, col = targets.ctx.constraints[j], m_mod + pos
                z = (c.bound - mean[:, col]) / std[:, col]
                p *= norm.cdf(z if c.op == "<=" else -z)
            if (p >= 0.01).sum() >= self.shortlist:
                candidates = np.flatnonzero(p >= 0.01)
        if F.shape[1] == 1:
            return candidates[np.argsort(F[candidates, 0], kind="stable")[: self.shortlist]]
        return candidates[_rank_and_crowding(F[candidates], self.shortlist)]


def _rank_and_crowding(F: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` rows of ``F`` (minimisation) chosen by NSGA-II survival: whole
    non-dominated fronts in order, the last one cut by crowding distance (pymoo)."""
    from pymoo.core.population import Population
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    pop = Population.new(F=F, index=np.arange(len(F)))
    survivors = RankAndCrowding().do(Problem(n_var=1, n_obj=F.shape[1]), pop, n_survive=n,
                                     random_state=np.random.default_rng(0))
    return np.sort(np.asarray(survivors.get("index"), dtype=int))


def _acquire(self: BayesOptProposer, ctx: ProposalContext, targets: Targets, gp: Any, X: np.ndarray,
             X_cand: np.ndarray, X_pending: np.ndarray | None, q: int, rng: np.random.Generator) -> list[int]:
    """Greedy sequential batch: ``q`` indices into ``X_cand`` chosen by the acquisition function."""
    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.acquisition.multi_objective.objective import GenericMCMultiOutputObjective
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.sampling import SobolQMCNormalSampler
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization
    from botorch.utils.sampling import sample_simplex
    from linear_operator.utils.warnings import NumericalWarning

    m_mod = len(targets.modelled)
    exact_pos = [int(np.flatnonzero(gp.keep_ == self._n_enc + i)[0]) for i in range(len(targets.exact))]

    def objectives(Z: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
        parts = [Z[..., :m_mod]]
        if exact_pos:
            assert X is not None
            parts.append(X[..., exact_pos].expand(*Z.shape[:-1], len(exact_pos)))
        return torch.cat(parts, dim=-1)

    # baseline: observed trials that satisfy the exactly known constraints
    _, violation = targets.exact_values([t.arch for t in ctx.complete])
    base = X[violation == 0] if (violation == 0).any() else X
    tX = gp.transform_inputs
    X_base, cand = tX(base), tX(X_cand)
    pending = tX(X_pending) if X_pending is not None else None
    Y_obs = torch.cat([torch.as_tensor(targets.model_targets(ctx.complete)[:, :m_mod]), tX(X)[:, exact_pos]], dim=-1)
    constraints = targets.constraint_callables() or None
    n_obj = Y_obs.shape[-1]
    mode = "single" if n_obj == 1 else ("parego" if self.acquisition == "parego" or (self.acquisition == "auto" and n_obj >= 4)
                                        else "qlognehvi")
    seed = int(rng.integers(2**31))

    n_mc = self.mc_samples or (64 if n_obj <= 2 else 32)

    def sampler() -> SobolQMCNormalSampler:
        return SobolQMCNormalSampler(sample_shape=torch.Size([n_mc]), seed=seed)

    def build(step: int, X_pend: torch.Tensor | None) -> Any:
        if mode == "qlognehvi":
            lo, hi = Y_obs.min(0).values, Y_obs.max(0).values
            ref = lo - 0.1 * (hi - lo).clamp_min(1e-9)
            return qLogNoisyExpectedHypervolumeImprovement(
                model=gp.model, ref_point=ref, X_baseline=X_base, sampler=sampler(),
                objective=GenericMCMultiOutputObjective(objectives), constraints=constraints,
                X_pending=X_pend, prune_baseline=True, cache_root=True)
        if mode == "parego":
            weights = sample_simplex(n_obj, n=1, seed=seed + step, dtype=Y_obs.dtype)[0]
            scalarize = get_chebyshev_scalarization(weights, Y_obs)
            objective = GenericMCObjective(lambda Z, X=None: scalarize(objectives(Z, X)))
        else:
            objective = GenericMCObjective(lambda Z, X=None: objectives(Z, X)[..., 0])
        return qLogNoisyExpectedImprovement(model=gp.model, X_baseline=X_base, sampler=sampler(), objective=objective,
                                            constraints=constraints, X_pending=X_pend, prune_baseline=True)

    chosen: list[int] = []
    acq = None
    with warnings.catch_warnings():
        # jitter added to joint posteriors of near-duplicate candidates: expected, harmless
        warnings.simplefilter("ignore", NumericalWarning)
        for step in range(min(q, len(cand))):
            acq = _greedy_step(acq, step, chosen, cand, pending, build, mode)
    return chosen


def _greedy_step(acq: Any, step: int, chosen: list[int], cand: Any, pending: Any, build: Any, mode: str) -> Any:
    """Adds the best candidate given the pending ones and those already chosen; returns the
    acquisition function (qLogNEHVI is reused with updated ``X_pending``)."""
    import torch

    parts = [t for t in (pending, cand[chosen] if chosen else None) if t is not None]
    X_pend = torch.cat(parts) if parts else None
    if acq is None or mode != "qlognehvi":
        acq = build(step, X_pend)
    else:
        acq.set_X_pending(X_pend)
    with torch.no_grad():
        values = torch.cat([acq(chunk[:, None, :]) for chunk in cand.split(512)])
    values[chosen] = -torch.inf
    chosen.append(int(values.argmax()))
    return acq
