"""Warm starts across datasets and devices on NAS-Bench-201: a finished source study, then a target
study with and without ``warm_start``.

    python benchmarks/transfer.py --data-dir ../shared/benchdata --seeds 10 --out results.json

Per seed, a source study (the default proposer, ``--source-budget`` trials, batch 4) searches
CIFAR-10 accuracy vs FLOPs; a second source sees the same FLOPs but CIFAR-10 accuracies shuffled
over the cells (unrelated). Pairs (target objectives; source map):

- ``c10_to_c100_pixel3``: CIFAR-100 accuracy vs Pixel 3 latency (acc -> acc, latency -> flops);
- ``c10_to_in16_flops``: ImageNet16-120 accuracy vs its FLOPs (by name);
- ``unrelated``: the c10_to_c100_pixel3 target from the shuffled source.

Each target runs ``--budget`` evaluations (batch ``--batch-size``) warm and cold with the same seed;
HV ratio as in ``predictnas benchmark search`` (objectives min-max normalised over the whole table,
reference point 1.1, over the table's true front). JSON: ``pairs.<name>.<warm|cold>.hv_ratio.<budget>``
and ``.evals_to_hv."0.99"`` / ``."0.999"`` (lists over seeds, null when not reached).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import predictnas as pn
from predictnas.bench import Run, SearchProblem, score_run

TARGETS = {
    "c10_to_c100_pixel3": ({"acc": ("cifar100_test_acc", "maximize"), "latency": ("cifar10_pixel3_latency", "minimize")},
                           {"latency": "flops"}, "related"),
    "c10_to_in16_flops": ({"acc": ("imagenet16_test_acc", "maximize"), "flops": ("imagenet16_flops_m", "minimize")},
                          {}, "related"),
    "unrelated": ({"acc": ("cifar100_test_acc", "maximize"), "latency": ("cifar10_pixel3_latency", "minimize")},
                  {"latency": "flops"}, "shuffled"),
}
BUDGETS = (10, 25, 50, 100, 200)


def source_study(table: Path, path: Path, seed: int, budget: int, *, shuffled: bool) -> None:
    """CIFAR-10 accuracy vs FLOPs; ``shuffled``: the accuracies permuted over the cells."""
    space = pn.load_space("nb201")
    evaluator = pn.TableEvaluator(table, space, {"acc": "cifar10_test_acc", "flops": "cifar10_flops_m"})
    if shuffled:
        acc = np.array([float(r["cifar10_test_acc"]) for r in evaluator.rows])
        acc = acc[np.random.default_rng([seed, 7]).permutation(len(acc))]
        real = evaluator
        evaluator = pn.FunctionEvaluator(lambda arch: {"acc": float(acc[real.row_index(arch)]),
                                                       "flops": real.evaluate(arch).values["flops"]})
    study = pn.create_study(space=space, objectives={"acc": "maximize", "flops": "minimize"}, storage=path, seed=seed)
    study.optimize(evaluator, budget, batch_size=4)
    study.close()


def target_run(table: Path, name: str, seed: int, budget: int, batch: int, warm: Path | None) -> tuple[Run, SearchProblem]:
    columns, mapping, _ = TARGETS[name]
    space = pn.load_space("nb201")
    problem = SearchProblem.from_args(space, table, [f"{c}:{'max' if d == 'maximize' else 'min'}" for c, d in columns.values()], [], [])
    evaluator = pn.TableEvaluator(table, space, {k: c for k, (c, _) in columns.items()})
    warm_start = [{"path": warm, "map": mapping}] if warm is not None else ()
    study = pn.create_study(space=space, objectives={k: d for k, (_, d) in columns.items()}, seed=seed, warm_start=warm_start)
    run = Run()
    while len(run.rows) < budget:
        for trial in study.ask(min(batch, budget - len(run.rows))):
            run.rows.append(problem.table.row_index(trial.arch))
            if trial.state.value == "running":
                study.tell(trial, evaluator.evaluate(trial.arch))
    return run, problem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                            str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--source-budget", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--pairs", default=",".join(TARGETS))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    table = Path(args.data_dir) / "nb201_core.csv"
    if not table.is_file():
        print(f"transfer: {table} not found; pass --data-dir DIR (or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    pairs = args.pairs.split(",")
    budgets = [b for b in BUDGETS if b <= args.budget]
    results: dict[str, Any] = {p: {"warm": {"hv_ratio": {}, "evals_to_hv": {}}, "cold": {"hv_ratio": {}, "evals_to_hv": {}}}
                               for p in pairs}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            sources = {}
            for kind in sorted({TARGETS[p][2] for p in pairs}):
                sources[kind] = Path(tmp) / f"{kind}_{seed}.db"
                source_study(table, sources[kind], seed, args.source_budget, shuffled=kind == "shuffled")
            cold_cache: dict[tuple[str, ...], dict[str, Any]] = {}
            for pair in pairs:
                columns = tuple(c for c, _ in TARGETS[pair][0].values())
                for mode in ("warm", "cold"):
                    if mode == "cold" and columns in cold_cache:
                        score = cold_cache[columns]
                    else:
                        run, problem = target_run(table, pair, seed, args.budget, args.batch_size,
                                                  sources[TARGETS[pair][2]] if mode == "warm" else None)
                        score = score_run(problem, run, args.budget)
                        score["hv_ratio"] = {b: problem.hv_ratio(run.rows[:b]) for b in budgets}
                        if mode == "cold":
                            cold_cache[columns] = score
                    out = results[pair][mode]
                    for b in budgets:
                        out["hv_ratio"].setdefault(str(b), []).append(score["hv_ratio"][b])
                    for t in ("0.99", "0.999"):
                        out["evals_to_hv"].setdefault(t, []).append(score["evals_to_hv"][t])
            print(f"seed {seed + 1}/{args.seeds} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    def med(values: list[Any]) -> str:
        hit = [v for v in values if v is not None]
        a = np.array([v if v is not None else args.budget + 1 for v in values], dtype=float)
        m = float(np.median(a))
        return (f">{args.budget}" if m > args.budget else f"{m:g}") + f" ({len(hit)}/{len(values)})"

    print("| pair | mode | " + " | ".join(f"HV@{b}" for b in budgets) + " | evals→0.99 | evals→0.999 |")
    print("|---|---|" + "---|" * (len(budgets) + 2))
    for pair in pairs:
        for mode in ("warm", "cold"):
            r = results[pair][mode]
            print(f"| {pair} | {mode} | " + " | ".join(f"{np.median(r['hv_ratio'][str(b)]):.4f}" for b in budgets)
                  + f" | {med(r['evals_to_hv']['0.99'])} | {med(r['evals_to_hv']['0.999'])} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"seeds": args.seeds, "budget": args.budget, "source_budget": args.source_budget,
                                              "batch_size": args.batch_size, "pairs": results}, indent=1))


if __name__ == "__main__":
    main()
