"""Start-up cost: `import predictnas` and `predictnas --help`, against bare `python -c pass`;
and a study's set-up cost that a process pays once per space definition: the default proposer's
pool of every distinct cell (``space.enumerate_unique``), for the first study of a space in a
fresh process and for a later study (a new space object of the same definition).

    python benchmarks/startup.py [--repeats 10] [--out results.json]

Prints tables of median wall times and writes JSON. Target: both start-ups under 1 s.
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
SPACES = ("nb201", "nas_bench_graph")
_ENUMERATE = """import sys, time, predictnas as pn
for _ in range(2):
    space = pn.load_space(sys.argv[1]); t0 = time.perf_counter(); space.enumerate_unique(240_000)
    print(time.perf_counter() - t0)"""


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
    cells = {}
    for name in SPACES:  # a fresh process per repeat: its first study enumerates, the second finds it
        runs = [subprocess.run([sys.executable, "-c", _ENUMERATE, name], check=True, capture_output=True, text=True)
                .stdout.split() for _ in range(args.repeats)]
        cells[name] = {"first_study_s": statistics.median(float(r[0]) for r in runs),
                       "later_study_s": statistics.median(float(r[1]) for r in runs)}
    print(f"\n{'distinct cells of':28s} {'1st study s':>11s} {'later study s':>14s}")
    for name, c in cells.items():
        print(f"{name:28s} {c['first_study_s']:11.3f} {c['later_study_s']:14.4f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"median_s": results, "enumerate_unique_s": cells, "repeats": args.repeats}, f, indent=2)


if __name__ == "__main__":
    main()
