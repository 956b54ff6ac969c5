"""Parallel evaluation: wall time of one search in-process, on local worker processes and on Dask.

    python benchmarks/parallel.py [--trials 16] [--workers 2] [--out results.json]

Three workloads, the same NSGA-II search (same seed) in every mode:

- ``digits_cnn training``: ``studies/digits_cnn.toml``'s CNNs trained from scratch (3 epochs each),
  CPU-bound; in-process, torch already uses every core.
- ``0.25 s wait``: an evaluation that waits (stands in for a GPU job or a remote training run,
  where the study machine's CPU is not the bottleneck).
- ``no-op``: an evaluator that does nothing: the per-trial overhead of each executor, start-up included.

Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import predictnas as pn
from predictnas.examples.digits import train_and_evaluate


def _noop(arch: object) -> dict[str, float]:
    return {"acc": 1.0, "macs": 1.0}


def _wait(arch: object) -> dict[str, float]:
    time.sleep(0.25)
    return {"acc": 1.0, "macs": 1.0}


def run(evaluator: pn.Evaluator, trials: int, **options: object) -> dict[str, float]:
    study = pn.create_study(space="digits_cnn", objectives={"acc": "maximize", "macs": "minimize"}, seed=0,
                            proposer="nsga2", proposer_options={"pop_size": 8})
    start = time.perf_counter()
    study.optimize(evaluator, trials, **options)
    wall = time.perf_counter() - start
    done = [t for t in study.trials if t.state.value == "complete"]
    busy = sum(t.duration_s or 0.0 for t in done)
    return {"wall_s": wall, "trials": len(done), "evals_per_s": len(done) / wall, "eval_s_sum": busy,
            "best_acc": max(t.values["acc"] for t in done)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    k = args.workers
    modes: dict[str, dict[str, object]] = {"in-process (1 at a time)": {}, f"{k} local processes": {"n_workers": k}}
    workloads = {"digits_cnn training": (train_and_evaluate, args.trials), "0.25 s wait": (_wait, 2 * args.trials),
                 "no-op": (_noop, 4 * args.trials)}
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in workloads}
    with LocalCluster(n_workers=k, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        modes[f"Dask LocalCluster ({k} workers)"] = {"executor": client}
        for name, options in modes.items():
            for workload, (fn, n) in workloads.items():
                results[workload][name] = run(pn.FunctionEvaluator(fn), n, **options)
    print(f"\n{os.cpu_count()} CPU cores; trials: " + ", ".join(f"{w} {n}" for w, (_, n) in workloads.items()) + "\n")
    print(f"{'workload':22s} {'executor':28s} {'wall s':>8s} {'evals/s':>8s} {'speed-up':>9s}")
    for workload, rows in results.items():
        base = next(iter(rows.values()))["wall_s"]
        for name, r in rows.items():
            r["speedup"] = base / r["wall_s"]
            print(f"{workload:22s} {name:28s} {r['wall_s']:8.1f} {r['evals_per_s']:8.2f} {r['speedup']:8.2f}x")
    if args.out:
        Path(args.out).write_text(json.dumps({"trials": args.trials, "workers": k, "cpu_count": os.cpu_count(),
                                              "results": results}, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
