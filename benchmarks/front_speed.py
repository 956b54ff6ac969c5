"""The two front computations of an ask, against the library calls they replace (same process).

    python benchmarks/front_speed.py [--rows 25000] [--samples 2048] [--baseline 80] [--repeats 3] [--out r.json]

- ``rank_and_crowding`` (the shortlist's NSGA-II survival, on the array) against pymoo's
  ``RankAndCrowding().do`` on a ``Population`` of one object per row: ``--rows`` random
  two-objective rows (NAS-Bench-Graph's pool has 25,478), 256 survivors.
- ``_non_dominated`` (each posterior sample's front, by one sort for two objectives) against
  botorch's ``is_non_dominated(deduplicate=False)``, which loops over the rows beyond 5 MB of
  comparisons: ``--samples`` x ``--baseline`` x 2, the shape qLogNEHVI's baseline pruning checks.

Prints the best of ``--repeats`` timings, the ratio, and whether both give the same answer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def pymoo_survival(F: np.ndarray, n: int) -> np.ndarray:
    from pymoo.core.population import Population
    from pymoo.core.problem import Problem
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    pop = Population.new(F=F, index=np.arange(len(F)))
    survivors = RankAndCrowding().do(Problem(n_var=1, n_obj=F.shape[1]), pop, n_survive=n, random_state=np.random.default_rng(0))
    return np.sort(np.asarray(survivors.get("index"), dtype=int))


def main() -> None:
    from botorch.utils.multi_objective.pareto import is_non_dominated

    from predictnas.pareto import rank_and_crowding
    from predictnas.proposers._acquisition import _non_dominated

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--baseline", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="JSON results file")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the proposer runs
    F = np.random.default_rng(0).random((args.rows, 2))
    Y = torch.randn(args.samples, args.baseline, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    cases = [(f"rank_and_crowding, {args.rows:,} rows -> 256", lambda: pymoo_survival(F, 256), lambda: rank_and_crowding(F, 256)),
             (f"sample fronts, {args.samples:,} x {args.baseline} x 2", lambda: is_non_dominated(Y, deduplicate=False),
              lambda: _non_dominated(Y))]
    rows = []
    for name, library, ours in cases:
        t_lib, a = best_of(args.repeats, library)
        t_ours, b = best_of(args.repeats, ours)
        same = bool(np.array_equal(np.asarray(a), np.asarray(b)))
        rows.append({"case": name, "library_s": t_lib, "predictnas_s": t_ours, "speedup": t_lib / t_ours, "same_answer": same})
    print("| case | library s | predictnas s | speed-up | same answer |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['library_s']:.4f} | {r['predictnas_s']:.4f} | {r['speedup']:.0f}x | {r['same_answer']} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
