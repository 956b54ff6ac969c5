"""benchmarks/predictors.py runs end to end on an NB201-shaped table and writes the promised JSON."""

import csv
import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import predictnas as pn

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "predictors.py"
pytestmark = pytest.mark.slow


def test_predictors_benchmark_writes_rows_for_every_configuration(tmp_path):
    # 19 labels: below 20 the GP's interval is the Gaussian one (no 10 cross-validation refits per
    # configuration); the calibrated interval is checked on the real table below
    space = pn.load_space("nb201")
    rng = np.random.default_rng(0)
    with open(tmp_path / "nb201_core.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*space.param_names, "cifar10_test_acc", "cifar10_flops_m", "cifar10_params_m", "pixel_latency", "label",
                         "synflow"])
        for arch in space.enumerate():
            conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
            noise = zlib.crc32(repr(sorted(arch.items())).encode()) % 1000 / 1000
            writer.writerow([arch[p] for p in space.param_names] + [60 + 2 * conv + 3 * noise, 5 + 1.5 * conv, 0.1 * conv + 0.3,
                                                                    conv + rng.normal(), "text", noise])
    out = tmp_path / "results.json"
    res = subprocess.run([sys.executable, str(BENCH), "--data-dir", str(tmp_path), "--datasets", "cifar10", "--sizes", "19",
                          "--seeds", "1", "--grid", "quick", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "flops = ['cifar10_flops_m', 'cifar10_params_m'], latency = 1 columns" in res.stderr
    rows = json.loads(out.read_text())["results"]
    assert [(r["surrogate"], r["encoding"]) for r in rows] == [("xgboost-naive", "onehot"), ("gp", "tabular"), ("xgboost", "tabular")]
    for row in rows:
        for key in ("dataset", "surrogate", "encoding", "cheap", "pretrain", "n_train", "spearman_median", "spearman_iqr",
                    "kendall_median", "kendall_top5_median", "coverage90_median", "fit_predict_s"):
            assert key in row
        assert row["n_train"] == 19 and row["n_test"] == 15625 - 19
        assert 0.3 < row["spearman_median"] <= 1 and 0 < row["coverage90_median"] <= 1
    res = subprocess.run([sys.executable, str(BENCH), "--data-dir", str(tmp_path), "--datasets", "cifar10", "--sizes", "19",
                          "--seeds", "1", "--grid", "proxies", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = {(r["surrogate"], r["cheap"]): r for r in json.loads(out.read_text())["results"]}
    assert ("gp", "proxies") in rows and ("xgboost", "proxies+latency") in rows
    alone = rows[("synflow-alone", "proxies")]  # the column itself: the noise term of the accuracy
    assert 0 < alone["spearman_median"] < 0.5 and np.isnan(alone["coverage90_median"])


def test_predictors_benchmark_says_clearly_when_the_data_is_missing(tmp_path):
    res = subprocess.run([sys.executable, str(BENCH), "--data-dir", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 2 and "nb201_core.csv not found" in res.stderr and "Traceback" not in res.stderr


def test_on_the_real_nb201_table_the_default_gp_beats_the_naive_baseline(data_dir, tmp_path):
    """Data-backed (skipped without ../shared/benchdata): the issue measured the naive baseline at
    Spearman 0.68 with 100 labels on CIFAR-10 (5 seeds); the default GP (cell-structure features,
    power-warped outputs) measured 0.9 in benchmarks/predictors.py, and its intervals cover 90 %. Two
    seeds here (GP 0.92, naive 0.65 measured; the whole grid with 10 seeds is the benchmark's job)."""
    if not (data_dir / "nb201_core.csv").is_file():
        pytest.skip(f"{data_dir / 'nb201_core.csv'} not found")
    out = tmp_path / "results.json"
    res = subprocess.run([sys.executable, str(BENCH), "--data-dir", str(data_dir), "--datasets", "cifar10", "--sizes", "100",
                          "--seeds", "2", "--grid", "quick", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    by = {r["surrogate"]: r for r in json.loads(out.read_text())["results"]}
    assert 0.5 < by["xgboost-naive"]["spearman_median"] < 0.85
    assert by["gp"]["spearman_median"] > max(0.85, by["xgboost-naive"]["spearman_median"] + 0.1)
    assert by["xgboost"]["spearman_median"] > by["xgboost-naive"]["spearman_median"]
    # cross-validation-calibrated 90 % intervals (the GP's own Gaussian ones covered 0.76 here)
    assert 0.82 <= by["gp"]["coverage90_median"] <= 0.97, by["gp"]


PROXIES_BENCH = BENCH.parent / "proxies.py"


def test_proxies_benchmark_on_the_published_subset(data_dir, tmp_path):
    """Data-backed (skipped without ../shared/benchdata): the proxy ablation runs on the 725 cells
    NASLib publishes proxies for; a proxy alone (nwot) ranks accuracy, the plain one does not."""
    res = subprocess.run([sys.executable, str(PROXIES_BENCH), "--data-dir", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 2 and "not found" in res.stderr and "Traceback" not in res.stderr
    if not (data_dir / "nb201_zc_naslib_subset.csv").is_file():
        pytest.skip(f"{data_dir / 'nb201_zc_naslib_subset.csv'} not found")
    out = tmp_path / "proxies.json"
    res = subprocess.run([sys.executable, str(PROXIES_BENCH), "--data-dir", str(data_dir), "--datasets", "cifar10",
                          "--sizes", "25", "--seeds", "1", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "cifar10: 723 cells with every proxy" in res.stderr
    by = {r["configuration"]: r for r in json.loads(out.read_text())["results"]}
    assert {"gp · tabular", "gp · tabular + proxies", "xgboost · tabular", "xgboost · tabular + proxies"} <= set(by)
    assert by["nwot alone"]["spearman_median"] > 0.7 and by["plain alone"]["spearman_median"] < 0.2
    assert all(r["n_train"] == 25 and r["n_test"] == 698 for r in by.values())
