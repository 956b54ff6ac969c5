"""Do published zero-cost proxies help the predictor? NAS-Bench-201, the 725 cells that have them.

    python benchmarks/proxies.py [--data-dir ../shared/benchdata] [--seeds 10] [--out results.json]

NASLib publishes zero-cost proxy scores (``nb201_zc_naslib_subset.csv``) for 725 cells per dataset
only, so this runs on those cells: training sets of 25 / 50 / 100 random cells, scored on the
other cells of the subset (200-epoch test accuracy of the core table). Configurations: the GP and
the xgboost ensemble on the ``tabular`` encoding, without and with the proxies as features
(signed ``log1p`` of each score, then standardised, by ``ArchFeatures``; one kernel term for
them in the GP); and, as
references that need no training, each proxy alone (its Spearman with the accuracy on the same
test cells). NASLib's ``flops``/``params`` (in the core table already) and ``val_accuracy`` (an
accuracy) are not proxies and are left out; cells with a missing or infinite score are dropped.

Prints one line per configuration and size (medians over seeds) and writes JSON (``results``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from predictors import TARGETS, load_table

import predictnas as pn
from predictnas.encoders import ArchFeatures
from predictnas.surrogates import make_surrogate, rank_quality

PROXIES = ("epe_nas", "fisher", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "plain", "snip", "synflow")


def load_proxies(path: Path, dataset: str) -> dict[int, dict[str, float]]:
    """``{NB201 index: {proxy: score}}`` of ``dataset``'s rows with every proxy published."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["dataset"] == dataset and all(row[p] not in ("", None) for p in PROXIES):
                values = {p: float(row[p]) for p in PROXIES}
                if all(np.isfinite(v) for v in values.values()):
                    out[int(row["index"])] = values
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                             str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--datasets", default="cifar10,cifar100")
    parser.add_argument("--sizes", default="25,50,100")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    core, zc = Path(args.data_dir) / "nb201_core.csv", Path(args.data_dir) / "nb201_zc_naslib_subset.csv"
    for path in (core, zc):
        if not path.is_file():
            print(f"proxies: {path} not found. Put the NAS-Bench-201 tables there, or pass --data-dir DIR "
                  "(or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
            sys.exit(2)
    import torch

    torch.set_num_threads(1)
    space = pn.load_space("nb201")
    archs, columns = load_table(core, space)
    row_of = {int(i): r for r, i in enumerate(columns["index"])}
    results, started = [], time.perf_counter()
    for dataset in args.datasets.split(","):
        scores = load_proxies(zc, dataset)
        rows = np.array([row_of[i] for i in sorted(scores)])
        y = columns[TARGETS[dataset]][rows]
        sub = [archs[r] for r in rows]
        raw = {p: np.array([scores[i][p] for i in sorted(scores)]) for p in PROXIES}
        stats = raw  # ArchFeatures takes a signed log1p of each, then standardises
        print(f"{dataset}: {len(rows)} cells with every proxy", file=sys.stderr)
        features = {}
        for with_proxies in (False, True):
            f = ArchFeatures("tabular", cheap=PROXIES if with_proxies else ()).fit(space, sub, cheap=stats)
            features[with_proxies] = (f.transform(sub, stats), f.groups_)
        configs = [(m, w) for m in ("gp", "xgboost") for w in (False, True)]
        for n in [int(s) for s in args.sizes.split(",")]:
            per: dict[str, list[float]] = {}
            for seed in range(args.seeds):
                rng = np.random.default_rng([seed, n])
                train = rng.choice(len(rows), n, replace=False)
                test = np.setdiff1d(np.arange(len(rows)), train)
                for model, with_proxies in configs:
                    X, groups = features[with_proxies]
                    options = {"groups": groups} if model == "gp" else {"seed": seed}
                    torch.manual_seed(seed)
                    mean, _ = make_surrogate(model, **options).fit(X[train], y[train, None]).predict(X[test])
                    name = f"{model} · tabular" + (" + proxies" if with_proxies else "")
                    per.setdefault(name, []).append(rank_quality(y[test], mean[:, 0])["spearman"])
                for p in PROXIES:  # a proxy alone, on the same test cells (no training)
                    per.setdefault(f"{p} alone", []).append(rank_quality(y[test], raw[p][test])["spearman"])
            for name, values in per.items():
                row = {"dataset": dataset, "configuration": name, "n_train": n, "n_test": len(rows) - n, "seeds": args.seeds,
                       "spearman_median": float(np.median(values)),
                       "spearman_iqr": [float(v) for v in np.percentile(values, [25, 75])]}
                results.append(row)
                print(f"{dataset:8s} n={n:3d} {name:28s} spearman {row['spearman_median']:.3f} "
                      f"[{row['spearman_iqr'][0]:.3f}, {row['spearman_iqr'][1]:.3f}]", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps({"seeds": args.seeds, "proxies": PROXIES, "results": results}, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
