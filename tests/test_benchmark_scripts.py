"""The benchmark scripts that the README quotes run end to end on a tiny budget and write their JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(script: str, *args, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python benchmarks/<script> args...`` (each argument as ``str``), output captured."""
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / script), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def _succeeds(script: str, *args, timeout: int = 600) -> subprocess.CompletedProcess:
    res = _run(script, *args, timeout=timeout)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def _refuses_a_folder_without_the_table(script: str, folder: Path, *, code: int) -> None:
    """Pointed at a folder without the benchmark table, the script says so in one message."""
    res = _run(script, "--data-dir", folder, timeout=120)
    assert res.returncode == code and "not found" in res.stderr and "Traceback" not in res.stderr, res.stderr[-3000:]


def test_transfer_benchmark_scores_every_budget_from_the_run_itself(tmp_path, data_dir):
    out = tmp_path / "t.json"
    _succeeds("transfer.py", "--data-dir", data_dir, "--seeds", "1", "--budget", "12", "--source-budget", "12",
              "--batch-size", "4", "--pairs", "c10_to_in16_flops", "--out", out)
    pair = json.loads(out.read_text())["pairs"]["c10_to_in16_flops"]
    for mode in ("warm", "cold"):
        assert set(pair[mode]["hv_ratio"]) == {"10"} and set(pair[mode]["evals_to_hv"]) == {"0.99", "0.999"}
        assert 0 < pair[mode]["hv_ratio"]["10"][0] <= 1


def test_recall_script_lists_the_reachable_front_and_what_was_missed(tmp_path, data_dir):
    _refuses_a_folder_without_the_table("recall.py", tmp_path, code=2)
    if not (data_dir / "nb201_core.csv").is_file():
        pytest.skip(f"{data_dir / 'nb201_core.csv'} not found")
    res = _succeeds("recall.py", "--data-dir", data_dir, "--budget", "16")
    assert "true front: 20 rows, 12 reachable" in res.stdout
    assert sum(line.startswith("row ") for line in res.stdout.splitlines()) == 12
    assert "missed; nearest evaluated row" in res.stdout and "HV ratio" in res.stdout


def test_nb201_proxies_script_scores_cells_and_says_clearly_when_the_data_is_missing(tmp_path, data_dir):
    _refuses_a_folder_without_the_table("nb201_proxies.py", tmp_path, code=1)
    out = tmp_path / "with_synflow.csv"
    res = _succeeds("nb201_proxies.py", "--data-dir", data_dir, "--limit", "8", "--out", out)
    assert "synflow: 8 classes" in res.stdout and not out.exists()  # --limit is a check: no file


def test_lazy_greedy_script_compares_both_rescoring_rules(tmp_path, data_dir):
    _refuses_a_folder_without_the_table("lazy_greedy.py", tmp_path, code=1)
    res = _succeeds("lazy_greedy.py", "--data-dir", data_dir, "--budget", "12")
    assert "seed 0, black-box, 12 evaluations: identical" in res.stdout and "HV ratio lazy 0." in res.stdout


def test_append_script_times_every_block_of_a_growing_study(tmp_path):
    out = tmp_path / "a.json"
    _succeeds("append.py", "--trials", "96", "--blocks", "3", "--out", out, timeout=300)
    result = json.loads(out.read_text())
    assert result["trials"] == 96 and len(result["block_s"]) == 3 and all(t > 0 for t in result["block_s"])
    assert result["last_over_first"] == pytest.approx(result["block_s"][-1] / result["block_s"][0], rel=0.05, abs=0.02)
    assert result["file_mb"] > 0


def test_mnist1d_table_script_writes_resumable_curves_and_subnet_scores(tmp_path):
    script = [sys.executable, str(REPO / "benchmarks" / "mnist1d_table.py"), "--out", str(tmp_path), "--subnets", "4",
              "--epochs", "2", "--seeds", "2", "--supernet-epochs", "1", "--pool", "100"]
    first = subprocess.run([*script, "--worker", "0/2", "--skip-supernet"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    res = subprocess.run(script, capture_output=True, text=True, timeout=600)  # continues: only the rest is trained
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.count("after 2 epochs") == 4 and first.stdout.count("after 2 epochs") == 4
    import csv

    curves = list(csv.DictReader(open(tmp_path / "curves.csv")))
    assert len(curves) == 4 * 2 * 2 and {(r["subnet"], r["seed"], r["epoch"]) for r in curves} == {
        (str(i), str(s), str(e)) for i in range(4) for s in range(2) for e in (1, 2)}
    subnets = list(csv.DictReader(open(tmp_path / "subnets.csv")))
    assert len(subnets) == 4 and float(subnets[0]["macs_m"]) > float(subnets[1]["macs_m"])  # the largest, the smallest
    assert all(float(r["latency_ms"]) > 0 and 0 <= float(r["inherited_acc"]) <= 100 and "synflow" in r for r in subnets)
    summary = subprocess.run([*script, "--summary"], capture_output=True, text=True, timeout=120)
    assert summary.returncode == 0 and json.loads((tmp_path / "summary.json").read_text())["subnets"] == 4
    from predictnas.evaluators import CurveTable

    assert "[macro]" in (tmp_path / "space.toml").read_text()  # the spec its rows are in, read back by the replay
    assert len(CurveTable.from_dir(tmp_path).space.members) == 4


def test_fidelity_script_compares_methods_and_peers_at_equal_compute(tmp_path):
    out = tmp_path / "f.json"
    methods = ["random", "random-asha", "supernet-topk", "optuna-tpe-sha", "optuna-tpe-hyperband", "syne-tune-moasha"]
    _succeeds("fidelity.py", "--seeds", "1", "--budget", "4", "--methods", ",".join(methods), "--out", out, timeout=300)
    result = json.loads(out.read_text())
    assert result["versions"]["optuna"] and result["versions"]["syne-tune"]
    for method in methods:
        m = result["methods"][method]
        assert set(m["hv_at_cost"]) == {"25", "50", "100"} and 0 <= m["hv_at_cost"]["100"][0] <= 1
        assert m["compute_s"][0] >= result["budget_s"] or m["evaluations"][0] == 300
        assert len(m["cost_to_full_hv"]) == 1 and len(m["front_honesty_gap"]) == 1
    assert result["methods"]["random-asha"]["stopped"][0] > 0 and result["methods"]["random"]["stopped"][0] == 0
    assert result["methods"]["optuna-tpe-sha"]["stopped"][0] > 0 and result["methods"]["syne-tune-moasha"]["stopped"][0] > 0
    # the supernet is paid first: 104.5 s of training, more than this whole budget of 4 trainings
    assert result["methods"]["supernet-topk"]["evaluations"][0] <= 1


def test_fidelity_models_script_scores_every_model_on_the_rows_not_trained_to_the_end(tmp_path):
    out = tmp_path / "m.json"
    _succeeds("fidelity_models.py", "--seeds", "1", "--trials", "30", "--out", out, timeout=300)
    result = json.loads(out.read_text())
    assert set(result["models"]) == {"fidelity-column", "botorch-mf-gp", "complete-only", "supernet-feature"}
    for scores in result["models"].values():
        assert -1 <= scores["kendall"][0] <= 1 and scores["rmse"][0] > 0 and 0 <= scores["coverage90"][0] <= 1
    bad = _run("fidelity_models.py", "--models", "mf-gp", timeout=120)
    assert bad.returncode == 2 and "unknown model(s) ['mf-gp']" in bad.stderr


def test_latency_script_holds_out_a_device_and_scores_every_baseline(tmp_path, data_dir):
    out = tmp_path / "l.json"
    _refuses_a_folder_without_the_table("latency.py", tmp_path, code=2)
    _succeeds("latency.py", "--data-dir", data_dir, "--devices", "fpga", "--out", out)
    result = json.loads(out.read_text())
    assert set(result["loo"]) == {"5", "10", "20"} and result["devices"] == ["fpga"]
    assert result["loo"]["10"]["spearman_median"] > 0.95  # measured: 0.991
    assert set(result["baselines"]) == {"predictnas-random-cells", "k-alone", "flops", "nearest-device"}
    assert set(result["help_split"]) == {"titan_rtx_256", "gold_6226", "pixel2", "raspi4", "eyeriss", "fpga"}


def test_latency_search_script_checks_the_front_on_the_device(tmp_path, data_dir):
    out = tmp_path / "s.json"
    _succeeds("latency_search.py", "--data-dir", data_dir, "--devices", "fpga", "--seeds", "1", "--budget", "12",
              "--out", out)
    device = json.loads(out.read_text())["devices"]["fpga"]
    for method in ("known", "model", "model-upper"):
        assert device[method]["violations"] == [0] and 0 < device[method]["hv_ratio"][0] <= 1
    assert device["model"]["measurements"][0] >= 10 and device["known"]["measurements"] == [0]


def test_stopping_models_script_scores_each_model_of_the_rule(tmp_path):
    out = tmp_path / "s.json"
    _succeeds("stopping_models.py", "--splits", "2", "--out", out, timeout=300)
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"1", "3", "9"} and set(results["1"]["40"]) == {"line", "features", "auto"}
    assert results["9"]["80"]["line"]["kendall"] > results["1"]["80"]["line"]["kendall"]  # later rungs predict better


@pytest.mark.skipif(__import__("importlib").util.find_spec("nas_bench_graph") is None,
                    reason="nas-bench-graph is not installed (pip install 'predictnas[bench]')")
def test_nas_bench_graph_forms_script_counts_the_forms_a_search_would_need(tmp_path):
    out = tmp_path / "f.json"
    res = _succeeds("nas_bench_graph_forms.py", "--cache-dir", tmp_path, "--out", out)
    doc = json.loads(out.read_text())
    assert (doc["combinations"], doc["classes"], doc["stored_cells"]) == (59_040, 25_478, 26_206)
    shares = list(doc["answered_within_first_k_forms"].values())
    assert shares == sorted(shares) and 0 < shares[0] < shares[-1] < 1
    assert 0 < doc["one_form_per_class_hv_ratio"] < 1 and "true-front classes" in res.stdout
    assert 1 <= doc["front_distinct_points"] <= doc["front_cells"] and "distinct points" in res.stdout
    assert 1 < doc["distinct_values"]["latency_ms"] <= doc["stored_cells"]


def test_front_speed_script_times_both_front_computations_against_the_library(tmp_path):
    out = tmp_path / "f.json"
    res = _succeeds("front_speed.py", "--rows", "3000", "--samples", "256", "--repeats", "1", "--out", out, timeout=300)
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 2 and all(r["same_answer"] and r["library_s"] > 0 and r["predictnas_s"] > 0 for r in rows)
    assert "| speed-up |" in res.stdout


def test_ask_phases_script_prints_where_each_ask_spends_its_time(tmp_path, data_dir):
    if not (data_dir / "nb201_core.csv").is_file():
        pytest.skip(f"{data_dir / 'nb201_core.csv'} not found")
    out = tmp_path / "a.json"
    res = _succeeds("ask_phases.py", "--problem", "nb201-c10-flops", "--data-dir", data_dir, "--budget", "20",
                    "--every", "1", "--out", out)
    asks = json.loads(out.read_text())["asks"]
    assert [a["complete"] for a in asks] == [0, 4, 8, 12, 16]
    modelled = [a for a in asks if a["phase_seconds"]]
    assert modelled and all(set(a["phase_seconds"]) == {"fit", "pool", "shortlist", "acquisition"} for a in modelled)
    assert modelled[-1]["acquisition"] == "qlognehvi" and "| shortlist |" in res.stdout


def test_startup_script_times_start_up_and_the_cells_a_later_study_finds_enumerated(tmp_path):
    out = tmp_path / "s.json"
    _succeeds("startup.py", "--repeats", "1", "--out", out, timeout=300)
    cells = json.loads(out.read_text())["enumerate_unique_s"]
    assert set(cells) == {"nb201", "nas_bench_graph"}
    assert all(c["later_study_s"] < c["first_study_s"] / 10 for c in cells.values()), cells


def test_front_top_script_lists_the_missed_top_and_how_models_rank_it(tmp_path, data_dir):
    if not (data_dir / "nb201_core.csv").is_file():
        pytest.skip(f"{data_dir / 'nb201_core.csv'} not found")
    bad = _run("front_top.py", "--problem", "nb201-c10-flop", timeout=120)
    assert bad.returncode != 0 and "unknown problem 'nb201-c10-flop'" in bad.stderr and "Traceback" not in bad.stderr
    out = tmp_path / "t.json"
    res = _succeeds("front_top.py", "--problem", "nb201-c10-flops", "--data-dir", data_dir, "--seeds", "0", "--budget", "12",
                    "--train", "20", "--out", out)
    doc = json.loads(out.read_text())
    run = doc["runs"]["0"]
    assert 0 < run["hv_ratio"] < 1 and run["best_evaluated"] <= run["front_best"] and len(run["top_missed"]) == 3
    assert all(m["adds"] >= 0 for m in run["top_missed"]) and "front's best" in res.stdout
    fits = doc["models"]["fits"]
    assert [f["model"] for f in fits] == ["gp", "xgboost"] and all(len(f["predicted_ranks"]) == 5 for f in fits)
    assert all(0 <= r < f["held_out"] for f in fits for r in f["predicted_ranks"])
