"""Predictor quality on NAS-Bench-201: surrogates x encodings x cheap statistics / pretraining.

    python benchmarks/predictors.py [--data-dir ../shared/benchdata] [--seeds 10] [--out results.json]

For each dataset (CIFAR-10 and CIFAR-100 test accuracy), training-set size (25/50/100/200 random
architectures) and seed, every configuration is fitted on the training set and scored on all
other architectures of the table: Spearman, Kendall, Kendall among the true top 5 %, 90 %-interval
coverage, and the fit+predict time. Configurations (``--grid default``):

- ``xgboost-naive``: xgboost on the one-hot encoding, no cheap statistics, no pretraining (the baseline);
- ``xgboost`` / ``xgboost-quantile`` / ``gp`` on the tabular encoding, with the cheap statistics as
  plain features (``cheap="plain"``), or with a pretrained embedding instead (``pretrain=True``:
  xgboost models fitted on all architectures' cheap statistics, which cost nothing, predict them
  for every architecture);
- ``xgboost`` on the path, graph and sequence encodings with plain cheap statistics.

Cheap statistics are the table's FLOPs, params and zero-cost proxy columns (``--cheap`` names them;
by default every column whose name contains flops, params or a known proxy name). Prints a table of
medians over seeds and writes JSON (``results``: one row per dataset x configuration x size).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import predictnas as pn
from predictnas.surrogates import ArchFeatures, make_surrogate, rank_quality

PROXY_WORDS = ("flops", "params", "synflow", "grad_norm", "snip", "grasp", "fisher", "jacov", "nwot", "zen", "epe_nas",
               "l2_norm", "plain", "naswot")
TARGETS = {"cifar10": "cifar10_test_acc", "cifar100": "cifar100_test_acc"}


def load_table(path: Path, space: pn.SearchSpace) -> tuple[list[pn.Arch], dict[str, np.ndarray]]:
    """Architectures and numeric columns of an NB201-shaped CSV (one column per cell edge)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: the table is empty.")
    missing = [p for p in space.param_names if p not in rows[0]]
    if missing:
        sys.exit(f"{path}: lacks the architecture columns {missing}.")
    archs = [space.make_arch({p: r[p] for p in space.param_names}) for r in rows]
    columns: dict[str, np.ndarray] = {}
    for name in rows[0]:
        if name in space.param_names:
            continue
        try:
            columns[name] = np.array([float(r[name]) for r in rows])
        except (TypeError, ValueError):
            continue
    return archs, columns


def cheap_columns(columns: dict[str, np.ndarray], dataset: str, wanted: list[str] | None) -> list[str]:
    """The cheap-statistic columns for ``dataset``: named ones, else flops/params/proxy columns of
    that dataset (or of no dataset); constant or non-finite columns are left out."""
    if wanted:
        unknown = [c for c in wanted if c not in columns]
        if unknown:
            sys.exit(f"--cheap: no numeric columns {unknown}; available: {sorted(columns)}")
        return wanted
    prefixes = tuple(f"{d}_" for d in TARGETS)
    chosen = []
    for name in sorted(columns):
        low = name.lower()
        if not any(word in low for word in PROXY_WORDS) or "acc" in low:
            continue
        if low.startswith(prefixes) and not low.startswith(f"{dataset}_"):
            continue
        values = columns[name]
        if np.isfinite(values).all() and values.std() > 0:
            chosen.append(name)
    return chosen


def configurations(grid: str) -> list[dict[str, Any]]:
    naive = [{"surrogate": "xgboost-naive", "model": "xgboost", "encoding": "tabular", "cheap": "none", "pretrain": False}]
    if grid == "quick":
        return naive + [{"surrogate": "xgboost", "model": "xgboost", "encoding": "tabular", "cheap": "plain", "pretrain": False},
                        {"surrogate": "gp", "model": "gp", "encoding": "tabular", "cheap": "plain", "pretrain": False}]
    rows = list(naive)
    for model in ("xgboost", "xgboost-quantile", "gp"):
        rows.append({"surrogate": model, "model": model, "encoding": "tabular", "cheap": "plain", "pretrain": False})
        rows.append({"surrogate": model, "model": model, "encoding": "tabular", "cheap": "none", "pretrain": True})
    for encoding in ("path", "graph", "sequence"):
        rows.append({"surrogate": "xgboost", "model": "xgboost", "encoding": encoding, "cheap": "plain", "pretrain": False})
    if grid == "full":
        for model in ("xgboost", "gp"):
            for encoding in ("path", "graph", "sequence"):
                for cheap, pretrain in (("none", True), ("plain", True)):
                    rows.append({"surrogate": model, "model": model, "encoding": encoding, "cheap": cheap, "pretrain": pretrain})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--table", default="nb201_core.csv", help="CSV inside --data-dir (default nb201_core.csv)")
    parser.add_argument("--datasets", default="cifar10,cifar100")
    parser.add_argument("--sizes", default="25,50,100,200")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--cheap", nargs="*", help="cheap-statistic columns (default: flops/params/proxy columns)")
    parser.add_argument("--grid", choices=("quick", "default", "full"), default="default")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    path = Path(args.data_dir) / args.table
    if not path.is_file():
        print(f"predictors: {path} not found. Put the NAS-Bench-201 table there, or pass --data-dir DIR "
              "(or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    space = pn.load_space("nb201")
    archs, columns = load_table(path, space)
    sizes = [int(s) for s in args.sizes.split(",")]
    results, started = [], time.perf_counter()
    for dataset in args.datasets.split(","):
        target = TARGETS.get(dataset, dataset)
        if target not in columns:
            sys.exit(f"{path}: no column {target!r} for dataset {dataset!r}.")
        y = columns[target]
        cheap = cheap_columns(columns, dataset, args.cheap)
        print(f"{dataset}: target {target}, cheap statistics {cheap}", file=sys.stderr)
        stats = {c: columns[c] for c in cheap}
        features: dict[tuple[str, bool, str], np.ndarray] = {}
        for config in configurations(args.grid):
            key = (config["encoding"], config["pretrain"], config["cheap"])
            if key not in features:
                f = ArchFeatures(config["encoding"], cheap=cheap if config["cheap"] == "plain" else (),
                                 pretrain=config["pretrain"])
                f.fit(space, archs, cheap=stats)  # pretraining uses every architecture's free statistics, no accuracy
                features[key] = (f.transform(archs, stats), f.cat_dims_)
            X, cat_dims = features[key]
            for n in sizes:
                per_seed = []
                for seed in range(args.seeds):
                    rng = np.random.default_rng([seed, n])
                    train = rng.choice(len(archs), n, replace=False)
                    test = np.setdiff1d(np.arange(len(archs)), train)
                    options = {"cat_dims": cat_dims} if config["model"] == "gp" and cat_dims else {}
                    if config["model"].startswith("xgboost"):
                        options["seed"] = seed
                    t0 = time.perf_counter()
                    model = make_surrogate(config["model"], **options).fit(X[train], y[train, None])
                    mean, _ = model.predict(X[test])
                    low, high = model.interval(X[test], 0.9)
                    elapsed = time.perf_counter() - t0
                    per_seed.append({**rank_quality(y[test], mean[:, 0], low[:, 0], high[:, 0], top=0.05), "seconds": elapsed})
                row = {"dataset": dataset, "surrogate": config["surrogate"], "encoding": config["encoding"],
                       "cheap": config["cheap"], "pretrain": config["pretrain"], "n_train": n, "n_test": len(archs) - n,
                       "seeds": args.seeds}
                for metric in ("spearman", "kendall", "kendall_top", "coverage"):
                    values = [s[metric] for s in per_seed]
                    row[f"{metric if metric != 'kendall_top' else 'kendall_top5'}{'90' if metric == 'coverage' else ''}_median"] = \
                        float(np.nanmedian(values))
                row["fit_predict_s"] = statistics.median(s["seconds"] for s in per_seed)
                results.append(row)
                print(f"{dataset:8s} {config['surrogate']:17s} {config['encoding']:8s} cheap={config['cheap']:5s} "
                      f"pretrain={config['pretrain']!s:5s} n={n:3d}  spearman {row['spearman_median']:.3f}  kendall "
                      f"{row['kendall_median']:.3f}  top5% {row['kendall_top5_median']:.3f}  cov90 "
                      f"{row['coverage90_median']:.3f}  {row['fit_predict_s']:.2f}s", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps({"table": str(path), "seeds": args.seeds, "results": results}, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
