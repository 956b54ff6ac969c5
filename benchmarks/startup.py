"""Start-up cost: `import predictnas` and `predictnas --help`, against bare `python -c pass`.

    python benchmarks/startup.py [--repeats 10] [--out results.json]

Prints a table of median wall times and writes JSON. Target: both under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import predictnas": [sys.executable, "-c", "import predictnas"],
    "predictnas --help": [sys.executable, "-m", "predictnas", "--help"],
    "import torch (reference)": [sys.executable, "-c", "import torch"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    results = {}
    for name, cmd in CASES.items():
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        results[name] = statistics.median(times)
    base = results["python -c pass"]
    print(f"{'case':28s} {'median s':>9s} {'x bare python':>14s}")
    for name, t in results.items():
        print(f"{name:28s} {t:9.3f} {t / base:14.1f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"median_s": results, "repeats": args.repeats}, f, indent=2)


if __name__ == "__main__":
    main()
