"""What a search misses at the top of the first objective, and whether a model could point at it.

    python benchmarks/front_top.py --problem nbg-citeseer-latency-canonical --seeds 0,1 --out r.json

For one problem of `predictnas benchmark suite` (real data, read at run time):

1. the default proposer (batch 4, ``--budget`` evaluations) for each seed: its HV ratio, the best
   value of the first objective it evaluated against the front's best, and the missed true-front
   rows that would add the most HV, each with what it adds;
2. the default GP and xgboost fitted on ``--train`` random classes (one row per canonical class)
   predicting the first objective of the other classes: Spearman, and the predicted rank of the
   five best held-out classes.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy.stats import spearmanr

from predictnas.bench import run_proposer
from predictnas.bench._problems import PROBLEMS
from predictnas.encoders import ArchFeatures
from predictnas.exceptions import InvalidSpecError
from predictnas.surrogates import make_surrogate


def missed_top(problem, seed: int, budget: int, show: int = 3) -> dict:
    run = run_proposer(problem, "predictnas", seed=seed, budget=budget, batch_size=4, use_cheap=False)
    rows = [r for r in run.rows if r >= 0]
    hv = problem.hv_ratio(rows)
    missed = [int(r) for r in problem.front_rows if r not in set(rows)]
    gains = sorted(((problem.hv_ratio(rows + [r]) - hv, r) for r in missed), reverse=True)[:show]
    first = problem.F[:, 0]  # minimisation form
    return {"hv_ratio": hv, "best_evaluated": float(-first[rows].min()), "front_best": float(-first[problem.front_rows].min()),
            "top_missed": [{"row": r, "objectives": [float(v) for v in problem.F[r]], "adds": g} for g, r in gains]}


def top_ranks(problem, sizes: list[int], seed: int = 0, top: int = 5) -> dict:
    space, table = problem.space, problem.table
    first_of_class: dict[str, int] = {}
    for r, arch in enumerate(table.archs):
        first_of_class.setdefault(space.canonical_key(arch), r)
    rows = np.array(sorted(first_of_class.values()))
    encoder = ArchFeatures("tabular").fit(space)
    X, y = encoder.transform([table.archs[r] for r in rows]), -problem.F[rows, 0]
    rng = np.random.default_rng(seed)
    out = {"classes": len(rows), "fits": []}
    for n in sizes:
        for name, options in (("gp", {"groups": encoder.layout_.groups()}), ("xgboost", {})):
            train = rng.choice(len(rows), n, replace=False)
            test = np.setdiff1d(np.arange(len(rows)), train)
            model = make_surrogate(name, seed=seed, **options).fit(X[train], y[train, None])
            predicted = model.predict(X[test])[0][:, 0]
            order = test[np.argsort(-predicted)]
            best = test[np.argsort(-y[test])[:top]]
            out["fits"].append({"model": name, "train": n, "spearman": float(spearmanr(predicted, y[test])[0]),
                                "best_held_out": [float(v) for v in y[best]],
                                "predicted_ranks": [int(np.flatnonzero(order == b)[0]) for b in best], "held_out": len(test)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="nbg-citeseer-latency-canonical")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--train", default="50,100,200", help="training classes of each model fit")
    parser.add_argument("--data-dir", default=None, help="NAS-Bench-201 tables (default: $PREDICTNAS_DATA_DIR or ../shared/benchdata)")
    parser.add_argument("--cache-dir", default=None, help="where NAS-Bench-Graph tables are written")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.problem not in PROBLEMS:
        sys.exit(f"front_top.py: unknown problem {args.problem!r}; `predictnas benchmark suite --list` prints them.")
    try:
        problem = PROBLEMS[args.problem].build(args.data_dir, args.cache_dir)
    except InvalidSpecError as exc:
        sys.exit(f"front_top.py: {exc}")
    result = {"problem": args.problem, "runs": {}, "models": top_ranks(problem, [int(n) for n in args.train.split(",")])}
    for seed in (int(s) for s in args.seeds.split(",")):
        run = result["runs"][str(seed)] = missed_top(problem, seed, args.budget)
        print(f"seed {seed}: HV ratio {run['hv_ratio']:.4f} after {args.budget}; best first objective evaluated "
              f"{run['best_evaluated']:.2f}, front's best {run['front_best']:.2f}; top missed front rows: "
              + ", ".join(f"{m['row']} {np.round(m['objectives'], 4).tolist()} adds {m['adds']:.4f}" for m in run["top_missed"]))
    for fit in result["models"]["fits"]:
        print(f"{fit['model']:8s} on {fit['train']:4d} of {result['models']['classes']} classes: Spearman {fit['spearman']:.3f}; "
              f"the 5 best held-out ({min(fit['best_held_out']):.2f}-{max(fit['best_held_out']):.2f}) at predicted ranks "
              f"{fit['predicted_ranks']} of {fit['held_out']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
