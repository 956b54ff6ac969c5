"""Latency on an unseen device from k measurements: leave-one-device-out over the 27 measured
devices of the NAS-Bench-201 table (4 from HW-NAS-Bench, 23 from HELP).

For each device in turn, ``LatencyTransfer`` is pretrained on the other 26 devices' latencies of
all 15,625 cells, picks k cells to measure on the held-out device (``reference``), adapts to
their measured latencies and predicts the other cells. Scored over all 15,625 cells: Spearman,
the share within +-10 % of the measured latency, and the coverage of the 90 % interval.

Baselines, given the same k measured cells:
- ``k-alone``: a GP (predictnas's ``GPSurrogate``) on the cell's one-hot ops, fitted on the k
  measurements alone (log latency);
- ``flops``: log latency linear in log FLOPs, fitted on the k (its Spearman is FLOPs' own);
- ``nearest-device``: the other device whose log latencies correlate best with the k
  measurements, mapped linearly in log space;
and ``predictnas-random-cells`` (the same model given k random cells instead of its own choice).

HELP's split (meta-training on 13 devices: its meta-train and meta-valid ones; 6 meta-test
devices, k = 10) is run too and printed beside HELP's published Table 3 (Spearman).

    python benchmarks/latency.py --out results.json

JSON: ``loo[k]`` for k in "5", "10", "20": ``spearman_median``, ``within10_median`` (0-1),
``coverage90_median``, ``devices`` (per device); ``baselines[name][k]`` the same; ``help_split``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from predictnas.latency import LatencyTransfer

KS = (5, 10, 20)
OPS = ("op_0_1", "op_0_2", "op_1_2", "op_0_3", "op_1_3", "op_2_3")
HELP_TRAIN = ("1080ti_1", "1080ti_32", "1080ti_256", "silver_4114", "silver_4210r", "samsung_a50", "pixel3", "essential_ph_1",
              "samsung_s7", "titanx_1", "titanx_32", "titanx_256", "gold_6240")
#: HELP (NeurIPS 2021), README Table 3: Spearman with 10 samples from the target device.
HELP_PUBLISHED = {"titan_rtx_256": 0.987, "gold_6226": 0.989, "pixel2": 0.802, "raspi4": 0.890, "eyeriss": 0.940, "fpga": 0.985}


def load(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Device names, latencies ``(15625, 27)`` ms, FLOPs ``(15625,)`` and one-hot ops ``(15625, 30)``."""
    import csv

    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c.endswith("_latency")]
    names = [c.removesuffix("_latency").removeprefix("help_").removeprefix("cifar10_") for c in columns]
    L = np.array([[float(r[c]) for c in columns] for r in rows])
    flops = np.array([float(r["cifar10_flops_m"]) for r in rows])
    ops = sorted({r[o] for r in rows for o in OPS})
    onehot = np.array([[float(r[o] == op) for o in OPS for op in ops] for r in rows])
    return names, L, flops, onehot


def score(pred: np.ndarray, true: np.ndarray, interval: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    out = {"spearman": float(spearmanr(pred, true)[0]), "within10": float(np.mean(np.abs(pred - true) <= 0.1 * true))}
    if interval is not None:
        out["coverage90"] = float(np.mean((true >= interval[0]) & (true <= interval[1])))
    return out


def baseline(name: str, L: np.ndarray, held: int, rows: np.ndarray, flops: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """The baseline's predicted latency (ms) of every cell from the held-out device's ``rows``."""
    y = np.log(L[rows, held])
    if name == "flops":
        slope, intercept = np.polyfit(np.log(flops[rows]), y, 1)
        return np.exp(intercept + slope * np.log(flops))
    if name == "nearest-device":
        others = [d for d in range(L.shape[1]) if d != held]
        best = max(others, key=lambda d: np.nan_to_num(np.corrcoef(np.log(L[rows, d]), y)[0, 1], nan=-1.0))
        slope, intercept = np.polyfit(np.log(L[rows, best]), y, 1)
        return np.exp(intercept + slope * np.log(L[:, best]))
    from predictnas._determinism import seeded_torch
    from predictnas.surrogates import GPSurrogate

    with seeded_torch(held):
        mean, _ = GPSurrogate(warp=None).fit(onehot[rows], y[:, None]).predict(onehot)
    return np.exp(mean[:, 0])


def summarise(per_device: dict[str, dict]) -> dict:
    out = {f"{m}_median": float(np.median([d[m] for d in per_device.values()]))
           for m in ("spearman", "within10", "coverage90") if all(m in d for d in per_device.values())}
    out["devices"] = per_device
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    ap.add_argument("--devices", help="comma-separated held-out devices (default: all 27)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    table = Path(args.data_dir) / "nb201_core.csv"
    if not table.is_file():
        print(f"latency: {table} not found (pass --data-dir DIR or set PREDICTNAS_DATA_DIR).", file=sys.stderr)
        sys.exit(2)
    names, L, flops, onehot = load(table)
    held_out = [d.strip() for d in args.devices.split(",")] if args.devices else names
    unknown = sorted(set(held_out) - set(names))
    if unknown:
        ap.error(f"unknown device(s) {unknown}; the table has {', '.join(names)}")
    started = time.perf_counter()
    methods = ["predictnas", "predictnas-random-cells", "k-alone", "flops", "nearest-device"]
    per: dict[str, dict[int, dict[str, dict]]] = {m: {k: {} for k in KS} for m in methods}
    ranks = {}
    for name in held_out:
        held = names.index(name)
        model = LatencyTransfer().fit(np.delete(L, held, axis=1), [n for n in names if n != name])
        ranks[name] = model.rank_
        for k in KS:
            chosen = model.reference(k)
            for method, rows in (("predictnas", chosen), ("predictnas-random-cells",
                                                          np.random.default_rng(held * 100 + k).choice(len(L), k, replace=False))):
                model.adapt(rows, L[rows, held])
                per[method][k][name] = score(model.predict()[0], L[:, held], model.interval(level=0.9))
            for method in ("k-alone", "flops", "nearest-device"):
                per[method][k][name] = score(baseline(method, L, held, chosen, flops, onehot), L[:, held])
        row = per["predictnas"][10][name]
        print(f"{name:15s} rank {model.rank_:2d}  k=10: Spearman {row['spearman']:.3f}, within 10 % {row['within10']:.3f}, "
              f"90 % interval covers {row['coverage90']:.3f}", flush=True)
    result: dict = {"devices": held_out, "ranks": ranks,
                    "loo": {str(k): summarise(per["predictnas"][k]) for k in KS},
                    "baselines": {m: {str(k): summarise(per[m][k]) for k in KS} for m in methods[1:]}}
    print(f"\nLeave-one-device-out over {len(held_out)} devices, all {len(L)} cells, median over devices "
          f"(Spearman / share within +-10 %):")
    print(f"{'method':25s} " + " ".join(f"{'k = ' + str(k):>15s}" for k in KS))
    for m in methods:
        blocks = result["loo"] if m == "predictnas" else result["baselines"][m]
        print(f"{m:25s} " + " ".join(f"{blocks[str(k)]['spearman_median']:.3f} / {blocks[str(k)]['within10_median']:.3f}".rjust(15)
                                     for k in KS))
    if set(HELP_PUBLISHED) <= set(names):
        train = [names.index(d) for d in HELP_TRAIN]
        model = LatencyTransfer().fit(L[:, train], list(HELP_TRAIN))
        help_split = {}
        for name, published in HELP_PUBLISHED.items():
            held = names.index(name)
            rows = model.reference(10)
            model.adapt(rows, L[rows, held])
            help_split[name] = {**score(model.predict()[0], L[:, held]), "help_published_spearman": published}
        result["help_split"] = help_split
        print(f"\nHELP's split: pretrained on its 13 meta-train/valid devices, k = 10 on each meta-test device (rank {model.rank_}):")
        print(f"{'device':15s} {'predictnas':>10s} {'HELP':>6s} {'within 10 %':>12s}")
        for name, r in help_split.items():
            print(f"{name:15s} {r['spearman']:10.3f} {r['help_published_spearman']:6.3f} {r['within10']:12.3f}")
        print(f"{'mean':15s} {np.mean([r['spearman'] for r in help_split.values()]):10.3f} "
              f"{np.mean(list(HELP_PUBLISHED.values())):6.3f}")
    result["seconds"] = time.perf_counter() - started
    if args.out:
        from importlib.metadata import version

        result["versions"] = {p: version(p) for p in ("predictnas", "numpy", "botorch")}
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
