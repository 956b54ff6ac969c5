"""Early stopping on the measured MNIST-1D table: HV of the true front against compute spent.

The replayed table (``benchmarks/data/mnist1d_cnn``: 300 subnets, 30 epochs, the mean of two
seeds) is the problem: maximise final validation accuracy, minimise MACs. Each epoch a method
consumes costs the seconds it took when it was measured. The true front is the Pareto front of all
300 rows (final accuracy, MACs); the HV ratio of a run is the hypervolume of its complete trials
(stopped ones are at a lower fidelity and do not count) over the true front's, normalised over the
whole table (reference 1.1), as ``predictnas benchmark search`` does.

Methods (same seeds): ``predictnas-full`` (default proposer, every trial trained 30 epochs),
``predictnas`` (default proposer with ASHA, eta 3), ``random`` and ``random-asha``.

    python benchmarks/fidelity.py --seeds 5 --budget 40 --out results.json

JSON: per method ``hv_at_cost`` (keys "25", "50", "100": HV ratio after that share of
the compute budget: ``--budget`` full trainings at the table's median cost; one value per seed),
``cost_to_full_hv`` (compute seconds to reach predictnas-full's median final HV ratio, per seed; null
if never), ``compute_s``, ``trials`` and ``stopped``.
Optuna's pruners and Syne Tune are not in this run yet.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import predictnas as pn
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.pareto import hypervolume, pareto_mask, to_minimization

TABLE = Path(__file__).resolve().parent / "data" / "mnist1d_cnn"
METHODS = {"predictnas-full": ("bo", False), "predictnas": ("bo", True), "random": ("random", False),
           "random-asha": ("random", True)}
OBJECTIVES = {"acc": "maximize", "macs": "minimize"}


def truth(table: CurveTable) -> tuple[np.ndarray, np.ndarray, float]:
    """``(lower, upper, true HV)`` of (final accuracy, MACs) over every row, minimisation form."""
    F = np.array([[table.curve(a)[0][-1], float(table.row(a)["macs_m"])] for a in table.space.members.archs])
    F = to_minimization(F, ["maximize", "minimize"])
    lower, upper = F.min(axis=0), F.max(axis=0)
    return lower, upper, hypervolume(F[pareto_mask(F)], lower=lower, upper=upper)


def run(table: CurveTable, method: str, seed: int, budget_s: float,
        truth_: tuple[np.ndarray, np.ndarray, float]) -> tuple[list[float], list[float], int]:
    """Cumulative compute seconds and HV ratio after each trial until ``budget_s`` seconds of
    compute are spent (or every row has a trial), and how many trials were stopped."""
    proposer, stop = METHODS[method]
    study = pn.create_study(space=table.space, objectives=OBJECTIVES, seed=seed, proposer=proposer,
                            stopper="asha" if stop else None, stopper_options={"eta": 3, "max_step": table.epochs} if stop else None)
    evaluator = CurveReplayEvaluator(table, static={"macs": "macs_m"})
    lower, upper, true_hv = truth_
    costs, hvs = [], []
    while evaluator.spent_s < budget_s and len(study.trials) < len(table.space.members):
        study.optimize(evaluator, 1)
        done = [t for t in study.trials if t.state.value == "complete"]
        F = to_minimization(np.array([[t.values["acc"], t.values["macs"]] for t in done]).reshape(-1, 2), ["maximize", "minimize"])
        costs.append(evaluator.spent_s)
        hvs.append(hypervolume(F[pareto_mask(F)], lower=lower, upper=upper) / true_hv if len(F) else 0.0)
    return costs, hvs, sum(t.state.value == "stopped" for t in study.trials)


def at_cost(costs: list[float], hvs: list[float], budget_s: float) -> float:
    """The HV ratio reached once ``budget_s`` seconds were spent (the last trial within it)."""
    within = [h for c, h in zip(costs, hvs) if c <= budget_s]
    return within[-1] if within else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=40, help="compute per run: this many full trainings (median cost)")
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    table = CurveTable.from_dir(args.table)
    methods = [m.strip() for m in args.methods.split(",")]
    budget_s = args.budget * float(np.median([table.curve(a)[1].sum() for a in table.space.members.archs]))
    print(f"compute budget per run: {budget_s:.0f} s (the median cost of {args.budget} full trainings)")
    true_front = truth(table)
    runs: dict[str, list] = {}
    for method in methods:
        for seed in range(args.seeds):
            started = time.perf_counter()
            runs.setdefault(method, []).append(run(table, method, seed, budget_s, true_front))
            costs, hvs, stopped = runs[method][-1]
            print(f"{method:16s} seed {seed}: HV ratio {hvs[-1]:.4f} after {costs[-1]:7.0f} s of compute, {stopped} stopped "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    reference = "predictnas-full" if "predictnas-full" in runs else methods[0]
    full_cost = budget_s
    full_hv = float(np.median([r[1][-1] for r in runs[reference]]))
    result: dict = {"budget_full_trainings": args.budget, "budget_s": budget_s, "seeds": args.seeds, "reference": reference,
                    "reference_hv": full_hv, "methods": {}}
    print(f"\nHV ratio of the true front (median over {args.seeds} seeds) at a share of the compute budget "
          f"({full_cost:.0f} s), and the compute to reach {reference}'s median final HV ratio {full_hv:.4f}:")
    print(f"{'method':16s} {'25 %':>7s} {'50 %':>7s} {'100 %':>7s} {'to full HV':>14s} {'trials':>7s} {'stopped':>8s}")
    for method, rs in runs.items():
        hv_at = {k: [at_cost(c, h, full_cost * f) for c, h, _ in rs] for k, f in (("25", 0.25), ("50", 0.5), ("100", 1.0))}
        reach = [next((c for c, h in zip(cs, hs) if h >= full_hv), None) for cs, hs, _ in rs]
        reached = [r for r in reach if r is not None]
        result["methods"][method] = {"hv_at_cost": hv_at, "cost_to_full_hv": reach, "compute_s": [r[0][-1] for r in rs],
                                     "trials": [len(r[0]) for r in rs], "stopped": [r[2] for r in rs]}
        to_full = f"{np.median(reached):.0f} s ({len(reached)}/{len(rs)})" if reached else "never"
        print(f"{method:16s} {np.median(hv_at['25']):7.4f} {np.median(hv_at['50']):7.4f} {np.median(hv_at['100']):7.4f} "
              f"{to_full:>14s} {np.median([len(r[0]) for r in rs]):7.0f} {np.median([r[2] for r in rs]):8.0f}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
