"""Which true-front rows a search misses, and what they would add: one seed of problem 1.

    python benchmarks/recall.py [--data-dir ../shared/benchdata] [--seed 0] [--budget 200]

NAS-Bench-201, CIFAR-10 accuracy vs FLOPs with FLOPs declared cheap, the default proposer, batch 4.
Prints the true-front rows a search that never re-evaluates an equivalent cell can reach, when
each was evaluated, and for each one missed the evaluated cell nearest to it in the normalised
objectives, and the HV ratio with and without the missed rows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import predictnas as pn
from predictnas.bench import SearchProblem, run_proposer
from predictnas.exceptions import PredictNASError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                             str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    table = Path(args.data_dir) / "nb201_core.csv"
    if not table.is_file():
        print(f"recall: {table} not found (pass --data-dir DIR or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    space = pn.load_space("nb201")
    problem = SearchProblem.from_args(space, table, ["cifar10_test_acc:max", "cifar10_flops_m:min"], ["cifar10_flops_m"], [])
    run = run_proposer(problem, "predictnas", seed=args.seed, budget=args.budget, batch_size=4, use_cheap=True)
    representatives = set()
    for _, arch in space.enumerate_unique(100_000):
        try:
            representatives.add(problem.table.row_index(arch))
        except PredictNASError:
            continue
    reachable = [int(r) for r in problem.front_rows if r in representatives]
    found = [r for r in set(run.rows) if r >= 0]
    Z = (problem.F - problem.lower) / (problem.upper - problem.lower)  # normalised, minimisation form
    print(f"true front: {len(problem.front_rows)} rows, {len(reachable)} reachable, "
          f"{len(set(reachable) & set(found))} evaluated within {args.budget}")
    missed = []
    for r in sorted(reachable, key=lambda r: Z[r, 1]):
        if r in found:
            print(f"row {r:5d} {np.round(Z[r], 4)}: evaluated as trial {run.rows.index(r)}")
            continue
        missed.append(r)
        near = found[int(np.argmin(np.abs(Z[found] - Z[r]).max(axis=1)))]
        print(f"row {r:5d} {np.round(Z[r], 4)}: missed; nearest evaluated row {near} {np.round(Z[near], 4)}, "
              f"gap {np.round(Z[near] - Z[r], 4)}")
    print(f"HV ratio {problem.hv_ratio(run.rows):.5f}; with the missed rows {problem.hv_ratio(run.rows + missed):.5f}")


if __name__ == "__main__":
    main()
