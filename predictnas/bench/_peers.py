"""Peers of the benchmark suite from other libraries: pymoo NSGA-II, Syne Tune (multi-objective
regularized evolution, EHVI) and SMAC3 (ParEGO), each through its own ask/tell interface.

Each sees the space as its users would write it: one categorical variable per parameter, except
that a whitelist constraint (``params`` + ``allowed``) becomes one categorical over the allowed
tuples (e.g. NAS-Bench-Graph's 9 link patterns), so no peer wastes evaluations on a combination
the space forbids. An expression constraint the peer breaks counts as a failed evaluation, as do
rows the table cannot answer. Repeated architectures are evaluated again and count.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from predictnas.bench._methods import Run, lookup
from predictnas.bench._variables import decode, peer_variables
from predictnas.evaluators import SearchProblem


class _Loop:
    """The bookkeeping every peer shares: one evaluation after another until the budget."""

    def __init__(self, problem: SearchProblem, budget: int) -> None:
        self.problem, self.budget, self.run = problem, budget, Run()
        self.variables = peer_variables(problem.space)
        self.signs = np.array([-1.0 if d == "maximize" else 1.0 for _, d in problem.objectives])

    @property
    def done(self) -> bool:
        return len(self.run.rows) >= self.budget

    def evaluate(self, indices: list[int], ask_seconds: float) -> np.ndarray | None:
        """Minimisation-form objectives ``(m,)`` of one suggestion, or ``None`` if it failed."""
        self.run.ask_seconds.append(ask_seconds)
        arch = decode(self.problem.space, self.variables, indices)
        row, values = lookup(self.problem, arch) if arch is not None else (-1, None)
        self.run.rows.append(row if values is not None else -1)
        self.run.failed.append(values is None)
        if values is None:
            return None
        return self.signs * np.array([values[c] for c, _ in self.problem.objectives])


def run_pymoo_nsga2(problem: SearchProblem, *, seed: int, budget: int, pop_size: int = 20) -> Run:
    """pymoo's NSGA-II (integer variables, its defaults for integer problems: random sampling,
    SBX and polynomial mutation with rounding, duplicates eliminated); a failed evaluation is an
    infeasible one (constraint value 1)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.problems.static import StaticProblem

    loop = _Loop(problem, budget)
    n_obj = len(problem.objectives)
    upper = np.array([len(v.choices) - 1 for v in loop.variables])
    space = Problem(n_var=len(upper), n_obj=n_obj, n_ieq_constr=1, xl=np.zeros(len(upper)), xu=upper, vtype=int)
    algorithm = NSGA2(pop_size=pop_size, sampling=IntegerRandomSampling(),
                      crossover=SBX(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
                      mutation=PM(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)
    algorithm.setup(space, seed=seed, verbose=False)
    while not loop.done:
        started = time.perf_counter()
        pop = algorithm.ask()
        X = np.rint(pop.get("X")).astype(int)[: budget - len(loop.run.rows)]
        pop = pop[: len(X)]
        seconds = (time.perf_counter() - started) / max(len(X), 1)
        F, G = np.zeros((len(X), n_obj)), np.zeros((len(X), 1))
        for i, x in enumerate(X):
            f = loop.evaluate(list(x), seconds)
            F[i], G[i] = (f, 0.0) if f is not None else (0.0, 1.0)
        Evaluator().eval(StaticProblem(space, F=F, G=G), pop)
        algorithm.tell(infills=pop)
    return loop.run


def run_syne_tune(problem: SearchProblem, method: str, *, seed: int, budget: int) -> Run:
    """Syne Tune's ``MultiObjectiveRegularizedEvolution`` (``syne-re``) or ``EHVI`` (``syne-ehvi``,
    botorch) under a ``SingleFidelityScheduler``; with one objective its ``REA`` and ``BOTorch``.

    Syne Tune 0.16's EHVI fixes its reference point at 2 in its maximisation form (minimised
    metrics negated), so with raw metrics every point is dominated by it and it repeats one
    configuration for ever. Each metric is therefore told min-max normalised over the table and
    shifted by -3.1: its reference point is then the suite's (1.1 in normalised minimisation form).
    The scaling changes no ranking (regularized evolution sorts by non-domination only)."""
    from datetime import datetime

    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice

    logging.getLogger("syne_tune").setLevel(logging.ERROR)
    loop = _Loop(problem, budget)
    config_space = {f"v{i}": choice(list(range(len(v.choices)))) for i, v in enumerate(loop.variables)}
    metrics = [f"f{j}" for j in range(len(problem.objectives))]
    with _global_generators_seeded(seed):
        scheduler = _syne_scheduler(method, config_space, metrics, seed)
        number = 0
        while not loop.done:
            started = time.perf_counter()
            with warnings.catch_warnings(), _default_float64():
                warnings.simplefilter("ignore")
                config = scheduler.suggest().config
            seconds = time.perf_counter() - started
            trial = Trial(trial_id=number, config=config, creation_time=datetime.now())
            number += 1
            f = loop.evaluate([int(config[f"v{i}"]) for i in range(len(loop.variables))], seconds)
            if f is None:
                scheduler.on_trial_error(trial)
            else:
                scaled = (f - problem.lower) / np.where(problem.upper > problem.lower, problem.upper - problem.lower, 1.0) - 3.1
                scheduler.on_trial_complete(trial, dict(zip(metrics, map(float, scaled))))
    return loop.run


@contextlib.contextmanager
def _global_generators_seeded(seed: int) -> Iterator[None]:
    """Syne Tune 0.16 draws its random configurations from numpy's global generator
    (``sample_random_config`` ignores the searcher's seeded ``rng``: ``Domain.sample()`` without a
    ``random_state``), so its ``random_seed`` alone left a run depending on whatever ran before it
    in the process. Numpy's and torch's global generators are seeded from the run's seed here and
    restored afterwards: a run depends on its problem, method and seed only."""
    import torch

    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _default_float64() -> Iterator[None]:
    """Syne Tune 0.16's EHVI builds float32 tensors that botorch's fused log-EHVI rejects
    ("expected scalar type Double"): its suggestions run with float64 as torch's default."""
    import torch

    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _syne_scheduler(method: str, config_space: dict[str, Any], metrics: list[str], seed: int) -> Any:
    from syne_tune.optimizer.baselines import EHVI, REA, BOTorch
    from syne_tune.optimizer.schedulers.multiobjective.multi_objective_regularized_evolution import (
        MultiObjectiveRegularizedEvolution,
    )
    from syne_tune.optimizer.schedulers.single_fidelity_scheduler import SingleFidelityScheduler

    if len(metrics) == 1:
        cls = REA if method == "syne-re" else BOTorch
        return cls(config_space, metric=metrics[0], do_minimize=True, random_seed=seed)
    if method == "syne-ehvi":
        return EHVI(config_space, metrics=metrics, do_minimize=True, random_seed=seed)
    searcher = MultiObjectiveRegularizedEvolution(config_space, random_seed=seed)
    return SingleFidelityScheduler(config_space, metrics=metrics, do_minimize=True, searcher=searcher, random_seed=seed)


def run_smac(problem: SearchProblem, *, seed: int, budget: int, output: str | None = None) -> Run:
    """SMAC3's ``HyperparameterOptimizationFacade`` (random forest) with ``ParEGO`` for several
    objectives (its defaults: an initial design of 10, or a tenth of the budget if fewer); a
    failed evaluation is told as a crashed trial with the worst costs seen so far."""
    import tempfile

    from ConfigSpace import Categorical, ConfigurationSpace
    from smac import HyperparameterOptimizationFacade as Facade
    from smac import Scenario
    from smac.multi_objective.parego import ParEGO
    from smac.runhistory.dataclasses import TrialValue
    from smac.runhistory.enumerations import StatusType

    logging.getLogger("smac").setLevel(logging.ERROR)
    loop = _Loop(problem, budget)
    cs = ConfigurationSpace(seed=seed)
    cs.add([Categorical(f"v{i}", list(range(len(v.choices)))) for i, v in enumerate(loop.variables)])
    metrics = [f"f{j}" for j in range(len(problem.objectives))]
    with tempfile.TemporaryDirectory() as folder:
        scenario = Scenario(cs, deterministic=True, objectives=metrics if len(metrics) > 1 else "cost", n_trials=budget,
                            seed=seed, output_directory=output or folder)
        initial = Facade.get_initial_design(scenario, n_configs=min(10, max(budget // 10, 2)))
        extra: dict[str, Callable[..., Any] | Any] = {"multi_objective_algorithm": ParEGO(scenario, seed=seed)} if len(metrics) > 1 else {}
        smac = Facade(scenario, lambda config, seed=0: 0.0, initial_design=initial, overwrite=True, logging_level=40, **extra)
        seen: list[np.ndarray] = []
        while not loop.done:
            started = time.perf_counter()
            info = smac.ask()
            seconds = time.perf_counter() - started
            f = loop.evaluate([int(info.config[f"v{i}"]) for i in range(len(loop.variables))], seconds)
            if f is None:  # SMAC's ParEGO normalises costs: an infinite one turns them into NaN
                worst = [float(v) for v in np.max(seen, axis=0)] if seen else [0.0] * len(metrics)
                smac.tell(info, TrialValue(cost=worst if len(metrics) > 1 else worst[0], status=StatusType.CRASHED))
            else:
                seen.append(f)
                smac.tell(info, TrialValue(cost=[float(v) for v in f] if len(metrics) > 1 else float(f[0])))
    return loop.run
