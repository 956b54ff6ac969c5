"""``predictnas latency ...``: time an exported subnet here, build a supernet's block table, pick
and fit the few measurements of a new device, and check a study's front on the device."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from predictnas.exceptions import InvalidSpecError


def add_latency_commands(sub: Any) -> None:
    """Adds ``latency run|table|pick|fit|check`` to the ``predictnas`` subcommands ``sub``."""
    p = sub.add_parser("latency", help="latency on your device: time, tables, few-shot models, a front checked on the device",
                       description="Latency on your own device (see the README's 'Latency on your own device').")
    cmd = p.add_subparsers(dest="latency", metavar="ACTION", required=True)
    q = cmd.add_parser("run", help="time an exported TorchScript subnet here; prints the per-run times in ms",
                       description="Time a TorchScript file written by predictnas (its input shape is inside): one line "
                       "of per-run times in ms. Run it on the device, e.g. over ssh, as a DeviceMeasure command.")
    q.add_argument("model", help="the .pt file")
    q.add_argument("--warmup", type=int, default=3)
    q.add_argument("--repeats", type=int, default=20)
    q.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    q.set_defaults(func=_run)
    q = cmd.add_parser("table", help="build a supernet's per-block latency table on this machine (JSON)",
                       description="Time each block configuration that SUBNETS random subnets run, calibrate on CALIBRATE of "
                       "them measured end to end, and write the table as JSON.")
    q.add_argument("--supernet", required=True, help="a built-in supernet (e.g. mnist1d_cnn) or package.module:factory")
    q.add_argument("--subnets", type=int, default=200)
    q.add_argument("--calibrate", type=int, default=10)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--out", required=True, help="JSON file to write")
    q.set_defaults(func=_table)
    for name, what in (("pick", "which K rows of a table to measure on a new device"),
                       ("fit", "predict a new device's latency of every row from the rows measured on it")):
        q = cmd.add_parser(name, help=what, description=f"{what[0].upper()}{what[1:]}: TABLE has one row per architecture and a "
                           "latency column (ms) per device you have measured (columns ending in _latency, or --known).")
        q.add_argument("--table", required=True, help="CSV of known devices' latencies")
        q.add_argument("--known", action="append", metavar="COLUMN", help="a known device's column (repeat; default: every "
                       "column ending in _latency)")
        if name == "pick":
            q.add_argument("--k", type=int, default=10, help="measurements to take (default 10)")
            q.set_defaults(func=_pick)
        else:
            q.add_argument("--measured", required=True, help="CSV with columns row, ms: what you measured on the new device")
            q.add_argument("--out", required=True, help="CSV to write: row, predicted_ms, low_ms, high_ms (90 %% interval)")
            q.set_defaults(func=_fit)
    q = cmd.add_parser("check", help="measure the front of a study on the device until all of it is measured",
                       description="Measure METRIC of the study's constrained front with COMMAND until every front member "
                       "is measured; a member that breaks a constraint on the device leaves the front.")
    q.add_argument("storage", help="the study file")
    q.add_argument("--supernet", required=True, help="the supernet whose subnets are exported (built-in or package.module:factory)")
    q.add_argument("--command", help="device command with {model}, {warmup}, {repeats} (default: time it here)")
    q.add_argument("--metric", default="latency")
    q.add_argument("--max", type=int, dest="max_measurements", help="at most this many measurements")
    q.add_argument("--trust", action="store_true", help="run the code the study file names (see `resume --trust`)")
    q.set_defaults(func=_check)


def _run(args: argparse.Namespace) -> int:
    from predictnas.latency import time_torchscript

    times = time_torchscript(args.model, warmup=args.warmup, repeats=args.repeats, threads=args.threads)
    print(" ".join(f"{t:.6f}" for t in times))
    return 0


def _table(args: argparse.Namespace) -> int:
    import torch

    from predictnas.latency import BlockLatencyTable
    from predictnas.supernets import measure_latency
    from predictnas.supernets import resolve_supernet

    torch.set_num_threads(args.threads)
    built = resolve_supernet(args.supernet)
    net, example = built.make().eval(), built.task().X_val[:1]
    archs = net.space.sample(args.subnets, rng=0, unique=True)
    table = BlockLatencyTable(net, example).build(archs)
    chosen = table.spread(archs, args.calibrate)
    measured = []
    for arch in chosen:
        with net.activate(arch):
            measured.append(measure_latency(net, example))
    table.calibrate(chosen, measured)
    Path(args.out).write_text(json.dumps({"supernet": args.supernet, "threads": args.threads, **table.to_dict()}, indent=1))
    print(f"{len(table.entries)} block entries, calibrated on {len(chosen)} subnets (measured = {table.intercept:.4f} + "
          f"{table.slope:.4f} x sum): {args.out}", file=sys.stderr)
    return 0


def _known(args: argparse.Namespace) -> tuple[list[str], Any]:
    import numpy as np

    path = Path(args.table)
    if not path.is_file():
        raise InvalidSpecError(f"--table {path}: no such file.")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = args.known or [c for c in (rows[0] if rows else {}) if c.endswith("_latency")]
    missing = [c for c in columns if rows and c not in rows[0]]
    if not rows or len(columns) < 3 or missing:
        raise InvalidSpecError(f"--table {path}: needs rows and >= 3 latency columns; found {len(rows)} rows, columns "
                               f"{columns}{f', missing {missing}' if missing else ''} (name them with --known).")
    try:
        return columns, np.array([[float(r[c]) for c in columns] for r in rows])
    except ValueError as exc:
        raise InvalidSpecError(f"--table {path}: {exc} (every latency must be a number of ms).") from None


def _model(args: argparse.Namespace) -> Any:
    from predictnas.latency import LatencyTransfer

    columns, L = _known(args)
    return LatencyTransfer().fit(L, columns)


def _pick(args: argparse.Namespace) -> int:
    model = _model(args)
    rows = model.reference(args.k)
    print(f"measure these {len(rows)} rows of {args.table} (0-based, in this order) on the new device, then run "
          "`predictnas latency fit ... --measured FILE` with a CSV of columns row, ms:", file=sys.stderr)
    print("\n".join(str(r) for r in rows))
    return 0


def _fit(args: argparse.Namespace) -> int:
    model = _model(args)
    path = Path(args.measured)
    try:
        with open(path, newline="") as f:
            pairs = [(int(r["row"]), float(r["ms"])) for r in csv.DictReader(f)]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidSpecError(f"--measured {path}: {exc}; expected a CSV with columns row (0-based) and ms.") from None
    model.adapt([r for r, _ in pairs], [ms for _, ms in pairs])
    median, _ = model.predict()
    low, high = model.interval(level=0.9)
    with open(args.out, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["row", "predicted_ms", "low_ms", "high_ms"])
        out.writerows([i, f"{m:.6g}", f"{lo:.6g}", f"{hi:.6g}"] for i, (m, lo, hi) in enumerate(zip(median, low, high)))
    print(f"{len(median)} rows predicted from {len(pairs)} measurements (rank {model.rank_}): {args.out}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from predictnas.latency import DeviceMeasure
    from predictnas.study import load_study
    from predictnas.supernets import resolve_supernet

    built = resolve_supernet(args.supernet)
    measure = DeviceMeasure(built.make().eval(), built.task().X_val[:1], command=args.command)
    with load_study(args.storage, trust=args.trust) as study:
        for trial in study.measure_front(measure, args.metric, max_measurements=args.max_measurements):
            record = trial.user_attrs["measured"]
            print(f"trial {trial.number}: {args.metric} predicted {record[f'predicted_{args.metric}']:.4g}, measured "
                  f"{record[args.metric]:.4g}{'' if study.is_feasible(trial) else ' (breaks a constraint: off the front)'}",
                  file=sys.stderr)
        front = study.pareto_front()
        unmeasured = [t.number for t in front if args.metric not in (t.user_attrs.get("measured") or {})]
        print(f"front: {len(front)} trial(s), {len(front) - len(unmeasured)} measured on the device"
              + (f"; not yet: {unmeasured}" if unmeasured else ""))
    return 0
