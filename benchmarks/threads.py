"""Torch threads for a small CPU supernet: seconds per training epoch of the built-in
``mnist1d_cnn`` supernet on 1 and on 2 threads, in the same process.

    python benchmarks/threads.py [--epochs 2] [--out results.json]

Run it as a user would, e.g. with another job on the second core: that is where two threads
stall. The built-in supernets train and evaluate on ``BuiltinSupernet.threads`` (one).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from predictnas.supernets import BUILTIN_SUPERNETS, train_supernet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    builtin = BUILTIN_SUPERNETS.resolve("mnist1d_cnn")
    task, seconds = builtin.task(), {}
    for threads in (1, 2, 1, 2):  # interleaved, so a change of load hits both
        started = time.perf_counter()
        train_supernet(builtin.make(), task, replace(builtin.training, epochs=args.epochs), threads=threads)
        seconds.setdefault(str(threads), []).append((time.perf_counter() - started) / args.epochs)
    print("| torch threads | s per epoch (two runs) |")
    print("|---|---|")
    for threads, values in seconds.items():
        print(f"| {threads} | {', '.join(f'{v:.2f}' for v in values)} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"supernet": "mnist1d_cnn", "seconds_per_epoch": seconds}, fh, indent=1)


if __name__ == "__main__":
    main()
