"""Predictor quality on NAS-Bench-201: surrogates x encodings x cheap statistics / pretraining.

    python benchmarks/predictors.py [--data-dir ../shared/benchdata] [--seeds 10] [--out results.json]

For each dataset (CIFAR-10 and CIFAR-100 test accuracy), training-set size (25/50/100/200 random
architectures) and seed, every configuration is fitted on the training set and scored on all
other architectures of the table: Spearman, Kendall, Kendall among the true top 5 %, 90 %-interval
coverage, and the fit+predict time. All configurations of one seed share its training set.

Configurations (``--grid default``), each an ablation of one choice:

- ``xgboost-naive``: xgboost on the one-hot encoding, nothing else (the baseline);
- ``gp`` / ``xgboost`` / ``xgboost-quantile`` on ``onehot`` and on ``tabular`` (one-hot plus the
  cell-structure statistics), no cheap statistics;
- ``gp-nowarp``: without the output power transform; ``gp-one-kernel``: one RBF kernel over
  all columns instead of the additive kernel over column groups (one-hot, cell statistics, cheap
  statistics);
- ``gp`` / ``xgboost`` on ``tabular`` with cheap statistics as plain features: ``flops`` (the
  dataset's FLOPs and params: exact sums of per-op costs) or ``latency`` (27 measured device
  latencies: 4 HW-NAS-Bench, 23 HELP);
- ``gp`` / ``xgboost`` on ``tabular`` with ``pretrain``: FBNetV3-style, xgboost models fitted on
  every architecture's free statistics (FLOPs, params, latencies; no accuracy) predict them, and
  the predictions are the extra features;
- ``gp`` / ``xgboost`` on the ``path`` and ``graph`` encodings.

``--grid proxies`` (needs a ``synflow`` column: ``benchmarks/nb201_proxies.py`` writes the core
table with one, for every cell): ``gp`` / ``xgboost`` on ``tabular`` without cheap statistics,
with ``synflow``, with the 27 latencies, and with both; and ``synflow-alone`` (the score itself as
the prediction: no training, no interval).

Prints one line per configuration and size (medians over seeds) and writes JSON (``results``: one
row per dataset x configuration x size).
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
from predictnas.encoders import ArchFeatures
from predictnas.surrogates import make_surrogate, rank_quality

TARGETS = {"cifar10": "cifar10_test_acc", "cifar100": "cifar100_test_acc"}
PROXY_COLUMNS = ("synflow",)  # computed for every cell by benchmarks/nb201_proxies.py


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


def cheap_groups(columns: dict[str, np.ndarray], dataset: str) -> dict[str, list[str]]:
    """The cheap-statistic columns by kind: ``flops`` (FLOPs and params of ``dataset``, or of no
    dataset) and ``latency`` (every latency column); constant or non-finite columns left out."""
    usable = [c for c in sorted(columns) if np.isfinite(columns[c]).all() and columns[c].std() > 0]
    own = tuple(f"{d}_" for d in TARGETS if d != dataset) + ("imagenet16_",)
    flops = [c for c in usable if ("flops" in c or "params" in c) and not c.startswith(own)]
    latency = [c for c in usable if "latency" in c]
    proxies = [c for c in usable if c in PROXY_COLUMNS]
    return {"none": [], "flops": flops, "latency": latency, "flops+latency": flops + latency, "proxies": proxies,
            "proxies+latency": proxies + latency}


def configurations(grid: str) -> list[dict[str, Any]]:
    def config(name: str, model: str, encoding: str, cheap: str = "none", pretrain: bool = False, **options: Any) -> dict[str, Any]:
        return {"surrogate": name, "model": model, "encoding": encoding, "cheap": cheap, "pretrain": pretrain, "options": options}

    rows = [config("xgboost-naive", "xgboost", "onehot")]
    if grid == "quick":
        return rows + [config("gp", "gp", "tabular"), config("xgboost", "xgboost", "tabular")]
    if grid == "proxies":
        rows.append(config("synflow-alone", "alone", "tabular", "proxies"))
        for model in ("gp", "xgboost"):
            rows += [config(model, model, "tabular"), config(model, model, "tabular", "proxies"),
                     config(model, model, "tabular", "latency"), config(model, model, "tabular", "proxies+latency")]
        return rows
    for model in ("gp", "xgboost", "xgboost-quantile"):
        rows += [config(model, model, "onehot"), config(model, model, "tabular")]
    rows.append(config("gp-nowarp", "gp", "tabular", warp=None))
    rows.append(config("gp-one-kernel", "gp", "tabular", groups=None))
    for model in ("gp", "xgboost"):
        rows += [config(model, model, "tabular", "flops"), config(model, model, "tabular", "latency"),
                 config(model, model, "tabular", "flops+latency", pretrain=True)]
        rows += [config(model, model, "path"), config(model, model, "graph")]
    return rows


def features_for(config: dict[str, Any], space: pn.SearchSpace, archs: list[pn.Arch], groups: dict[str, list[str]],
                 columns: dict[str, np.ndarray]) -> tuple[np.ndarray, list[int], list[list[int]]]:
    """``(X, cat_dims, groups)``: the configuration's features of every architecture and their
    column groups. Pretraining uses every architecture's free statistics, never an accuracy."""
    names = groups[config["cheap"]]
    stats = {c: columns[c] for c in names}
    f = ArchFeatures(config["encoding"], cheap=() if config["pretrain"] else names, pretrain=config["pretrain"])
    f.fit(space, archs, cheap=stats)
    return f.transform(archs, stats), f.cat_dims_, f.groups_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--table", default="nb201_core.csv", help="CSV inside --data-dir (default nb201_core.csv)")
    parser.add_argument("--datasets", default="cifar10,cifar100")
    parser.add_argument("--sizes", default="25,50,100,200")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--grid", choices=("quick", "default", "proxies"), default="default",
                        help="proxies: with and without the table's synflow column (add it with "
                             "benchmarks/nb201_proxies.py and pass --table PATH)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    path = Path(args.data_dir) / args.table
    if not path.is_file():
        print(f"predictors: {path} not found. Put the NAS-Bench-201 table there, or pass --data-dir DIR "
              "(or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    import torch

    torch.set_num_threads(1)  # small matrices: one thread is faster, and timings do not depend on the machine
    space = pn.load_space("nb201")
    archs, columns = load_table(path, space)
    sizes = [int(s) for s in args.sizes.split(",")]
    results, started = [], time.perf_counter()
    for dataset in args.datasets.split(","):
        target = TARGETS.get(dataset, dataset)
        if target not in columns:
            sys.exit(f"{path}: no column {target!r} for dataset {dataset!r}.")
        y = columns[target]
        groups = cheap_groups(columns, dataset)
        print(f"{dataset}: target {target}; cheap statistics: flops = {groups['flops']}, "
              f"latency = {len(groups['latency'])} columns", file=sys.stderr)
        if args.grid == "proxies" and not groups["proxies"]:
            sys.exit(f"{path}: no proxy column ({', '.join(PROXY_COLUMNS)}); write a table with one: "
                     "python benchmarks/nb201_proxies.py --out PATH, then --table PATH.")
        cache: dict[tuple[str, str, bool], tuple[np.ndarray, list[int], list[list[int]]]] = {}
        for config in configurations(args.grid):
            key = (config["encoding"], config["cheap"], config["pretrain"])
            if key not in cache:
                cache[key] = features_for(config, space, archs, groups, columns)
            X, cat_dims, column_groups = cache[key]
            for n in sizes:
                per_seed = []
                for seed in range(args.seeds):
                    rng = np.random.default_rng([seed, n])
                    train = rng.choice(len(archs), n, replace=False)
                    test = np.setdiff1d(np.arange(len(archs)), train)
                    options = dict(config["options"])
                    if config["model"] == "gp":
                        options.setdefault("cat_dims" if cat_dims else "groups", cat_dims or column_groups)
                    if config["model"].startswith("xgboost"):
                        options["seed"] = seed
                    torch.manual_seed(seed)
                    t0 = time.perf_counter()
                    if config["model"] == "alone":  # the proxy as the prediction: no training, no interval
                        mean = low = high = columns[groups["proxies"][0]][test, None]
                    else:
                        model = make_surrogate(config["model"], **options).fit(X[train], y[train, None])
                        mean, _ = model.predict(X[test])
                        low, high = model.interval(X[test], 0.9)
                    elapsed = time.perf_counter() - t0
                    quality = rank_quality(y[test], mean[:, 0], low[:, 0], high[:, 0], top=0.05)
                    if config["model"] == "alone":
                        quality["coverage"] = float("nan")
                    per_seed.append({**quality, "seconds": elapsed})
                row = {"dataset": dataset, "surrogate": config["surrogate"], "encoding": config["encoding"],
                       "cheap": config["cheap"], "pretrain": config["pretrain"], "n_train": n, "n_test": len(archs) - n,
                       "seeds": args.seeds}
                for metric, name in (("spearman", "spearman"), ("kendall", "kendall"), ("kendall_top", "kendall_top5"),
                                     ("coverage", "coverage90")):
                    values = np.array([s[metric] for s in per_seed], dtype=float)
                    if not np.isfinite(values).any():  # e.g. the coverage of a proxy alone
                        row[f"{name}_median"], row[f"{name}_iqr"] = float("nan"), [float("nan")] * 2
                        continue
                    row[f"{name}_median"] = float(np.nanmedian(values))
                    row[f"{name}_iqr"] = [float(v) for v in np.nanpercentile(values, [25, 75])]
                row["fit_predict_s"] = statistics.median(s["seconds"] for s in per_seed)
                results.append(row)
                print(f"{dataset:8s} {config['surrogate']:17s} {config['encoding']:8s} cheap={config['cheap']:13s} "
                      f"pretrain={config['pretrain']!s:5s} n={n:3d}  spearman {row['spearman_median']:.3f}  kendall "
                      f"{row['kendall_median']:.3f}  top5% {row['kendall_top5_median']:.3f}  cov90 "
                      f"{row['coverage90_median']:.3f}  {row['fit_predict_s']:.2f}s", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps({"table": str(path), "seeds": args.seeds, "results": results}, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
