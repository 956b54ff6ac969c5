"""The predictive stopping rule's models, measured: how well does each predict a trial's final
accuracy from its value at a rung (and its architecture), given n complete curves?

Data: the measured MNIST-1D table (``benchmarks/data/mnist1d_cnn``), seed 0's curves (what one
training run tells you). Per rung (epochs 1, 3, 9) and number of complete curves n (10, 20, 40, 80),
``--splits`` random splits: n rows are the complete curves, the other rows are predicted.
Models are the rule's own (``predictnas.stoppers.PredictiveStopper``): ``line`` (final on the value
at the rung), ``features`` (Bayesian ridge on that value and the tabular features) and ``auto``
(the lower 5-fold cross-validated error, the line below 20 curves). Scores: RMSE (accuracy
points), Kendall tau and the share inside the +-2 standard deviations the rule's optimism uses.

    python benchmarks/stopping_models.py --out results.json

JSON: ``results[rung][n][model]`` with ``rmse``, ``kendall``, ``coverage2sd`` (means over splits).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

from predictnas.encoders import ArchFeatures
from predictnas.evaluators import CurveTable
from predictnas.stoppers._predictive import _better_by_cv, _predict_features, _predict_line

TABLE = Path(__file__).resolve().parent / "data" / "mnist1d_cnn"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    table = CurveTable.from_dir(args.table)
    archs = list(table.space.members.archs)
    acc = np.array([table.curve(a, 0)[0] for a in archs])  # (rows, epochs)
    F = ArchFeatures("tabular").fit(table.space).transform(archs)
    final = acc[:, -1]
    results: dict = {}
    print(f"{'rung':>4s} {'n':>3s} {'model':9s} {'RMSE':>6s} {'tau':>6s} {'in 2 sd':>8s}")
    for rung in (1, 3, 9):
        x = acc[:, rung - 1]
        for n in (10, 20, 40, 80):
            scores: dict[str, list] = {"line": [], "features": [], "auto": []}
            for split in range(args.splits):
                rows = np.random.default_rng(split * 100 + n).permutation(len(archs))
                train, test = rows[:n], rows[n:]
                line = _predict_line(x[train], final[train], x[test])
                feats = _predict_features(np.c_[x[train], F[train]], final[train], np.c_[x[test], F[test]])
                auto = feats if n >= 20 and _better_by_cv(x[train], F[train], final[train]) == "features" else line
                for name, (mean, std) in (("line", line), ("features", feats), ("auto", auto)):
                    error = mean - final[test]
                    scores[name].append((float(np.sqrt(np.mean(error**2))), float(kendalltau(mean, final[test])[0]),
                                         float(np.mean(np.abs(error) <= 2 * std))))
            for name, values in scores.items():
                rmse, tau, cover = np.mean(values, axis=0)
                results.setdefault(str(rung), {}).setdefault(str(n), {})[name] = {"rmse": rmse, "kendall": tau, "coverage2sd": cover}
                print(f"{rung:4d} {n:3d} {name:9s} {rmse:6.2f} {tau:6.3f} {cover:8.2f}")
    if args.out:
        args.out.write_text(json.dumps({"splits": args.splits, "results": results}, indent=2))


if __name__ == "__main__":
    main()
