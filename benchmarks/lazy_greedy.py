"""Does lazy greedy pick what rescoring every candidate picks? One seed of problem 1, both ways.

    python benchmarks/lazy_greedy.py [--data-dir ../shared/benchdata] [--seed 0] [--budget 200] [--cheap]

NAS-Bench-201, CIFAR-10 accuracy vs FLOPs (``--cheap``: FLOPs declared cheap), the default
proposer, batch 4, once with ``lazy=True`` (the default) and once with ``lazy=False``. Prints
whether the evaluated rows are identical, the first evaluation where they differ, how many rows
both evaluated, and each run's HV ratio. (10-seed quality of both: ``predictnas benchmark search
... --methods "predictnas,predictnas{lazy=false}"``.)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import predictnas as pn
from predictnas.bench import SearchProblem, run_proposer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                             str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--cheap", action="store_true", help="declare FLOPs cheap")
    args = parser.parse_args()
    table = Path(args.data_dir) / "nb201_core.csv"
    if not table.is_file():
        sys.exit(f"lazy_greedy: {table} not found. Put the NAS-Bench-201 table there, or pass --data-dir DIR "
                 "(or set PREDICTNAS_DATA_DIR).")
    problem = SearchProblem.from_args(pn.load_space("nb201"), table, ["cifar10_test_acc:max", "cifar10_flops_m:min"],
                                      ["cifar10_flops_m"], [])
    rows = {lazy: run_proposer(problem, "predictnas", seed=args.seed, budget=args.budget, batch_size=4,
                               use_cheap=args.cheap, options={"lazy": lazy}).rows for lazy in (True, False)}
    first = next((i for i, (a, b) in enumerate(zip(rows[True], rows[False])) if a != b), None)
    print(f"seed {args.seed}, {'FLOPs cheap' if args.cheap else 'black-box'}, {args.budget} evaluations: "
          f"identical {rows[True] == rows[False]}; first difference at evaluation "
          f"{'-' if first is None else first}; rows both evaluated {len(set(rows[True]) & set(rows[False]))} "
          f"of {len(set(rows[True]))}; HV ratio lazy {problem.hv_ratio(rows[True]):.5f}, "
          f"all rescored {problem.hv_ratio(rows[False]):.5f}")


if __name__ == "__main__":
    main()
