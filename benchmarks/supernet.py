"""Supernet ranking fidelity and throughput on the digits_cnn space (CPU, no downloads).

    python benchmarks/supernet.py [--subnets 36] [--standalone-epochs 15] [--out results.json]

1. Trains the digits supernet with its default settings (sandwich rule, in-place distillation).
2. Trains ``--subnets`` random subnets standalone from scratch (the same epochs and optimizer for
   each, on the same split) and compares their validation accuracy with the accuracy they get
   with inherited supernet weights: Kendall tau with and without per-subnet BN recalibration.
   The zero-cost proxies (at initialisation) and MACs are ranked against the same ground truth.
3. Throughput: inherited-weight evaluations per second (recalibration included) and zero-cost
   proxy sets per second.

Prints a table and writes JSON (``kendall_tau``, ``kendall_tau_no_recalibration``, ``n_subnets``,
``evals_per_s``, ``proxies_per_s``, ``train_s`` and per-subnet rows).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

from predictnas.examples.digits import train_and_evaluate
from predictnas.supernets import BUILTIN_SUPERNETS, PROXIES, SupernetEvaluator, train_supernet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subnets", type=int, default=36, help="random subnets trained standalone (>= 30)")
    parser.add_argument("--standalone-epochs", type=int, default=10)
    parser.add_argument("--standalone-seeds", type=int, default=2,
                        help="standalone trainings per subnet (averaged; their agreement is the noise ceiling)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default=None, help="reuse/resume this supernet checkpoint")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    builtin = BUILTIN_SUPERNETS["digits_cnn"]
    supernet, task = builtin.make(), builtin.task()
    trained = train_supernet(supernet, task, builtin.training, checkpoint=args.checkpoint, show_progress=True)
    print(f"supernet trained: {trained.train_s:.1f} s ({builtin.training.epochs} epochs), weights {trained.weights_hash}")

    archs = supernet.space.sample(args.subnets, rng=np.random.default_rng(args.seed), unique=True)
    recal = SupernetEvaluator(supernet, task, proxies=())
    plain = SupernetEvaluator(supernet, task, recalibration_batches=0, proxies=())
    proxies = SupernetEvaluator(supernet, task, proxies=tuple(PROXIES))

    t0 = time.perf_counter()
    inherited = [recal.evaluate(a).values for a in archs]
    evals_per_s = len(archs) / (time.perf_counter() - t0)
    no_recal = [plain.evaluate(a).values for a in archs]
    proxies.cheap_statistics(archs[0])  # builds the initialised copy once
    t0 = time.perf_counter()
    cheap = [proxies.cheap_statistics(a) for a in archs]
    proxies_per_s = len(archs) / (time.perf_counter() - t0)

    runs, t0 = [], time.perf_counter()  # runs[k][i]: subnet i trained with seed k
    for k in range(args.standalone_seeds):
        runs.append([])
        for i, arch in enumerate(archs):
            runs[k].append(train_and_evaluate(arch, epochs=args.standalone_epochs, seed=args.seed + k))
            print(f"\rstandalone training: seed {k + 1}/{args.standalone_seeds}, subnet {i + 1}/{len(archs)}",
                  end="", flush=True)
    standalone_s = time.perf_counter() - t0
    print()
    standalone = [{"acc": float(np.mean([r[i]["acc"] for r in runs]))} for i in range(len(archs))]
    truth = np.array([s["acc"] for s in standalone])
    seed_tau = (float(kendalltau([r["acc"] for r in runs[0]], [r["acc"] for r in runs[1]]).statistic)
                if len(runs) > 1 else None)

    def tau(scores: list[float]) -> float:
        return float(kendalltau(truth, scores).statistic)

    rows = {
        "inherited acc, BN recalibrated": [v["acc"] for v in inherited],
        "inherited acc, no recalibration": [v["acc"] for v in no_recal],
        "inherited -loss, BN recalibrated": [-v["loss"] for v in inherited],
        **{f"zero-cost {name} (init)": [c[name] for c in cheap] for name in PROXIES},
        "MACs": [c["macs"] for c in cheap],
        "params": [c["params"] for c in cheap],
    }
    print(f"\nRanking fidelity vs {len(archs)} subnets trained standalone ({args.standalone_epochs} epochs, mean of "
          f"{args.standalone_seeds} seeds each; their val acc {truth.min():.1f}-{truth.max():.1f} %)")
    if seed_tau is not None:
        print(f"{'standalone seed 1 vs seed 2 (noise ceiling)':36s} {seed_tau:12.3f}")
    print(f"{'score':36s} {'Kendall tau':>12s} {'Spearman':>9s}")
    for name, scores in rows.items():
        print(f"{name:36s} {tau(scores):12.3f} {float(spearmanr(truth, scores).statistic):9.3f}")
    for name in ("inherited acc, BN recalibrated", "inherited acc, no recalibration"):
        acc = np.array(rows[name])
        print(f"{name:36s} min {acc.min():.1f}  median {np.median(acc):.1f}  max {acc.max():.1f} %")
    print(f"\n{'inherited evaluations / s (recal. incl.)':42s} {evals_per_s:8.1f}")
    print(f"{'zero-cost proxy sets / s':42s} {proxies_per_s:8.1f}")
    print(f"{'supernet training s':42s} {trained.train_s:8.1f}")
    print(f"{'standalone training s (all subnets)':42s} {standalone_s:8.1f}")

    result = {
        "kendall_tau": tau(rows["inherited acc, BN recalibrated"]),
        "kendall_tau_no_recalibration": tau(rows["inherited acc, no recalibration"]),
        "kendall_tau_by_score": {name: tau(scores) for name, scores in rows.items()},
        "n_subnets": len(archs), "standalone_epochs": args.standalone_epochs,
        "standalone_seeds": args.standalone_seeds, "standalone_seed_to_seed_tau": seed_tau,
        "evals_per_s": evals_per_s, "proxies_per_s": proxies_per_s, "train_s": trained.train_s,
        "standalone_train_s": standalone_s, "supernet_weights": trained.weights_hash,
        "torch_threads": torch.get_num_threads(),
        "subnets": [{"arch": dict(a), "standalone_acc": s["acc"], "inherited_acc": i["acc"],
                     "inherited_acc_no_recalibration": n["acc"], **{f"cheap_{k}": v for k, v in c.items()}}
                    for a, s, i, n, c in zip(archs, standalone, inherited, no_recal, cheap)],
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
