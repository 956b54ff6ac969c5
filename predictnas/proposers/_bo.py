"""Surrogate-driven Bayesian optimisation over a candidate pool (the default proposer)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from predictnas._determinism import pinned_step, seeded_torch
from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._acquisition import BatchProblem, reference_point, select_batch
from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.proposers._clock import PhaseClock
from predictnas.proposers._inputs import ModelInputs, fidelity_level
from predictnas.proposers._pool import generated_pool
from predictnas.proposers._selection import rank_and_crowding, training_subset
from predictnas.proposers._targets import Targets
from predictnas.spaces import Arch, SearchSpace

ACQUISITIONS = ("auto", "qlognehvi", "qlogehvi", "parego")


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
    """Multi-objective Bayesian optimisation: surrogate posteriors + botorch acquisition over a pool.

    Each step (after a random initial design of :func:`initial_design_size` trials):

    1. **Model.** The ``surrogate`` (a GP by default) on the ``encoding`` features models every
       objective not known exactly, and every constrained metric. Objectives declared ``cheap``
       that ``ctx.cheap`` knows are *not* modelled: they are exact feature columns, and the
       acquisition reads them from the candidates' inputs; so are the cheap statistics named in
       ``features`` (e.g. a zero-cost proxy: inputs only). GP hyperparameters are refitted when
       the data grew by ``refit_growth`` (see :func:`refit_schedule`); in between the GP is only
       conditioned on the new data. When trials failed, a second GP on success (1) / failure (0),
       refitted on the same schedule, gives each candidate's probability of success (``feasibility``).
    2. **Pool.** Every unseen architecture when the space has at most ``exhaustive_limit``
       distinct ones (e.g. all 6,466 distinct NAS-Bench-201 cells, or NAS-Bench-Graph's 25,478;
       counted by enumeration when the unconstrained space has at most 8x as many); otherwise at least ``pool_size`` from
       NSGA-II on the surrogate's predictions, mutations and crossovers of the observed Pareto
       set, and random samples. Candidates that break an exactly known constraint are dropped.
    3. **Shortlist.** The first non-dominated fronts of the optimistic bounds (the upper end of
       the ``beta``-std predictive interval; exact values as they are) until ``shortlist``
       candidates (cheap: one prediction each).
    4. **Acquisition.** Greedy sequential batch (``q = n``) over the shortlist with running trials
       pending, from what the surrogate offers (a joint posterior, or joint samples):
       ``qLogNEHVI`` for 2 objectives up to ``nehvi_limit`` complete trials (each candidate jointly
       with the pending ones, over every MC sample's front: the most sample-efficient, and its cost
       grows with the front); beyond that, and always for 3 objectives, ``qLogEHVI`` on one
       partitioning of the observed front plus the predicted means of pending and chosen
       candidates (Kriging believer), rescored lazily; ParEGO for 4+; ``qLogNEI`` for one. Each
       proposal records its ``acquisition``. Modelled constraints enter as feasibility
       probabilities; the probability of success multiplies the acquisition.

    Args:
        surrogate: ``"gp"`` (default), ``"xgboost"`` or ``"xgboost-quantile"``.
        surrogate_options: Keyword options of the surrogate (e.g. ``{"warp": None}``).
        encoding: Feature encoding (``"tabular"``, ``"onehot"``, ``"path"``, ``"graph"``, ``"sequence"``).
        acquisition: ``"auto"`` (see step 4), or always ``"qlognehvi"``, ``"qlogehvi"`` or
            ``"parego"`` (multi-objective only).
        n_initial: Random initial design size (default: :func:`initial_design_size`).
        pool_size: Minimum generated pool size.
        shortlist: Candidates scored by the acquisition function.
        mc_samples: Quasi-MC samples of the acquisition function (default: 64 for up to 2
            objectives, 32 for more).
        beta: Optimism of the shortlist bounds, in standard deviations.
        refit_growth: Relative data growth that triggers a GP hyperparameter refit.
        exhaustive_limit: Use every distinct architecture as the pool when there are at most this many.
        generations: NSGA-II generations on the surrogate (pool of 100).
        feasibility: Model the probability of success from failed trials.
        max_points: Beyond this many completed trials the surrogate is fitted and conditioned on a
            subset: the best non-dominated fronts (up to half) and an even spread over the rest
            (see :func:`~predictnas.proposers._selection.training_subset`). An exact GP costs
            ``O(n^3)``; this bounds a step's cost in long studies. The proposal records it (``model``: ``"gp on 600 of 5000"``).
        max_baseline: Observed trials the acquisition improves on (``X_baseline``): the best
            non-dominated fronts up to this many.
        nehvi_limit: Complete trials up to which ``"auto"`` uses ``qLogNEHVI`` for 2 objectives
            (beyond, its cost has grown with the front; ``qLogEHVI`` is 2-3x faster there at the same HV).
        min_success: After failures, the shortlist leaves out candidates whose probability of
            success is below this while a quarter of the shortlist remains.
        success_caution: The probability of success is the success GP's mean less this many
            standard deviations: cells unlike any evaluated one count as less safe.
        features: Cheap statistics (names ``ctx.cheap`` gives, e.g. a zero-cost proxy) added to
            the model inputs, one kernel term for them; candidates without them are left out.
        lazy: Greedy steps after the first rescore only candidates whose last value could still
            win (lazy greedy); ``False`` rescores every candidate at every step.
        fidelities: Learn from trials stopped early too: their last values with their fidelity
            as a model input (one kernel term; candidates and the observed front are predicted
            at the target fidelity). ``False``: complete trials only.
    """

    use_when: ClassVar[str] = ("the default: evaluations are expensive (training, a supernet, a benchmark lookup you "
                               "pay for) and you want the front in the fewest of them")

    def __init__(self, *, surrogate: str = "gp", surrogate_options: Mapping[str, Any] | None = None,
                 encoding: str = "tabular", acquisition: str = "auto", n_initial: int | None = None,
                 pool_size: int = 10_000, shortlist: int = 256, mc_samples: int | None = None, beta: float = 2.0,
                 refit_growth: float = 0.5, exhaustive_limit: int = 30_000, generations: int = 6,
                 feasibility: bool = True, max_points: int = 600, max_baseline: int = 128,
                 nehvi_limit: int = 100, min_success: float = 0.8, success_caution: float = 0.5,
                 features: str | Sequence[str] = (), lazy: bool = True, fidelities: bool = True) -> None:
        from predictnas.encoders import ENCODERS
        from predictnas.surrogates import surrogate_class

        self._surrogate_class = surrogate_class(surrogate, where=f"surrogate={surrogate!r}")  # a name or an entry point
        ENCODERS.resolve(encoding, where=f"encoding={encoding!r}")
        if acquisition not in ACQUISITIONS:
            raise InvalidSpecError(f"acquisition={acquisition!r} is not one of {list(ACQUISITIONS)}.")
        for name, value in {"pool_size": pool_size, "shortlist": shortlist, "mc_samples": mc_samples or 1,
                            "generations": generations, "max_points": max_points, "max_baseline": max_baseline,
                            "nehvi_limit": nehvi_limit}.items():
            if not isinstance(value, int) or value < 1:
                raise InvalidSpecError(f"{name} must be a positive integer; got {value!r}.")
        if n_initial is not None and (not isinstance(n_initial, int) or n_initial < 2):
            raise InvalidSpecError(f"n_initial must be an integer >= 2; got {n_initial!r}.")
        self.surrogate, self.surrogate_options = surrogate, dict(surrogate_options or {})
        self._make_surrogate()  # options checked now, not at the first step
        self.acquisition, self.encoding, self.n_initial = acquisition, encoding, n_initial
        self.pool_size, self.shortlist, self.mc_samples, self.beta = pool_size, shortlist, mc_samples, float(beta)
        self.refit_growth, self.exhaustive_limit, self.generations = float(refit_growth), exhaustive_limit, generations
        for name, flag in (("feasibility", feasibility), ("lazy", lazy), ("fidelities", fidelities)):
            if not isinstance(flag, bool):  # "False" from a command line would be truthy
                raise InvalidSpecError(f"{name} must be true or false; got {flag!r}.")
        self.feasibility, self.max_points, self.max_baseline = feasibility, max_points, max_baseline
        self.nehvi_limit = nehvi_limit
        for name, value, rule, allowed in (("min_success", min_success, lambda v: 0 <= v < 1, "a number in [0, 1)"),
                                           ("success_caution", success_caution, lambda v: v >= 0, "a number >= 0")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not rule(value):
                raise InvalidSpecError(f"{name} must be {allowed}; got {value!r}.")
        self.min_success, self.success_caution = float(min_success), float(success_caution)
        self.lazy, self.fidelities = lazy, fidelities
        self.features = (features,) if isinstance(features, str) else tuple(features)
        if not all(isinstance(f, str) and f for f in self.features):
            raise InvalidSpecError(f"features must be names of cheap statistics; got {features!r}.")
        self._space: SearchSpace | None = None
        self._fits: OrderedDict[str, Any] = OrderedDict()  # GP hyperparameter fits by data hash (a pure cache)
        self._priors: dict[str, Any] = {}  # warm start: GPs of earlier studies by data hash (a pure cache)
        self._transfer: Any = None
        self._ctx_priors: tuple[Any, ...] = ()
        self.last_step: dict[str, Any] = {}  # what the last step did (recorded in the study file)

    def _make_surrogate(self, seed: int = 0, groups: list[list[int]] | None = None) -> Any:
        """The surrogate, given ``seed`` and ``groups`` when its capabilities say it takes them."""
        from predictnas.surrogates import make_surrogate

        try:
            return make_surrogate(self.surrogate, groups=groups, seed=seed, **self.surrogate_options)
        except TypeError as exc:
            raise InvalidSpecError(f"surrogate_options {self.surrogate_options!r} for {self.surrogate!r}: {exc}.") from None

    def step_report(self) -> dict[str, Any]:
        return dict(self.last_step)

    def model_spec(self) -> dict[str, Any]:
        return {"surrogate": self.surrogate, "encoding": self.encoding, "features": list(self.features)}

    # -- the step ---------------------------------------------------------------------------------
    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        with pinned_step(rng):
            return self._propose(ctx, n, rng)

    def _propose(self, ctx: ProposalContext, n: int, rng: np.random.Generator) -> list[Arch]:
        taken = set(ctx.seen_keys)
        n_initial = self.n_initial or initial_design_size(ctx.space)
        self.last_step = {"model": "random"}
        targets = Targets.of(ctx, self.features) if ctx.complete or (self.fidelities and ctx.stopped) else None
        done, fidelity = self._observations(ctx, targets) if targets is not None else ([], None)
        if len(done) < max(n_initial, 3):
            if ctx.warm_start:
                self.last_step = {"model": "warm-start front"}
                return _prior_front(ctx, n, rng, taken)
            return fresh_random(ctx, n, rng, taken)
        clock = PhaseClock()
        self._prepare(ctx.space)
        self._ctx_priors = ctx.warm_start
        self._transfer = self._transfer_model(ctx) if ctx.warm_start else None
        n_transfer = sum(len(p.values) for p in ctx.warm_start) if self._transfer is not None else 0
        assert targets is not None
        inputs = ModelInputs(self._features, targets, self._transfer, n_transfer, fidelity=fidelity is not None)
        X, Y = inputs([t.arch for t in done], fidelity=1.0 if fidelity is None else fidelity), targets.model_targets(done)
        exact = inputs.exact_columns
        if any(np.ptp(X[:, c]) == 0 for c in exact):  # an exact objective is constant so far
            return fresh_random(ctx, n, rng, taken)
        with clock("fit"):
            F = np.concatenate([-Y[:, :len(targets.modelled)], -X[:, exact]], axis=1)  # minimisation form
            model, n_used = self._fit(X, Y, F, rng, inputs.layout.groups())
            success = self._success_model(ctx, inputs, done, X) if self.feasibility and ctx.failed else None
            X_target, Y_target = X, Y  # every observed architecture at the target fidelity
            if fidelity is not None:
                X_target = inputs([t.arch for t in done])
                low = fidelity < 1
                Y_target = Y.copy()
                Y_target[low] = model.predict(X_target[low])[0]  # believed at the target fidelity
        with clock("pool"):
            pool, X_pool = self._pool(ctx, inputs, model, rng, taken)
        self.last_step = {"model": self.surrogate if n_used == len(X) else f"{self.surrogate} on {n_used} of {len(X)}",
                          "pool": len(pool), "feasibility": success is not None}
        if fidelity is not None:
            self.last_step["lower_fidelity"] = int((fidelity < 1).sum())
        if not pool:
            return fresh_random(ctx, n, rng, taken)
        with clock("shortlist"):
            p_success = self._p_success(success, X_pool) if success is not None else None
            short = self._shortlist(inputs, model, X_pool, p_success)
        with clock("acquisition"):
            _, violation = targets.exact_values([t.arch for t in done])
            feasible = np.flatnonzero(violation == 0) if (violation == 0).any() else np.arange(len(done))
            Y_all = np.concatenate([Y_target[:, :len(targets.modelled)], X[:, exact]], axis=1)
            base = feasible[training_subset(-Y_all[feasible], self.max_baseline)]  # the relevant observed trials
            problem = BatchProblem(len(targets.modelled), exact, targets.constraint_specs(), Y_all[base],
                                   reference_point(Y_all[feasible], X_pool[:, exact]))
            X_pending = inputs(list(ctx.pending)) if ctx.pending else None
            support = np.concatenate([X_target[base], X_pool[short]] + ([X_pending] if X_pending is not None else []))
            n_obj = problem.n_objectives
            mode = self.last_step["acquisition"] = self._mode(n_obj, len(done))
            mc = self.mc_samples or (64 if n_obj <= 2 else 32)
            am = model.acquisition_model(support, n_samples=mc, rng=rng)
            picked = select_batch(am, problem, X_baseline=X_target[base], X_cand=X_pool[short], X_pending=X_pending, q=n, mode=mode,
                                  mc_samples=mc, seed=int(rng.integers(2**31)),
                                  log_weights=np.log(p_success[short]) if p_success is not None else None, lazy=self.lazy)
        self.last_step["phase_seconds"] = clock.seconds
        out = [pool[short[i]] for i in picked]
        taken.update(ctx.space.canonical_key(a) for a in out)
        if len(out) < n:
            out += fresh_random(ctx, n - len(out), rng, taken)
        return out

    # -- pieces -----------------------------------------------------------------------------------
    def _observations(self, ctx: ProposalContext, targets: Targets) -> tuple[list[Any], np.ndarray | None]:
        """The trials the model learns from and, when some were stopped early (and ``fidelities``),
        their fidelity ``(n,)`` in [0, 1]: ``log(step) / log(target step)``, 1 for complete trials.
        The target step is ``ctx.target_fidelity`` (else the largest stopped step stands for it)."""
        names = targets.modelled_metrics
        low = [t for t in ctx.stopped if t.fidelity and all(k in t.values for k in names)] if self.fidelities else []
        if not low:
            return list(ctx.complete), None
        target = ctx.target_fidelity or max(t.fidelity for t in low)
        level = np.array([fidelity_level(t.fidelity, target) for t in low])  # a stopped trial stays below 1:
        return list(ctx.complete) + low, np.concatenate([np.ones(len(ctx.complete)), np.minimum(level, 1.0 - 1e-9)])

    def _mode(self, n_objectives: int, n_complete: int) -> str:
        """The acquisition of a step (see :func:`~predictnas.proposers._acquisition.select_batch`)."""
        if n_objectives == 1:
            return "single"
        if self.acquisition != "auto":
            return self.acquisition
        if n_objectives >= 4:
            return "parego"
        return "qlognehvi" if n_objectives == 2 and n_complete <= self.nehvi_limit else "qlogehvi"

    def _prepare(self, space: SearchSpace) -> None:
        """Caches what depends on the space only: the encoder and, if small, the whole space."""
        if self._space is space:
            return
        from predictnas.encoders import ArchFeatures

        self._space, self._features = space, ArchFeatures(self.encoding).fit(space)
        self._all = space.enumerate_unique(8 * self.exhaustive_limit)  # constraints and classes shrink the raw count
        if self._all is not None and len(self._all) > self.exhaustive_limit:
            self._all = None
        self._all_X = self._features.transform([a for _, a in self._all]) if self._all else None

    def _transfer_model(self, ctx: ProposalContext) -> Any:
        """``(encoded rows) -> (n, k)``: per earlier study and mapped objective, the prediction of
        a GP fitted on the earlier study's observations (a pure function of them, cached). The
        new study's GP weighs these columns like any other (their own kernel term): an unrelated
        earlier study ends up ignored once the new data contradict it."""
        from predictnas.surrogates import GPSurrogate

        models = []
        for prior in ctx.warm_start:
            names = sorted(prior.values)
            X = self._features.transform(list(prior.archs))
            Y = np.stack([prior.values[k] for k in names], axis=1)
            digest = hashlib.sha1(X.tobytes() + Y.tobytes()).hexdigest()
            if digest not in self._priors:
                keep = training_subset(-Y, self.max_points)
                with seeded_torch(int(digest[:15], 16)):
                    self._priors[digest] = GPSurrogate(groups=self._features.layout_.groups()).fit(X[keep], Y[keep])
            models.append(self._priors[digest])
        return lambda enc: np.concatenate([m.predict(enc)[0] for m in models], axis=1)

    def _fit(self, X: np.ndarray, Y: np.ndarray, F: np.ndarray, rng: np.random.Generator,
             groups: list[list[int]]) -> tuple[Any, int]:
        """The fitted surrogate and how many trials it is conditioned on (at most ``max_points``,
        see :func:`~predictnas.proposers._selection.training_subset`). A GP's hyperparameters are fitted on the first
        :func:`refit_schedule` trials (cached by data) and it is conditioned on the current rows."""
        keep = training_subset(F, self.max_points)
        if not self._surrogate_class.conditions_on_data:  # fitted afresh at every step
            return self._make_surrogate(seed=int(rng.integers(2**31)), groups=groups).fit(X[keep], Y[keep]), len(keep)
        n_fit = refit_schedule(len(X), self.refit_growth)
        rows = training_subset(F[:n_fit], self.max_points)
        digest = hashlib.sha1(X[rows].tobytes() + Y[rows].tobytes()).hexdigest()
        fitted = self._cached_fit(digest, int(digest[:15], 16), lambda: self._make_surrogate(groups=groups).fit(X[rows], Y[rows]))
        same = len(rows) == len(keep) and (rows == keep).all()
        return (fitted if same else fitted.with_data(X[keep], Y[keep])), len(keep)

    def _cached_fit(self, digest: str, seed: int, fit: Any) -> Any:
        """``fit()`` run with torch seeded by ``seed``, cached under ``digest`` (a hash of the rows
        it fits): a pure function of the data, so a resumed study refits to the same model. The
        last 8 fits are kept."""
        fitted = self._fits.get(digest)
        if fitted is None:
            with seeded_torch(seed):
                fitted = fit()
            self._fits[digest] = fitted
            while len(self._fits) > 8:
                self._fits.popitem(last=False)
        return fitted

    def _success_model(self, ctx: ProposalContext, inputs: ModelInputs, done: Sequence[Any], X_done: np.ndarray) -> Any:
        """A GP on success (1) / failure (0) of every finished trial (label regression): its
        mean, clipped to [0.01, 1], is a candidate's probability of success. Rows in trial order;
        like the objectives' GP, its hyperparameters are fitted on the first
        :func:`refit_schedule` rows (cached by data) and it is conditioned on all of them."""
        from predictnas.surrogates import GPSurrogate

        X_failed = np.nan_to_num(inputs([t.arch for t in ctx.failed]))
        order = np.argsort([t.number for t in done] + [t.number for t in ctx.failed], kind="stable")
        X = np.concatenate([X_done, X_failed])[order]
        y = np.concatenate([np.ones(len(X_done)), np.zeros(len(X_failed))])[order][:, None]
        if len(X) > self.max_points:  # an even spread of each class, seeded by the data
            rng = np.random.default_rng(int.from_bytes(hashlib.sha1(X.tobytes()).digest()[:8], "little"))
            ok, bad = np.flatnonzero(y[:, 0] == 1), np.flatnonzero(y[:, 0] == 0)
            n_failed = min(len(bad), self.max_points // 2)
            rows = np.sort(np.concatenate([rng.choice(ok, self.max_points - n_failed, replace=False),
                                           rng.choice(bad, n_failed, replace=False)]))
            X, y = X[rows], y[rows]
        n_fit = refit_schedule(len(X), self.refit_growth)
        if np.ptp(y[:n_fit]) == 0:  # the first rows all succeeded (or all failed): nothing to fit on yet
            n_fit = len(X)
        digest = "success:" + hashlib.sha1(X[:n_fit].tobytes() + y[:n_fit].tobytes()).hexdigest()
        fitted = self._cached_fit(digest, 0, lambda: GPSurrogate(groups=inputs.layout.groups(), warp=None).fit(X[:n_fit], y[:n_fit]))
        return fitted if n_fit == len(X) else fitted.with_data(X, y)

    def _p_success(self, success: Any, X: np.ndarray) -> np.ndarray:
        """``(n,)`` probability of success: the success GP's mean less ``success_caution`` of its
        std (unexplored cells near successes count as less safe), clipped to [0.01, 1]."""
        mean, std = success.predict(X)
        return np.clip(mean[:, 0] - self.success_caution * std[:, 0], 0.01, 1.0)

    def _pool(self, ctx: ProposalContext, inputs: ModelInputs, model: Any, rng: np.random.Generator,
              taken: set[str]) -> tuple[list[Arch], np.ndarray]:
        targets, n_enc = inputs.targets, self._features.layout_.width
        if self._all is not None:
            idx = np.array([i for i, (key, _) in enumerate(self._all) if key not in taken], dtype=int)
            pool = [self._all[i][1] for i in idx]
            encoded = self._all_X[idx] if len(idx) else np.zeros((0, n_enc))
        else:
            m_mod = len(targets.modelled)
            n_exact_c = 1 if targets.exact_constraints else 0

            def score(archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray | None]:
                Xs = inputs(archs)
                mean = model.predict(np.nan_to_num(Xs))[0]
                exact, violation = targets.exact_values(archs)
                F = -np.concatenate([mean[:, :m_mod], np.nan_to_num(exact, nan=-1e30)], axis=1)
                G = np.nan_to_num(violation, nan=1e30)[:, None] if n_exact_c else None
                return F, G

            pool = generated_pool(ctx, score, n_obj=len(ctx.objectives), n_constr=n_exact_c, size=self.pool_size,
                                  pop_size=100, generations=self.generations, rng=rng, taken=taken)
            encoded = self._features.transform(pool) if pool else np.zeros((0, n_enc))
        X_pool = inputs(pool, encoded)
        _, violation = targets.exact_values(pool)
        ok = np.isfinite(X_pool).all(axis=1) & (violation == 0)
        keep = np.flatnonzero(ok)
        return [pool[i] for i in keep], X_pool[keep]

    def _shortlist(self, inputs: ModelInputs, model: Any, X_pool: np.ndarray, p_success: np.ndarray | None) -> np.ndarray:
        """Indices of the candidates the acquisition function scores."""
        from scipy.stats import norm

        if len(X_pool) <= self.shortlist:
            return np.arange(len(X_pool))
        targets = inputs.targets
        m_mod = len(targets.modelled)
        # optimism of beta of the model's own stds (calibrated intervals are for reporting)
        low, high = model.interval(X_pool, level=2 * norm.cdf(self.beta) - 1, calibrated=False)
        F = -np.concatenate([high[:, :m_mod], X_pool[:, inputs.exact_columns]], axis=1)
        likely = np.ones(len(X_pool))
        if targets.modelled_constraints:
            mean, std = model.predict(X_pool)
            for i, sign, bound in targets.constraint_specs():
                likely *= norm.cdf(-sign * (mean[:, i] - bound) / std[:, i])
        candidates = np.arange(len(X_pool))
        if (likely >= 0.01).sum() >= self.shortlist:
            candidates = np.flatnonzero(likely >= 0.01)
        if p_success is not None:  # candidates more likely to fail than not: only when nothing else is left
            likely_ok = candidates[p_success[candidates] >= self.min_success]
            candidates = likely_ok if len(likely_ok) >= min(self.shortlist, len(candidates)) // 4 else candidates
        if F.shape[1] == 1:
            return candidates[np.argsort(F[candidates, 0], kind="stable")[: self.shortlist]]
        return candidates[rank_and_crowding(F[candidates], self.shortlist)]


def _prior_front(ctx: ProposalContext, n: int, rng: np.random.Generator, taken: set[str]) -> list[Arch]:
    """The initial design of a warm start: the earlier studies' best unseen architectures for the
    new objectives (whole non-dominated fronts, the last one cut by crowding distance), topped
    up with random ones."""
    archs, rows = [], []
    for prior in ctx.warm_start:
        for i, arch in enumerate(prior.archs):
            archs.append(arch)
            rows.append([prior.values[o.name][i] * (-1.0 if o.direction == "maximize" else 1.0) if o.name in prior.values
                         else np.nan for o in ctx.objectives])
    F = np.array(rows, dtype=np.float64)
    F = F[:, ~np.isnan(F).any(axis=0)] if len(F) else F
    unseen, keys = [], set()
    for i, arch in enumerate(archs):
        key = ctx.space.canonical_key(arch)
        if key not in taken and key not in keys:
            keys.add(key)
            unseen.append(i)
    if not unseen or F.shape[1] == 0:
        return fresh_random(ctx, n, rng, taken)
    F, picked = F[unseen], []
    order = rank_and_crowding(F, min(n, len(unseen))) if F.shape[1] > 1 else np.argsort(F[:, 0])[:n]
    for i in order:
        picked.append(archs[unseen[int(i)]])
        taken.add(ctx.space.canonical_key(picked[-1]))
    return picked + fresh_random(ctx, n - len(picked), rng, taken)
