"""`predictnas latency`: pick the rows to measure on a new device and fit it from them, build a
supernet's block table, and check a study's front on the device, each from the command line."""

import csv
import json
import subprocess
import sys

import pytest

import predictnas as pn


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "predictnas", "latency", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_pick_then_fit_predicts_a_held_out_device(tmp_path, data_dir):
    with open(data_dir / "nb201_core.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c.endswith("_latency")]
    new = "help_pixel2_latency"
    known = tmp_path / "known.csv"
    with open(known, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([c for c in columns if c != new])
        out.writerows([[r[c] for c in columns if c != new] for r in rows])
    picked = _cli("pick", "--table", known, "--k", 10)
    assert picked.returncode == 0, picked.stderr
    cells = [int(line) for line in picked.stdout.split()]
    assert len(set(cells)) == 10 and "then run `predictnas latency fit" in picked.stderr
    measured = tmp_path / "measured.csv"
    measured.write_text("row,ms\n" + "".join(f"{i},{rows[i][new]}\n" for i in cells))
    fitted = _cli("fit", "--table", known, "--measured", measured, "--out", tmp_path / "pred.csv")
    assert fitted.returncode == 0, fitted.stderr
    with open(tmp_path / "pred.csv", newline="") as f:
        pred = list(csv.DictReader(f))
    from scipy.stats import spearmanr

    assert len(pred) == len(rows)
    assert spearmanr([float(p["predicted_ms"]) for p in pred], [float(r[new]) for r in rows])[0] > 0.85  # measured: 0.89
    assert all(float(p["low_ms"]) <= float(p["predicted_ms"]) <= float(p["high_ms"]) for p in pred[:100])
    bad = _cli("fit", "--table", known, "--measured", known, "--out", tmp_path / "x.csv")
    assert bad.returncode == 2 and "expected a CSV with columns row (0-based) and ms" in bad.stderr


def test_table_then_check_measures_the_front_of_a_study(tmp_path):
    out = tmp_path / "table.json"
    built = _cli("table", "--supernet", "mnist1d_cnn", "--subnets", 12, "--calibrate", 4, "--out", out)
    assert built.returncode == 0, built.stderr
    table = json.loads(out.read_text())
    assert table["entries"] and table["slope"] > 0 and "calibrated on 4 subnets" in built.stderr
    path = tmp_path / "s.db"
    study = pn.create_study(space="mnist1d_cnn", objectives={"acc": "maximize"}, constraints=["latency <= 100"], storage=path,
                            seed=0, proposer="random")
    study.optimize(lambda arch: {"acc": float(sum(int(v) for v in arch.values())), "latency": 1.0}, 6)
    study.close()
    checked = _cli("check", path, "--supernet", "mnist1d_cnn", "--max", 1)
    assert checked.returncode == 0, checked.stderr
    assert "latency predicted 1, measured" in checked.stderr and "front: 1 trial(s), 1 measured on the device" in checked.stdout
    front = pn.load_study(path, readonly=True).pareto_front()
    assert 0 < front[0].user_attrs["measured"]["latency"] < 100
