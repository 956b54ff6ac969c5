"""A supernet's per-block latency table on this CPU against end-to-end measurements of 200 subnets.

The table (``predictnas.latency.BlockLatencyTable``) times each block configuration once (median
of 20 runs, batch 1); a subnet's prediction is the sum along its blocks, calibrated
(``measured = a + b * sum``, Theil-Sen) on 10 subnets spread over the table's range. Every subnet
is measured end to end twice (median of 20 runs each, one pass over all subnets, then another):
the first pass is the truth, the second says how far the CPU's own timing noise lets any model
get (the share of second measurements within +-10 % of the first). Baseline: MACs, fitted the same
way on the same 10.

    python benchmarks/latency_table.py --out results.json [--supernet mnist1d_cnn] [--subnets 200] [--threads 1]

JSON: ``within10`` (calibrated table, the other subnets), ``spearman``, ``noise_within10``,
``macs_within10``, ``macs_spearman``, ``table_entries``, ``build_seconds``, ``calibration_subnets``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr, theilslopes

from predictnas.latency import BlockLatencyTable
from predictnas.supernets import measure_latency, profile
from predictnas.supernets import resolve_supernet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--supernet", default="mnist1d_cnn")
    ap.add_argument("--subnets", type=int, default=200)
    ap.add_argument("--calibrate", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    built = resolve_supernet(args.supernet)
    net = built.make().eval()
    example = built.task().X_val[:1]
    archs = net.space.sample(args.subnets, rng=args.seed, unique=True)
    started = time.perf_counter()
    table = BlockLatencyTable(net, example, repeats=args.repeats).build(archs)
    build_s = time.perf_counter() - started
    passes = []
    for _ in range(2):
        times = []
        for arch in archs:
            with net.activate(arch):
                times.append(measure_latency(net, example, repeats=args.repeats))
        passes.append(np.array(times))
    measured, again = passes
    raw = np.array([table.raw(a) for a in archs])
    macs = []
    for arch in archs:
        with net.activate(arch):
            macs.append(profile(net, example)[1] / 1e6)
    macs = np.array(macs)
    # the calibration subnets: evenly spread over the table's sums (what a user would pick to measure)
    picked = {id(a) for a in table.spread(archs, args.calibrate)}
    calib = np.array([i for i, a in enumerate(archs) if id(a) in picked])
    rest = np.setdiff1d(np.arange(len(archs)), calib)
    table.calibrate([archs[i] for i in calib], measured[calib])
    predicted = np.array([table.predict(a) for a in archs])
    slope, intercept = theilslopes(measured[calib], macs[calib])[:2]
    by_macs = intercept + slope * macs

    def within(p: np.ndarray) -> float:
        return float(np.mean(np.abs(p[rest] - measured[rest]) <= 0.1 * measured[rest]))

    result = {"supernet": args.supernet, "subnets": len(archs), "threads": args.threads, "repeats": args.repeats,
              "calibration_subnets": args.calibrate, "table_entries": len(table.entries), "build_seconds": build_s,
              "within10": within(predicted), "spearman": float(spearmanr(predicted[rest], measured[rest])[0]),
              "noise_within10": float(np.mean(np.abs(again - measured) <= 0.1 * measured)),
              "noise_spearman": float(spearmanr(again, measured)[0]),
              "macs_within10": within(by_macs), "macs_spearman": float(spearmanr(macs[rest], measured[rest])[0]),
              "latency_ms_range": [float(measured.min()), float(measured.max())],
              "calibration": {"intercept": table.intercept, "slope": table.slope},
              "machine": {"processor": platform.processor() or platform.machine(), "torch": torch.__version__}}
    print(f"{args.supernet}: {len(archs)} subnets, {result['table_entries']} table entries timed in {build_s:.1f} s "
          f"({args.threads} thread(s), batch 1, median of {args.repeats}); measured {measured.min():.3f}-{measured.max():.3f} ms")
    print(f"{'predictor':36s} {'within +-10 %':>13s} {'Spearman':>9s}")
    print(f"{'block table, calibrated on ' + str(args.calibrate):36s} {result['within10']:13.3f} {result['spearman']:9.3f}")
    print(f"{'MACs, calibrated on the same':36s} {result['macs_within10']:13.3f} {result['macs_spearman']:9.3f}")
    print(f"{'a second measurement (timing noise)':36s} {result['noise_within10']:13.3f} {result['noise_spearman']:9.3f}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
