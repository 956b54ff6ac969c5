"""Supernet ranking fidelity and throughput on a task that separates architectures (CPU, no downloads).

    python benchmarks/supernet.py [--supernet mnist1d_cnn] [--subnets 30] [--out results.json]

1. The ground truth: ``--subnets`` random subnets trained standalone from scratch with
   ``--standalone-seeds`` seeds each (the same epochs and optimizer for each); the agreement of
   two seeds (Kendall tau) is the noise ceiling no score can be expected to beat.
2. Trains the supernet with its default settings (sandwich rule, in-place distillation), and with
   each ``--variant`` (``KEY=VALUE,...`` overrides of its ``TrainingConfig``), and ranks the same
   subnets by inherited-weight accuracy with and without per-subnet BN recalibration.
3. Ranks the same subnets by each zero-cost proxy (at initialisation), MACs and params.
4. Throughput: inherited evaluations per second (recalibration included), proxy sets per second.

Prints a table and writes JSON (``kendall_tau``, ``kendall_tau_no_recalibration``,
``noise_ceiling_tau``, ``n_subnets``, ``evals_per_s``, ``train_s``, ``variants`` and per-subnet
rows). ``--standalone-cache FILE`` keeps the standalone results between runs (they take minutes).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

from predictnas.supernets import BUILTIN_SUPERNETS, PROXIES, SupernetEvaluator, TrainingConfig, train_standalone, train_supernet


def standalone(name: str, archs: list, seeds: int, config: TrainingConfig, cache: Path | None) -> np.ndarray:
    """``(n_subnets, seeds)`` validation accuracies of the subnets trained alone."""
    key = {"supernet": name, "archs": [dict(a) for a in archs], "config": asdict(config), "seeds": seeds}
    if cache is not None and cache.exists():
        stored = json.loads(cache.read_text())
        if stored["key"] == key:
            print(f"standalone results from {cache}")
            return np.array(stored["acc"])
    builtin = BUILTIN_SUPERNETS[name]
    net, task = builtin.make(), builtin.task()
    acc = np.zeros((len(archs), seeds))
    for k in range(seeds):
        for i, arch in enumerate(archs):
            acc[i, k] = train_standalone(net, task, arch, replace(config, seed=k))["acc"]
            print(f"\rstandalone training: seed {k + 1}/{seeds}, subnet {i + 1}/{len(archs)}", end="", flush=True)
    print()
    if cache is not None:
        cache.write_text(json.dumps({"key": key, "acc": acc.tolist()}))
    return acc


def parse_variant(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        k, _, v = item.partition("=")
        out[k.strip()] = json.loads(v)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supernet", default="mnist1d_cnn", choices=sorted(BUILTIN_SUPERNETS))
    parser.add_argument("--subnets", type=int, default=30, help="random subnets trained standalone (>= 30)")
    parser.add_argument("--standalone-epochs", type=int, default=30)
    parser.add_argument("--standalone-lr", type=float, default=2e-3)
    parser.add_argument("--standalone-seeds", type=int, default=2, help="trainings per subnet (their agreement is the noise ceiling)")
    parser.add_argument("--standalone-cache", type=Path, default=None)
    parser.add_argument("--variant", action="append", default=[], help="TrainingConfig overrides, e.g. n_random=4,epochs=80")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)  # timings do not depend on the machine's core count; small nets gain nothing from more

    builtin = BUILTIN_SUPERNETS[args.supernet]
    task = builtin.task()
    space = builtin.make().space
    archs = space.sample(args.subnets, rng=np.random.default_rng(args.seed), unique=True)
    t0 = time.perf_counter()
    config = TrainingConfig(epochs=args.standalone_epochs, lr=args.standalone_lr, batch_size=128)
    runs = standalone(args.supernet, archs, args.standalone_seeds, config, args.standalone_cache)
    standalone_s = time.perf_counter() - t0
    truth = runs.mean(axis=1)
    ceiling = float(kendalltau(runs[:, 0], runs[:, 1]).statistic) if runs.shape[1] > 1 else None

    def tau(scores: list[float]) -> float:
        return float(kendalltau(truth, scores).statistic)

    variants: dict[str, Any] = {}
    main_rows: dict[str, list[float]] = {}
    for label, overrides in [("default", {}), *[(v, parse_variant(v)) for v in args.variant]]:
        supernet = builtin.make()
        training = replace(builtin.training, **overrides)
        trained = train_supernet(supernet, task, training, show_progress=True, threads=builtin.threads)
        recal = SupernetEvaluator(supernet, task, proxies=())
        plain = SupernetEvaluator(supernet, task, recalibration_batches=0, proxies=())
        started = time.perf_counter()
        inherited = [recal.evaluate(a).values for a in archs]
        evals_per_s = len(archs) / (time.perf_counter() - started)
        no_recal = [plain.evaluate(a).values for a in archs]
        variants[label] = {"training": asdict(training), "train_s": trained.train_s, "evals_per_s": evals_per_s,
                           "kendall_tau": tau([v["acc"] for v in inherited]),
                           "kendall_tau_no_recalibration": tau([v["acc"] for v in no_recal]),
                           "inherited_acc": [v["acc"] for v in inherited], "macs": [v["macs"] for v in inherited],
                           "params": [v["params"] for v in inherited], "inherited_acc_no_recalibration": [v["acc"] for v in no_recal]}
        print(f"{label}: trained in {trained.train_s:.0f} s; Kendall tau {variants[label]['kendall_tau']:.3f} "
              f"(no recalibration {variants[label]['kendall_tau_no_recalibration']:.3f}); {evals_per_s:.1f} evaluations/s")
        if label == "default":
            main_rows = {"inherited acc, BN recalibrated": variants[label]["inherited_acc"],
                         "inherited acc, no recalibration": variants[label]["inherited_acc_no_recalibration"]}

    proxies = SupernetEvaluator(builtin.make(), task, proxies=tuple(PROXIES))
    proxies.cheap_statistics(archs[0])  # builds the initialised copy once
    started = time.perf_counter()
    cheap = [proxies.cheap_statistics(a) for a in archs]
    proxies_per_s = len(archs) / (time.perf_counter() - started)
    rows = {**main_rows, **{f"zero-cost {name} (init)": [c[name] for c in cheap] for name in PROXIES},
            "MACs": [c["macs"] for c in cheap], "params": [c["params"] for c in cheap]}
    d = variants["default"]
    print(f"\nRanking fidelity vs {len(archs)} subnets trained standalone ({args.standalone_epochs} epochs, mean of "
          f"{args.standalone_seeds} seeds each; validation accuracy {truth.min():.1f}-{truth.max():.1f} %)\n")
    print("| score | Kendall tau | Spearman |\n|---|---|---|")
    if ceiling is not None:
        print(f"| standalone seed 1 vs seed 2 (noise ceiling) | {ceiling:.3f} | "
              f"{float(spearmanr(runs[:, 0], runs[:, 1]).statistic):.3f} |")
    for name, scores in rows.items():
        print(f"| {name} | {tau(scores):.3f} | {float(spearmanr(truth, scores).statistic):.3f} |")
    if len(variants) > 1:
        print("\n| supernet training | Kendall tau | no recalibration | train s |\n|---|---|---|---|")
        for label, v in variants.items():
            print(f"| {label} | {v['kendall_tau']:.3f} | {v['kendall_tau_no_recalibration']:.3f} | {v['train_s']:.0f} |")
    print(f"\ninherited evaluations / s (recalibration incl.): {d['evals_per_s']:.1f}; zero-cost proxy sets / s: "
          f"{proxies_per_s:.1f}; supernet training: {d['train_s']:.0f} s; standalone training (all runs): {standalone_s:.0f} s")

    result = {
        "supernet": args.supernet, "kendall_tau": d["kendall_tau"], "kendall_tau_no_recalibration": d["kendall_tau_no_recalibration"],
        "noise_ceiling_tau": ceiling, "kendall_tau_by_score": {name: tau(scores) for name, scores in rows.items()},
        "n_subnets": len(archs), "standalone_epochs": args.standalone_epochs, "standalone_seeds": args.standalone_seeds,
        "evals_per_s": d["evals_per_s"], "proxies_per_s": proxies_per_s, "train_s": d["train_s"],
        "standalone_train_s": standalone_s, "torch_threads": torch.get_num_threads(),
        "variants": {k: {kk: vv for kk, vv in v.items() if not isinstance(vv, list)} for k, v in variants.items()},
        "subnets": [{"arch": dict(a), "standalone_acc": runs[i].tolist(), "inherited_acc": d["inherited_acc"][i],
                     "inherited_acc_no_recalibration": d["inherited_acc_no_recalibration"][i],
                     **{f"cheap_{k}": v for k, v in cheap[i].items()}} for i, a in enumerate(archs)],
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
