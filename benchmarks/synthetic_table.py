"""Writes a synthetic NAS-Bench-201-shaped table (all 15,625 cells) for trying search methods
without the real benchmark. NOT NAS-Bench-201: accuracy comes from a hand-made rule.

- a cell whose output node is unreachable through non-``none`` edges scores about 10 %;
- otherwise the accuracy rises with up to 3 ``conv3x3`` and up to 2 ``conv1x1`` ops and with a
  skip connection from input to output, falls with pooling, and has one interaction (``conv3x3``
  on edge 2->3 fed by a live edge 1->2), plus a fixed pseudo-random term of +-0.6;
- ``flops`` counts convolutions (27 per conv3x3, 3.2 per conv1x1, 15.6 base);
- ``latency`` adds per-op costs and a pseudo-random term.

    python benchmarks/synthetic_table.py synthetic_nb201.csv
"""

from __future__ import annotations

import argparse
import csv
import zlib

import predictnas as pn


def metrics(arch: pn.Arch) -> tuple[float, float, float]:
    edges = {(int(k[3]), int(k[5])): v for k, v in arch.items()}
    h = zlib.crc32(repr(sorted(arch.items())).encode())
    noise = (h % 10007) / 10007 - 0.5
    reach = {0}
    for dst in (1, 2, 3):
        if any(src in reach and edges[(src, dst)] != "none" for src in range(dst)):
            reach.add(dst)
    ops = list(edges.values())
    conv3, conv1, pool = ops.count("nor_conv_3x3"), ops.count("nor_conv_1x1"), ops.count("avg_pool_3x3")
    flops = 15.6 + 27.0 * conv3 + 3.2 * conv1
    latency = 3 + 0.9 * conv3 + 0.5 * conv1 + 0.4 * pool + 0.15 * (h % 7)
    if 3 not in reach:
        return 10.0 + 0.3 * noise, flops, latency
    acc = (80 + 3.2 * min(conv3, 3) + 1.2 * min(conv1, 2) + 1.5 * (edges[(0, 3)] == "skip_connect") - 2.0 * pool
           + 1.0 * (edges[(2, 3)] == "nor_conv_3x3") * (edges[(1, 2)] != "none") + 1.2 * noise)
    return acc, flops, latency


def write(path: str) -> None:
    space = pn.load_space("nb201")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*space.param_names, "acc", "flops", "latency"])
        for arch in space.enumerate():
            writer.writerow([arch[p] for p in space.param_names] + [f"{v:.4f}" for v in metrics(arch)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="CSV to write")
    write(parser.parse_args().out)
