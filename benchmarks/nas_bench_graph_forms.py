"""Which form of a NAS-Bench-Graph cell answers? The figures behind docs/search.md's "why the search stalled".

    python benchmarks/nas_bench_graph_forms.py [--problem nbg-citeseer-latency-rows] [--cache-dir DIR] [--out r.json]

predictnas evaluates one form (parameter values) per canonical class; a ``-rows`` problem answers
only the form the benchmark stores. Prints the number of classes and stored cells, the HV ratio a
one-form-per-class search can reach, how many true-front cells sit in classes whose first form
has no row, and, for the classes whose first form fails, how often one of the first k forms
answers (what retrying other forms after a failure could gain), and how many distinct points the
true front has (each objective's distinct values among the stored cells). Needs ``predictnas[bench]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from predictnas.bench import PROBLEMS
from predictnas.exceptions import PredictNASError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="nbg-citeseer-latency-rows", choices=[p for p in PROBLEMS if p.endswith("-rows")])
    parser.add_argument("--cache-dir", help="where the suite writes NAS-Bench-Graph tables (default ~/.cache/predictnas)")
    parser.add_argument("--out", help="JSON results file")
    args = parser.parse_args()
    try:
        problem = PROBLEMS[args.problem].build(cache_dir=args.cache_dir)
    except PredictNASError as exc:
        sys.exit(f"nas_bench_graph_forms.py: {exc}")
    space, table = problem.space, problem.table
    forms: dict[str, list[int]] = {}  # class -> rows of its forms, in enumeration order
    for arch in space.enumerate():
        forms.setdefault(space.canonical_key(arch), []).append(table.row_index(arch))
    first_fails = [rows for rows in forms.values() if not problem.feasible[rows[0]]]
    front = set(problem.front_rows.tolist())
    front_classes = [rows for rows in forms.values() if front & set(rows)]
    doc = {
        "problem": args.problem, "combinations": sum(map(len, forms.values())), "classes": len(forms),
        "stored_cells": int(problem.feasible.sum()),
        "one_form_per_class_hv_ratio": problem.hv_ratio([rows[0] for rows in forms.values()]),
        "front_cells": len(front), "front_classes_whose_first_form_fails": sum(not problem.feasible[r[0]] for r in front_classes),
        "classes_whose_first_form_fails": len(first_fails),
        "answered_within_first_k_forms": {str(k): float(np.mean([problem.feasible[r[:k]].any() for r in first_fails]))
                                          for k in (2, 3, 4, 8, 10**9)},
        "front_distinct_points": len(np.unique(problem.F[problem.front_rows], axis=0)),
        "distinct_values": {c: len(np.unique(problem.F[problem.feasible, i])) for i, (c, _) in enumerate(problem.objectives)},
    }
    k = doc["answered_within_first_k_forms"]
    print(f"{args.problem}: {doc['combinations']:,} combinations, {doc['classes']:,} canonical classes, "
          f"{doc['stored_cells']:,} stored cells")
    print(f"one form per class reaches HV ratio {doc['one_form_per_class_hv_ratio']:.4f}")
    print(f"{doc['front_classes_whose_first_form_fails']} of the {len(front_classes)} true-front classes: the first form has no row")
    print(f"{doc['classes_whose_first_form_fails']:,} classes whose first form fails; a stored form among the first "
          f"2 / 3 / 4 / 8 / all forms: {k['2']:.1%} / {k['3']:.1%} / {k['4']:.1%} / {k['8']:.1%} / {k[str(10**9)]:.1%}")
    print(f"true front: {doc['front_distinct_points']} distinct points; distinct values among the stored cells: "
          + ", ".join(f"{c} {n:,}" for c, n in doc["distinct_values"].items()))
    if args.out:
        Path(args.out).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
