"""Appending to a long study: seconds per block of trials as the study file grows.

A study file on disk, random proposer (so the proposer's own cost does not grow with the
trials), batch 8, a cheap function evaluator on ``ofa_mbv3`` (a space far larger than the
trials). ``optimize`` runs ``--blocks`` blocks of ``--trials / --blocks`` trials each; what grows
from block to block is the study's own bookkeeping (replay, ask/tell, the file). The figure is
the last block's time over the first block's: 1.0 is flat.

    python benchmarks/append.py --out append.json [--trials 10000] [--blocks 4]

JSON: ``trials``, ``block_s`` (seconds per block), ``last_over_first``, ``file_mb``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import predictnas as pn
from predictnas.evaluators import FunctionEvaluator


def _metrics(arch: pn.Arch) -> dict[str, float]:
    h = hashlib.sha256(repr(sorted(arch.to_dict().items())).encode()).digest()
    return {"acc": h[0] / 255, "flops": h[1] / 255}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    block = args.trials // args.blocks
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "append.db"
        study = pn.create_study(space="ofa_mbv3", objectives={"acc": "maximize", "flops": "minimize"},
                                storage=path, proposer="random", batch_size=8, seed=0)
        times = []
        for b in range(args.blocks):
            t0 = time.perf_counter()
            study.optimize(FunctionEvaluator(_metrics), n_trials=block, show_progress=False)
            times.append(time.perf_counter() - t0)
            print(f"trials {b * block + 1:6,d}-{(b + 1) * block:6,d}: {times[-1]:6.2f} s", flush=True)
        size_mb = path.stat().st_size / 1e6
        study.close()
    result = {"trials": args.trials, "block_s": [round(t, 3) for t in times],
              "last_over_first": round(times[-1] / times[0], 3), "file_mb": round(size_mb, 2)}
    print(f"last block / first block: {result['last_over_first']:.2f} (1.0 is flat); study file {size_mb:.1f} MB")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
