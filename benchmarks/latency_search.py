"""A latency-constrained search on NAS-Bench-201 where the latency model saw only k measurements
of the device: is the reported front feasible on the device, and what does it cost?

Problem: maximise CIFAR-10 accuracy, minimise FLOPs (known before evaluation), subject to
``latency <= the q-quantile of the device's latencies``. The device is held out: ``LatencyTransfer``
is pretrained on the other 26 devices and adapted to k cells it picks (k measurements). Methods,
default proposer, same seeds:

- ``known``: every latency of the device known (the constraint is exact): the reference;
- ``model``: the search sees the model's predicted latency; before the front is reported,
  ``study.measure_front`` measures its members on the device (a table lookup standing in for the
  device), a member that breaks the constraint leaves the front and what it dominated is measured
  in turn;
- ``model-upper``: the same, searching with the upper end of the model's 90 % interval (cautious).

Scored with the true values: the HV ratio of the reported front (feasible on the device) over
the true feasible front; the share of the front that breaks the constraint on the device (0 after
the check, by construction: the count *before* the check is printed too); device measurements
(k + the check's).

    python benchmarks/latency_search.py --out results.json

JSON: per device and method: ``hv_ratio``, ``violations_before_check``, ``violations``,
``measurements`` (one value per seed); ``hv_cost`` (1 - median model HV / median known HV).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import predictnas as pn
from predictnas.evaluators import TableEvaluator
from predictnas.latency import LatencyTransfer
from predictnas.pareto import hypervolume, pareto_mask
from predictnas.types import Objective

METHODS = ("known", "model", "model-upper")


def run(evaluator: TableEvaluator, latency: np.ndarray, true_latency: np.ndarray, limit: float, seed: int, budget: int,
        check: bool) -> tuple[list[int], int, int]:
    """One search; returns the front's rows, how many of them broke the limit before the check, and the check's measurements."""
    study = pn.create_study(space=evaluator.space, objectives=[Objective("acc", "maximize"), Objective("flops", "minimize", True)],
                            constraints=[f"latency <= {limit}"], seed=seed)
    study.cheap_function = lambda arch: {"flops": evaluator.cheap_statistics(arch)["flops"],
                                         "latency": float(latency[evaluator.row_index(arch)])}
    while len(study.trials) < budget:
        for trial in study.ask(1):
            row = evaluator.row_index(trial.arch)
            study.tell(trial, {**evaluator.evaluate(trial.arch).values, "latency": float(latency[row])})
    before = sum(true_latency[evaluator.row_index(t.arch)] > limit for t in study.pareto_front())
    measured = study.measure_front(lambda arch: float(true_latency[evaluator.row_index(arch)])) if check else []
    return [evaluator.row_index(t.arch) for t in study.pareto_front()], int(before), len(measured)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    ap.add_argument("--devices", default="pixel2,raspi4,eyeriss,gold_6226")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--quantile", type=float, default=0.4, help="the limit: this quantile of the device's latencies")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    path = Path(args.data_dir) / "nb201_core.csv"
    if not path.is_file():
        print(f"latency_search: {path} not found (pass --data-dir DIR or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    space = pn.load_space("nb201")
    evaluator = TableEvaluator(path, space, {"acc": "cifar10_test_acc", "flops": "cifar10_flops_m"}, cheap=["flops"])
    columns = [c for c in evaluator.rows[0] if c.endswith("_latency")]
    names = [c.removesuffix("_latency").removeprefix("help_").removeprefix("cifar10_") for c in columns]
    L = np.array([[float(r[c]) for c in columns] for r in evaluator.rows])
    F = np.array([[-float(r["cifar10_test_acc"]), float(r["cifar10_flops_m"])] for r in evaluator.rows])
    result: dict = {"budget": args.budget, "k": args.k, "quantile": args.quantile, "devices": {}}
    print(f"{'device':10s} {'method':12s} {'HV ratio':>9s} {'broke limit before check':>25s} {'measurements':>13s}")
    for name in [d.strip() for d in args.devices.split(",")]:
        held = names.index(name)
        true = L[:, held]
        limit = float(np.quantile(true, args.quantile))
        feasible = true <= limit
        lower, upper = F[feasible].min(axis=0), F[feasible].max(axis=0)
        true_hv = hypervolume(F[feasible][pareto_mask(F[feasible])], lower=lower, upper=upper)
        model = LatencyTransfer().fit(np.delete(L, held, axis=1))
        cells = model.reference(args.k)
        model.adapt(cells, true[cells])
        views = {"known": true, "model": model.predict()[0], "model-upper": model.interval(level=0.9)[1]}
        device = result["devices"][name] = {"limit_ms": limit, "rank": model.rank_}
        for method in METHODS:
            scores = {"hv_ratio": [], "violations_before_check": [], "violations": [], "measurements": []}
            for seed in range(args.seeds):
                started = time.perf_counter()
                rows, before, checks = run(evaluator, views[method], true, limit, seed, args.budget, method != "known")
                ok = [r for r in rows if feasible[r]]
                scores["hv_ratio"].append(hypervolume(F[ok], lower=lower, upper=upper) / true_hv if ok else 0.0)
                scores["violations_before_check"].append(before / max(len(rows), 1))
                scores["violations"].append(int(sum(not feasible[r] for r in rows)))
                scores["measurements"].append((args.k + checks) if method != "known" else 0)
                print(f"{name:10s} {method:12s} {scores['hv_ratio'][-1]:9.4f} {before:>17d} of {len(rows):<5d} "
                      f"{scores['measurements'][-1]:13d}  (seed {seed}, {time.perf_counter() - started:.0f} s)", flush=True)
            device[method] = scores
        known = float(np.median(device["known"]["hv_ratio"]))
        for method in ("model", "model-upper"):
            device[method]["hv_cost"] = 1 - float(np.median(device[method]["hv_ratio"])) / known if known else None
            print(f"{name:10s} {method:12s} HV cost vs known latencies: {100 * device[method]['hv_cost']:.1f} %")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
