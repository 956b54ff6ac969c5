"""Data-free zero-cost proxies for every NAS-Bench-201 cell, computed here: the core table plus columns.

    python benchmarks/nb201_proxies.py [--data-dir ../shared/benchdata] [--out nb201_core+synflow.csv]

NASLib publishes proxies for 725 cells only. This builds each cell's network
(``predictnas.bench.NB201Network``: the benchmark's macro skeleton, 16 channels, 5 cells per
stage, 10 classes; weights drawn with torch seed 0, the same for every cell) and scores it
without data:

- ``synflow`` (Tanaka et al., 2020): ``log(1 + sum w * dR/dw)`` for ``R = sum f(1)`` with all
  weights made positive, in float64 (``predictnas.supernets.PROXIES``); one input per cell.

Once per functionally distinct cell (6,466 classes of the space's canonical key), copied to every
cell of the class. Writes the core table with the new columns appended (the input is third-party
data: keep the output outside the repository; the default goes to the user cache). Before
writing, prints the Spearman correlation with NASLib's published scores and with CIFAR-10 test
accuracy on the cells that have both. Then e.g. ``python benchmarks/predictors.py --grid proxies
--table PATH`` or ``predictnas benchmark search --table PATH --feature synflow ...``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR",
                                                             str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--out", default=str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                             / "predictnas" / "nb201_core+synflow.csv"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N classes (a quick check; no file)")
    args = parser.parse_args()
    core = Path(args.data_dir) / "nb201_core.csv"
    if not core.is_file():
        sys.exit(f"nb201_proxies: {core} not found. Put the NAS-Bench-201 table there, or pass --data-dir DIR "
                 "(or set PREDICTNAS_DATA_DIR).")
    import torch
    from scipy.stats import spearmanr

    import predictnas as pn
    from predictnas.bench import NB201Network
    from predictnas.supernets import PROXIES

    torch.set_num_threads(1)
    space = pn.load_space("nb201")
    with open(core, newline="") as f:
        rows = list(csv.DictReader(f))
    keys = [space.canonical_key(space.make_arch({p: r[p] for p in space.param_names})) for r in rows]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    classes = list(first.items())[: args.limit]
    ones, label = torch.ones(1, 3, 32, 32), torch.zeros(1, dtype=torch.long)
    scores: dict[str, float] = {}
    started = time.perf_counter()
    for n, (key, i) in enumerate(classes, 1):
        torch.manual_seed(0)
        net = NB201Network({p: rows[i][p] for p in space.param_names})
        scores[key] = PROXIES.resolve("synflow")(net, ones, label)
        if n % 500 == 0 or n == len(classes):
            print(f"{n} / {len(classes)} classes, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    done = [i for i, key in enumerate(keys) if key in scores]
    acc = np.array([float(rows[i]["cifar10_test_acc"]) for i in done])
    ours = np.array([scores[keys[i]] for i in done])
    print(f"synflow: {len(scores)} classes in {time.perf_counter() - started:.0f} s; Spearman with CIFAR-10 test "
          f"accuracy {spearmanr(ours, acc)[0]:.3f} over {len(done)} cells")
    published = Path(args.data_dir) / "nb201_zc_naslib_subset.csv"
    if published.is_file():
        by_index = {int(rows[i]["index"]): scores[keys[i]] for i in done}
        pairs = []
        with open(published, newline="") as f:
            for r in csv.DictReader(f):
                if r["dataset"] == "cifar10" and r["synflow"] and int(r["index"]) in by_index:
                    pairs.append((by_index[int(r["index"])], float(r["synflow"])))
        if pairs:
            a, b = np.array(pairs).T
            print(f"synflow vs NASLib's published synflow: Spearman {spearmanr(a, b)[0]:.4f} over {len(pairs)} cells")
    if args.limit is not None:
        return
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*rows[0], "synflow"])
        writer.writeheader()
        for r, key in zip(rows, keys):
            writer.writerow({**r, "synflow": repr(scores[key])})
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
