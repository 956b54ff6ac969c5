"""The default proposer from 100 to 5,000 observations: time per ask, and a 2,000-trial study.

1. ``ask(8)`` median (``--repeats`` asks after a warm-up ask) and its split (fit, pool,
   shortlist, acquisition) at 100, 500, 2,000 and 5,000 observations, for 2 and 3 objectives, on
   ``ofa_mbv3`` (a generated pool of >= 10,000 candidates) and ``nb201`` (every unseen cell is
   the pool), objectives from a fixed random model of the features. Beyond ``max_points``
   (default 600) observations the GP is fitted and conditioned on a subset (the best fronts and
   an even spread of the rest); each proposal records it as its ``model``.
2. A 2,000-trial study on the NAS-Bench-201 table (CIFAR-10 accuracy vs FLOPs, every objective
   predicted, batch 8): wall time, the proposer's share of it, peak RSS, and the HV ratio at
   several trial counts against random search and NSGA-II on real evaluations (same trial counts,
   ``--baseline-seeds`` seeds each, medians). Skipped with a message when the table is absent.

    python benchmarks/scale.py --out results.json [--quick]

JSON: ``ask_seconds_median`` (objectives -> observations -> seconds, the slower of the two spaces),
``by_space`` (the same per space, with the phase split), and ``long_study`` with ``trials``,
``wall_s``, ``proposer_s``, ``peak_rss_mb``, ``hv_ratio``, ``random_hv_ratio`` and
``nsga2_hv_ratio`` (trial count -> value).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _timing import observed_study, time_asks

import predictnas as pn


def ask_scaling(spaces: list[str], sizes: list[int], repeats: int) -> dict[str, Any]:
    by_space: dict[str, Any] = {}
    for space in spaces:
        for m in (2, 3):
            for n in sizes:
                study, f, names = observed_study(space, m, n)
                r = time_asks(study, f, names, repeats=repeats)
                by_space.setdefault(space, {}).setdefault(str(m), {})[str(n)] = r
                print(f"{space:9s} {m} objectives, {n:5d} observations: median ask(8) {r['median_s']:.2f} s "
                      f"(first {r['first_ask_s']:.2f} s; {', '.join(f'{k} {v:.2f}' for k, v in r['phase_median_s'].items())}; "
                      f"model: {r['model']}; {r['acquisition']}; pool {r['pool_min']:,})", flush=True)
    worst = {str(m): {str(n): max(by_space[s][str(m)][str(n)]["median_s"] for s in spaces) for n in sizes} for m in (2, 3)}
    return {"ask_seconds_median": worst, "by_space": {s: {m: {n: {k: v for k, v in r.items() if k != "asks"}
                                                                for n, r in per_m.items()} for m, per_m in d.items()}
                                                       for s, d in by_space.items()}}


def _count(labels: Any) -> dict[str, int]:
    """``{label: how many}``, sorted by label."""
    import collections

    return dict(sorted(collections.Counter(labels).items()))


def long_study(table: Path, trials: int, baseline_seeds: int, budgets: list[int]) -> dict[str, Any]:
    from predictnas.bench import SearchProblem, run_proposer

    space = pn.load_space("nb201")
    problem = SearchProblem.from_args(space, table, ["cifar10_test_acc:max", "cifar10_flops_m:min"], [], [])
    evaluator = pn.TableEvaluator(table, space, {"acc": "cifar10_test_acc", "flops": "cifar10_flops_m"})
    study = pn.create_study(space=space, objectives={"acc": "maximize", "flops": "minimize"}, seed=0)
    started = time.perf_counter()
    study.optimize(evaluator, trials, batch_size=8)
    wall = time.perf_counter() - started
    rows = [problem.table.row_index(t.arch) for t in study.trials if t.state.value == "complete"]
    out = {"trials": len(study.trials), "batch_size": 8, "wall_s": wall, "proposer_s": sum(p["seconds"] for p in study.proposals),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "models": _count(re.sub(r" of \d+$", " of n", p.get("model", "-")) for p in study.proposals),
           "acquisitions": _count(p.get("acquisition", "none (initial design)") for p in study.proposals),
           "hv_ratio": {str(b): problem.hv_ratio(rows[:b]) for b in budgets}}
    for method in ("random", "nsga2"):
        curves = [run_proposer(problem, method, seed=s, budget=trials, batch_size=8, use_cheap=False).rows
                  for s in range(baseline_seeds)]
        out[f"{method}_hv_ratio"] = {str(b): float(np.median([problem.hv_ratio(r[:b]) for r in curves])) for b in budgets}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                            str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--sizes", default="100,500,2000,5000")
    parser.add_argument("--spaces", default="ofa_mbv3,nb201")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--baseline-seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a small run for tests: 60 and 120 observations, 200 trials")
    parser.add_argument("--out", help="JSON results")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.trials, args.baseline_seeds = "60,120", 2, 200, 1
    sizes = [int(s) for s in args.sizes.split(",")]
    doc = ask_scaling(args.spaces.split(","), sizes, args.repeats)
    print("\n| objectives | " + " | ".join(f"{n:,} obs" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for m, row in doc["ask_seconds_median"].items():
        print(f"| {m} | " + " | ".join(f"{row[str(n)]:.2f} s" for n in sizes) + " |")
    table = Path(args.data_dir) / "nb201_core.csv"
    if table.is_file():
        budgets = [b for b in (50, 100, 200, 500, 1000, 2000) if b <= args.trials]
        doc["long_study"] = long_study(table, args.trials, args.baseline_seeds, budgets)
        ls = doc["long_study"]
        print(f"\n{ls['trials']}-trial study, batch 8: {ls['wall_s']:.0f} s in all, proposer {ls['proposer_s']:.0f} s "
              f"({ls['proposer_s'] / ls['wall_s']:.0%}), peak RSS {ls['peak_rss_mb']:.0f} MB (the whole "
              f"process); asks by model {ls['models']}, by acquisition {ls['acquisitions']}")
        print("| trials | " + " | ".join(str(b) for b in budgets) + " |\n|---|" + "---|" * len(budgets))
        for key, label in (("hv_ratio", "predictnas"), ("nsga2_hv_ratio", "NSGA-II"), ("random_hv_ratio", "random")):
            print(f"| {label} | " + " | ".join(f"{ls[key][str(b)]:.4f}" for b in budgets) + " |")
    else:
        doc["long_study"] = None
        print(f"\nlong study skipped: {table} not found (pass --data-dir or set PREDICTNAS_DATA_DIR)", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
