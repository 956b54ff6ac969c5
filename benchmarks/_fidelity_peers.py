"""Peers of ``benchmarks/fidelity.py`` on the replayed MNIST-1D table, each with its own library's
early stopping: Optuna 5 TPE with HyperbandPruner or SuccessiveHalvingPruner, Syne Tune MOASHA,
and a supernet search whose top-k are trained. Each returns what ``fidelity.run`` returns."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from predictnas.evaluators import CurveTable
from predictnas.pareto import non_dominated_ranks, to_minimization


class Ledger:
    """Compute spent (seconds of the table's seed-0 epochs) and HV ratio of the true values of the
    trials trained to the end, after each evaluation."""

    def __init__(self, table: CurveTable, hv: Callable[[list], float]) -> None:
        self.table, self.hv, self.spent_s = table, hv, 0.0
        self.stated: list[list[float]] = []  # what each complete trial measured (seed 0)
        self.true: list[list[float]] = []  # its true values (mean of seeds)
        self.costs: list[float] = []
        self.hvs: list[float] = []
        self.stopped = 0

    def train(self, arch, keep_going: Callable[[int, float], bool] = lambda epoch, acc: True) -> float | None:
        """Trains ``arch`` epoch by epoch while ``keep_going(epoch, acc)``; its final accuracy, or ``None`` if stopped."""
        acc, seconds = self.table.curve(arch, seed=0)
        for epoch in range(len(acc)):
            self.spent_s += float(seconds[epoch])
            if epoch + 1 < len(acc) and not keep_going(epoch + 1, float(acc[epoch])):
                self.stopped += 1
                self.record()
                return None
        macs = float(self.table.row(arch)["macs_m"])
        self.stated.append([float(acc[-1]), macs])
        self.true.append([float(self.table.curve(arch)[0][-1]), macs])
        self.record()
        return float(acc[-1])

    def record(self) -> None:
        self.costs.append(self.spent_s)
        self.hvs.append(self.hv(self.true))

    def result(self) -> dict:
        F = to_minimization(np.array(self.stated).reshape(-1, 2), ["maximize", "minimize"])
        front = np.flatnonzero(non_dominated_ranks(F) == 0) if len(F) else []
        stated, true = self.hv([self.stated[i] for i in front]), self.hv([self.true[i] for i in front])
        return {"costs": self.costs, "hvs": self.hvs, "stopped": self.stopped, "verified": 0, "verify_s": 0.0,
                "honesty_gap": abs(stated - true) / true if true else None}


def _nearest(table: CurveTable, values: dict):
    """The table row closest to ``values`` (fewest differing parameters; the first such row)."""
    names = table.space.param_names
    archs = table.space.members.archs
    wanted = [str(values[n]) for n in names]
    distance = [sum(str(a.get(n, "")) != w for n, w in zip(names, wanted)) for a in archs]
    return archs[int(np.argmin(distance))]


def run_optuna(table: CurveTable, pruner: str, seed: int, budget_s: float, hv: Callable[[list], float]) -> dict:
    """Optuna TPE (its own seed) on accuracy, MACs <= the table's median as a constraint (Optuna
    prunes single-objective studies only), each parameter a categorical; a sampled combination is
    trained as its nearest table row."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ledger = Ledger(table, hv)
    bound = float(np.median([float(table.row(a)["macs_m"]) for a in table.space.members.archs]))
    names = table.space.param_names
    choices = {n: sorted({str(a.get(n, "")) for a in table.space.members.archs}) for n in names}
    pruners = {"hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=table.epochs, reduction_factor=3),
               "sha": optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)}
    sampler = optuna.samplers.TPESampler(seed=seed)  # constraints: trial.set_constraint (Optuna 5)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruners[pruner])

    def objective(trial: optuna.Trial) -> float:
        arch = _nearest(table, {n: trial.suggest_categorical(n, choices[n]) for n in names})
        trial.set_constraint("macs", float(table.row(arch)["macs_m"]) - bound)

        def keep_going(epoch: int, acc: float) -> bool:
            trial.report(acc, epoch)
            return not trial.should_prune()

        final = ledger.train(arch, keep_going)
        if final is None:
            raise optuna.TrialPruned()
        return final

    while ledger.spent_s < budget_s:
        study.optimize(objective, n_trials=1)
    return ledger.result()


def run_moasha(table: CurveTable, seed: int, budget_s: float, hv: Callable[[list], float]) -> dict:
    """Syne Tune's MOASHA scheduler (non-dominated sort, eta 3, grace period 1) on (error, MACs),
    its own random suggestions over the table's rows (seeded through numpy's global generator,
    which it draws from)."""
    from datetime import datetime

    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice
    from syne_tune.optimizer.scheduler import SchedulerDecision
    from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA

    np.random.seed(seed)
    archs = table.space.members.archs
    scheduler = MOASHA(config_space={"row": choice(list(range(len(archs))))}, metrics=["error", "macs"], do_minimize=True,
                       time_attr="epoch", max_t=table.epochs, grace_period=1, reduction_factor=3, random_seed=seed)
    ledger = Ledger(table, hv)
    number = 0
    while ledger.spent_s < budget_s:
        config = scheduler.suggest().config
        trial = Trial(trial_id=number, config=config, creation_time=datetime.now())
        scheduler.on_trial_add(trial)
        arch = archs[int(config["row"])]
        macs = float(table.row(arch)["macs_m"])

        def keep_going(epoch: int, acc: float) -> bool:
            return scheduler.on_trial_result(trial, {"epoch": epoch, "error": 100 - acc, "macs": macs}) != SchedulerDecision.STOP

        final = ledger.train(arch, keep_going)
        if final is not None:
            scheduler.on_trial_complete(trial, {"epoch": table.epochs, "error": 100 - final, "macs": macs})
        number += 1
    return ledger.result()


def run_supernet_topk(table: CurveTable, folder, budget_s: float, hv: Callable[[list], float]) -> dict:
    """Supernet search, then training: the supernet's training time is paid first (measured, in
    ``supernet.json``; it counts as the first evaluation, HV 0); the rows are ordered by NSGA-II rank of (inherited accuracy, MACs) and
    trained to the end in that order until the budget is spent. Deterministic (no seed)."""
    ledger = Ledger(table, hv)
    ledger.spent_s = float(json.loads((folder / "supernet.json").read_text())["train_s"])
    ledger.record()  # the supernet's evaluation of every row: compute spent, nothing trained yet
    archs = table.space.members.archs
    F = to_minimization(np.array([[float(table.row(a)["inherited_acc"]), float(table.row(a)["macs_m"])] for a in archs]),
                        ["maximize", "minimize"])
    ranks = non_dominated_ranks(F)
    for i in np.lexsort((F[:, 1], ranks)):  # front by front, small to large within a front
        if ledger.spent_s >= budget_s:
            break
        ledger.train(archs[int(i)])
    return ledger.result()
