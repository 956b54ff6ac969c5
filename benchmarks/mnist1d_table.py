"""A multi-fidelity table of ``mnist1d_cnn`` subnets on the official MNIST-1D data, made here.

For ``--subnets`` subnets (fixed seed: the largest, the smallest, and a spread of MACs over a
random sample of the space), it records:

- ``<out>/subnets.csv``: one row per subnet: its parameters, canonical key, MACs (M), params (K),
  measured CPU latency (ms, batch 1, median of 20, one thread), the supernet's inherited
  validation accuracy (BN-recalibrated), and the zero-cost proxies at initialisation;
- ``<out>/curves.csv``: one row per subnet, seed and epoch of standalone training from scratch
  (``--epochs`` epochs, ``--seeds`` seeds, the built-in AdamW/cosine schedule): validation
  accuracy, loss, and the seconds the epoch's training took (one torch thread);
- ``<out>/supernet.json``: the supernet's training settings and seconds, and the machine.

Resumable: rows already written are kept and skipped (a killed run continues where it stopped);
``--limit-s`` stops cleanly after about that many seconds. Runs on CPU (one thread per process);
``--worker I/N`` trains only every N-th subnet (start one process per core, same ``--out``).

    python benchmarks/mnist1d_table.py --out benchmarks/data/mnist1d_cnn [--subnets 300] [--epochs 30] [--seeds 2]
    python benchmarks/mnist1d_table.py --out benchmarks/data/mnist1d_cnn --summary   # the table's figures (JSON too)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from predictnas.supernets import (BUILTIN_SUPERNETS, PROXIES, SupernetEvaluator, mnist1d_task, profile,
                                  train_standalone, train_supernet)

CURVE_FIELDS = ["subnet", "seed", "epoch", "val_acc", "val_loss", "seconds"]


def pick_subnets(net, n: int, seed: int = 0, pool: int = 4000) -> list:
    """The largest, the smallest, and ``n - 2`` subnets at evenly spaced MAC quantiles of ``pool``
    distinct random ones (one per quantile, the nearest not yet taken)."""
    space = net.space
    sample = space.sample(pool, rng=np.random.default_rng(seed), unique=True)
    x = torch.zeros(1, 1, 40)
    macs = []
    for arch in sample:
        with net.activate(arch):
            macs.append(profile(net, x)[1])
    order = np.argsort(macs, kind="stable")
    chosen = [net.largest_arch(), net.smallest_arch()]
    keys = {space.canonical_key(a) for a in chosen}
    for q in np.linspace(0, len(order) - 1, n - 2):
        for j in sorted(range(len(order)), key=lambda j: abs(j - q)):
            arch = sample[order[j]]
            if space.canonical_key(arch) not in keys:
                keys.add(space.canonical_key(arch))
                chosen.append(arch)
                break
    return chosen


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _append(path: Path, fields: list[str], rows: list[dict]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)
        f.flush()
        os.fsync(f.fileno())


def summarize(out: Path) -> dict:
    """What the table says: seed agreement, how early epochs, inherited accuracy and MACs rank the
    final accuracy (Kendall tau against the mean of seeds at the last epoch), and its compute."""
    from scipy.stats import kendalltau

    curves = _rows(out / "curves.csv")
    subnets = {int(r["subnet"]): r for r in _rows(out / "subnets.csv")}
    epochs = max(int(r["epoch"]) for r in curves)
    acc: dict[tuple[int, int], dict[int, float]] = {}
    seconds = 0.0
    for r in curves:
        acc.setdefault((int(r["subnet"]), int(r["seed"])), {})[int(r["epoch"])] = float(r["val_acc"])
        seconds += float(r["seconds"])
    seeds = sorted({s for _, s in acc})
    ids = sorted(i for i in {i for i, _ in acc} if all((i, s) in acc and len(acc[(i, s)]) == epochs for s in seeds))
    final = np.array([np.mean([acc[(i, s)][epochs] for s in seeds]) for i in ids])
    summary: dict = {"subnets": len(ids), "seeds": len(seeds), "epochs": epochs, "standalone_seconds": round(seconds, 1),
                     "final_acc_min_max": [round(float(final.min()), 2), round(float(final.max()), 2)]}
    if len(seeds) >= 2:
        summary["seed_agreement_tau"] = round(float(kendalltau([acc[(i, seeds[0])][epochs] for i in ids],
                                                                [acc[(i, seeds[1])][epochs] for i in ids]).statistic), 3)
    summary["epoch_tau"] = {str(e): round(float(kendalltau([np.mean([acc[(i, s)][e] for s in seeds]) for i in ids], final).statistic), 3)
                            for e in (1, 3, 9, epochs // 2) if e <= epochs}
    if subnets:
        for column in ("inherited_acc", "macs_m", "params_k", "synflow", "snip", "grad_norm", "nwot"):
            if column in subnets[ids[0]]:
                summary.setdefault("score_tau", {})[column] = round(float(kendalltau(
                    [float(subnets[i][column]) for i in ids], final).statistic), 3)
    meta = out / "supernet.json"
    if meta.exists():
        summary["supernet_train_seconds"] = round(json.loads(meta.read_text())["train_s"], 1)
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--subnets", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--worker", default="0/1", help="I/N: train only subnets i with i %% N == I")
    ap.add_argument("--limit-s", type=float, default=None)
    ap.add_argument("--skip-supernet", action="store_true", help="standalone curves only (another worker does the rest)")
    ap.add_argument("--pool", type=int, default=4000, help="random subnets whose MAC quantiles are picked from")
    ap.add_argument("--supernet-epochs", type=int, default=None, help="default: the built-in training (60 epochs)")
    ap.add_argument("--summary", action="store_true", help="print (and write summary.json) what the table says, then stop")
    args = ap.parse_args()
    if args.summary:
        summary = summarize(args.out)
        print(json.dumps(summary, indent=2))
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return
    torch.set_num_threads(1)
    start = time.perf_counter()
    me, workers = (int(v) for v in args.worker.split("/"))
    args.out.mkdir(parents=True, exist_ok=True)
    builtin = BUILTIN_SUPERNETS["mnist1d_cnn"]
    net, task = builtin.make(), mnist1d_task()
    space = net.space
    if not (args.out / "space.toml").exists():  # the table's rows and keys are in this spec (CurveTable.from_dir reads it)
        from predictnas.spaces._spec import resolve_spec_path

        shutil.copyfile(resolve_spec_path(space.name), args.out / "space.toml")
    archs = pick_subnets(net, args.subnets, pool=args.pool)
    print(f"{len(archs)} subnets; official MNIST-1D: {len(task.X_train)} training / {len(task.X_val)} validation signals")
    config = replace(builtin.training, epochs=args.epochs)
    curves_path = args.out / "curves.csv"
    recorded = _rows(curves_path)
    done = {(int(r["subnet"]), int(r["seed"])) for r in recorded if int(r["epoch"]) == args.epochs}
    partial = {(int(r["subnet"]), int(r["seed"])) for r in recorded} - done
    if partial:  # a run killed mid-curve: drop its rows and train that curve again
        keep = [r for r in recorded if (int(r["subnet"]), int(r["seed"])) not in partial]
        tmp = curves_path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        _append(tmp, CURVE_FIELDS, keep)
        os.replace(tmp, curves_path)
    for seed in range(args.seeds):
        for i, arch in enumerate(archs):
            if i % workers != me or (i, seed) in done:
                continue
            if args.limit_s is not None and time.perf_counter() - start > args.limit_s:
                print(f"stopping after {time.perf_counter() - start:.0f} s (--limit-s); run again to continue")
                return
            rows = []
            train_standalone(net, task, arch, replace(config, seed=seed),
                             on_epoch=lambda e, r: rows.append({"subnet": i, "seed": seed, "epoch": e, "val_acc": round(r["acc"], 3),
                                                                "val_loss": round(r["loss"], 5), "seconds": round(r["seconds"], 4)}))
            _append(curves_path, CURVE_FIELDS, rows)
            print(f"seed {seed} subnet {i:3d}: {rows[-1]['val_acc']:.1f} % after {args.epochs} epochs, "
                  f"{sum(r['seconds'] for r in rows):.1f} s", flush=True)
    if args.skip_supernet or (args.out / "subnets.csv").exists():
        return
    print("training the supernet (built-in settings) ...", flush=True)
    supernet = builtin.make()
    training = replace(builtin.training, epochs=args.supernet_epochs) if args.supernet_epochs else builtin.training
    trained = train_supernet(supernet, task, training, checkpoint=args.out / "supernet.pt")
    evaluator = SupernetEvaluator(supernet, task, latency=True, threads=1, proxies=tuple(PROXIES))
    rows = []
    for i, arch in enumerate(archs):
        result = evaluator.evaluate(arch)
        rows.append({**{p: arch.get(p, "") for p in space.param_names}, "subnet": i, "key": space.canonical_key(arch),
                     "macs_m": round(result.values["macs"], 5), "params_k": round(result.values["params"], 4),
                     "latency_ms": round(result.values["latency_ms"], 5), "inherited_acc": round(result.values["acc"], 3),
                     **{k: round(float(v), 6) for k, v in result.cheap.items() if k not in ("macs", "params")}})
    _append(args.out / "subnets.csv", list(rows[0]), rows)
    (args.out / "supernet.json").write_text(json.dumps({
        "training": asdict(training), "train_s": trained.train_s,
        "standalone": asdict(config), "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                                                  "python": platform.python_version(), "torch": torch.__version__,
                                                  "threads": 1}}, indent=2))
    print(f"wrote {args.out}/subnets.csv, curves.csv and supernet.json")


if __name__ == "__main__":
    main()
