"""`predictnas benchmark suite`: the NAS-Bench-Graph tables, the peers' view of a space, and a
small suite end to end (resumed without repeating a run)."""

import csv
import importlib.util
import io
import json
import pickle

import pytest

import predictnas as pn
from predictnas.bench import _dispatch, _suite
from predictnas.bench._nas_bench_graph import _DataUnpickler, read_bench, write_table
from predictnas.bench._variables import decode, peer_variables
from predictnas.cli import main

needs_nbg = pytest.mark.skipif(importlib.util.find_spec("nas_bench_graph") is None,
                               reason="nas-bench-graph is not installed (pip install 'predictnas[bench]')")


def test_the_benchmark_data_is_read_without_running_what_a_pickle_names():
    class Boom:
        def __reduce__(self):
            return (print, ("ran",))

    with pytest.raises(pickle.UnpicklingError, match="refusing builtins.print"):
        _DataUnpickler(io.BytesIO(pickle.dumps({1: Boom()}))).load()


def test_peers_see_whitelisted_links_as_one_variable():
    space = pn.load_space("nas_bench_graph")
    variables = peer_variables(space)
    assert [v.name for v in variables] == ["in_1", "op_1", "in_2+in_3+in_4", "op_2", "op_3", "op_4"]
    links = variables[2]
    assert len(links.choices) == 9 and (1, 2, 3) in links.choices
    arch = decode(space, variables, [0, 1, links.choices.index((1, 2, 3)), 2, 3, 4])
    assert (arch["in_4"], arch["op_4"]) == (3, "sage")
    skip = variables[1].choices.index(("skip",))
    assert decode(space, variables, [0, skip, 0, skip, skip, skip]) is None  # the all-skip cell breaks a constraint


@needs_nbg
def test_nas_bench_graph_tables_answer_stored_cells_or_map_every_combination(tmp_path):
    from nas_bench_graph.architecture import Arch as GraphArch

    space = pn.load_space("nas_bench_graph")
    bench = read_bench("citeseer")
    assert len(bench) == 26_206  # the published number of non-isomorphic cells
    tables = {mode: list(csv.DictReader(open(write_table(space, "citeseer", mode, tmp_path)))) for mode in ("rows", "canonical")}
    assert len(tables["rows"]) == len(tables["canonical"]) == space.cardinality() == 59_040
    assert sum(r["test_acc"] != "" for r in tables["rows"]) == 26_206  # each stored cell once, in its stored form
    assert all(r["test_acc"] != "" for r in tables["canonical"])
    for rows_row, canonical_row in zip(tables["rows"], tables["canonical"]):
        cell = GraphArch([int(rows_row[f"in_{k}"]) for k in range(1, 5)], [rows_row[f"op_{k}"] for k in range(1, 5)])
        expected = bench[cell.valid_hash()]
        assert float(canonical_row["test_acc"]) == pytest.approx(100 * expected["perf"])
        if rows_row["test_acc"]:
            assert cell.hash_arch() == cell.valid_hash() and rows_row == canonical_row


@pytest.fixture
def small_suite(monkeypatch):
    """Every run of the suite, counted."""
    class Calls(list):
        options: list = []

    calls = Calls()
    real = _dispatch.run_method

    def counted(problem, method, **kw):
        calls.append((method, kw["seed"]))
        calls.options.append(kw.get("options"))
        return real(problem, method, **kw)

    monkeypatch.setattr(_suite, "run_method", counted)
    return calls


def test_the_suite_runs_peers_ranks_them_and_continues_a_killed_run(data_dir, small_suite, tmp_path, capsys):
    out = tmp_path / "suite.json"
    methods = "predictnas,random,pymoo-nsga2,optuna-tpe,syne-re,smac-parego"
    args = ["benchmark", "suite", "--problems", "nb201-c10-flops", "--methods", methods, "--budget", "14",
            "--batch-size", "4", "--data-dir", str(data_dir), "--out", str(out)]
    assert main([*args, "--seeds", "1"]) == 0
    assert len(small_suite) == 6
    assert main([*args, "--seeds", "2"]) == 0  # continues: only the second seed runs
    assert sorted(small_suite[6:]) == sorted((m, 1) for m in methods.split(","))
    doc = json.loads(out.read_text())
    entry = doc["problems"]["nb201-c10-flops"]
    assert entry["objectives"] == ["cifar10_test_acc:max", "cifar10_flops_m:min"] and entry["cap"] == pytest.approx(1.0)
    for name in methods.split(","):
        r = entry["methods"][name]
        assert r["seeds"] == [0, 1] and list(r["hv_ratio"]) == ["14"]  # figures up to the budget only
        assert all(0 < v <= 1 for v in r["hv_ratio"]["14"]) and r["ask_seconds_median"] >= 0
    ranks = sorted(entry["methods"][m]["rank"]["14"]["rank"] for m in methods.split(","))
    assert ranks == list(range(1, 7))
    assert doc["versions"]["optuna"] and doc["versions"]["smac"] and doc["overall"]["random"]["problems"] == 1
    printed = capsys.readouterr().out
    assert "### nb201-c10-flops" in printed and "| syne-re | 2 |" in printed and "Across problems" in printed
    before = out.read_text()
    assert main([*args, "--seeds", "2", "--budget", "20"]) == 2  # another budget cannot continue this file
    assert "--budget 14 --batch-size 4" in capsys.readouterr().err and out.read_text() == before


def test_the_suite_lists_its_problems_and_skips_what_it_cannot_build(tmp_path, capsys):
    assert main(["benchmark", "suite", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "nbg-citeseer-latency-rows" in listed and "nb201-c10-flops-raspi4-eyeriss     4 obj" in listed
    assert main(["benchmark", "suite", "--problems", "nb201-c10-acc", "--methods", "random", "--seeds", "1",
                 "--data-dir", str(tmp_path / "nowhere")]) == 0
    assert "skipped nb201-c10-acc" in capsys.readouterr().err


def test_a_crashing_method_is_recorded_and_retried_by_the_next_run(data_dir, monkeypatch, tmp_path):
    out = tmp_path / "suite.json"
    real, crashes = _dispatch.run_method, []

    def flaky(problem, method, **kw):
        if method == "pymoo-nsga2" and not crashes:
            crashes.append(method)
            raise RuntimeError("a peer library's bug")
        return real(problem, method, **kw)

    monkeypatch.setattr(_suite, "run_method", flaky)
    kw = {"seeds": 1, "budget": 8, "out": out, "data_dir": str(data_dir), "log": lambda text: None}
    doc = _suite.run_suite(["nb201-c10-acc"], ["random", "pymoo-nsga2"], **kw)
    assert doc["errors"] == {"nb201-c10-acc / pymoo-nsga2 / seed 0": "RuntimeError: a peer library's bug"}
    assert doc["problems"]["nb201-c10-acc"]["methods"]["random"]["seeds"] == [0]
    doc = _suite.run_suite(["nb201-c10-acc"], ["random", "pymoo-nsga2"], **kw)
    assert doc["errors"] == {} and doc["problems"]["nb201-c10-acc"]["methods"]["pymoo-nsga2"]["seeds"] == [0]


def test_predictnas_variants_run_beside_the_default_and_peers_take_no_options(data_dir, small_suite, tmp_path, capsys):
    args = ["benchmark", "suite", "--problems", "nb201-c10-acc", "--seeds", "1", "--budget", "8",
            "--data-dir", str(data_dir), "--out", str(tmp_path / "suite.json")]
    assert main([*args, "--methods", "random,predictnas{n_initial=4,shortlist=16}"]) == 0
    assert small_suite == [("random", 0), ("predictnas", 0)] and small_suite.options[-1] == {"n_initial": 4, "shortlist": 16}
    doc = json.loads((tmp_path / "suite.json").read_text())
    variant = doc["problems"]["nb201-c10-acc"]["methods"]["predictnas{n_initial=4,shortlist=16}"]
    assert variant["seeds"] == [0] and variant["ask_seconds_mean"] >= variant["ask_seconds_median"] >= 0
    assert "| predictnas{n_initial=4,shortlist=16} | 1 |" in capsys.readouterr().out
    assert main([*args, "--methods", "optuna-tpe{n_startup_trials=3}"]) == 2
    assert "Options are for predictnas proposers only" in capsys.readouterr().err
    before = (tmp_path / "suite.json").read_text()
    assert main([*args, "--methods", "random,predictnas{n_inital=4}"]) == 2  # a typo: nothing runs
    assert "has no option(s) ['n_inital']" in capsys.readouterr().err and len(small_suite) == 2
    assert (tmp_path / "suite.json").read_text() == before


def test_a_run_longer_than_100_evaluations_is_scored_at_its_end_too(data_dir):
    from predictnas.bench._methods import Run

    problem = _suite.PROBLEMS["nb201-c10-acc"].build(data_dir)
    run = Run(rows=list(range(0, 1200, 10)), failed=[False] * 120, ask_seconds=[0.0])
    scored = _suite.score(problem, run, cap=1.0)
    assert list(scored["hv_ratio"]) == ["25", "50", "100", "120"]
    assert scored["hv_ratio"]["120"] >= scored["hv_ratio"]["100"] > 0


def test_tables_pool_the_seeds_of_several_results_files_and_refuse_what_does_not_compare(data_dir, tmp_path, capsys):
    """`--tables A B`: the runs of two suites (other seeds of the same methods) are one table with
    every seed, ranks across the problems of both; nothing runs and no file changes."""
    first, second, other = (tmp_path / f"{n}.json" for n in ("first", "second", "other"))
    base = ["benchmark", "suite", "--methods", "random,pymoo-nsga2", "--budget", "8", "--data-dir", str(data_dir)]
    assert main([*base, "--problems", "nb201-c10-acc", "--seeds", "2", "--out", str(first)]) == 0
    assert main([*base, "--problems", "nb201-c10-acc,nb201-c10-flops", "--seeds", "1", "--first-seed", "2",
                 "--out", str(second)]) == 0
    other.write_text(json.dumps({**json.loads(first.read_text()), "budget": 10}))  # as a run with --budget 10 writes it
    capsys.readouterr()
    files = {p: p.read_text() for p in (first, second, other)}
    doc = _suite.merge_results([first, second])
    acc = doc["problems"]["nb201-c10-acc"]["methods"]["random"]
    runs = {**json.loads(files[first])["problems"]["nb201-c10-acc"]["methods"]["random"]["runs"],
            **json.loads(files[second])["problems"]["nb201-c10-acc"]["methods"]["random"]["runs"]}
    assert acc["seeds"] == [0, 1, 2] and acc["hv_ratio"]["8"] == [runs[s]["hv_ratio"]["8"] for s in ("0", "1", "2")]
    assert doc["overall"]["random"]["problems"] == 2 and [s["file"] for s in doc["sources"]] == [str(first), str(second)]
    assert main(["benchmark", "suite", "--tables", str(first), str(second)]) == 0
    printed = capsys.readouterr().out
    assert "| random | 3 |" in printed and "### nb201-c10-flops" in printed and "first or tied first at 50" in printed
    assert main(["benchmark", "suite", "--tables", str(first), str(first)]) == 2
    assert "nb201-c10-acc / random / seed 0 is in both" in capsys.readouterr().err
    assert main(["benchmark", "suite", "--tables", str(first), str(other)]) == 2
    assert "--budget 10 --batch-size 4" in capsys.readouterr().err
    broken = json.loads(files[first])
    broken["problems"]["nb201-c10-acc"]["methods"]["random"]["runs"]["0"] = {"hv_ratio": {}}  # a hand-edited file
    other.write_text(json.dumps(broken))
    assert main(["benchmark", "suite", "--tables", str(other)]) == 2
    err = capsys.readouterr().err
    assert "nb201-c10-acc / random / seed 0 is not a run this command wrote" in err and "Traceback" not in err
    assert main(["benchmark", "suite", "--tables", str(data_dir / "nb201_core.csv")]) == 2
    err = capsys.readouterr().err
    assert "is not a results file" in err and "Traceback" not in err
    assert all(p.read_text() == text for p, text in files.items() if p != other)


def test_a_syne_tune_run_depends_on_its_seed_only(data_dir):
    """Syne Tune 0.16 draws its random configurations from numpy's global generator (its seed
    alone left a run depending on what ran before it in the process); a run is now the same
    whatever the global state, and leaves that state as it found it."""
    import numpy as np

    problem = _suite.PROBLEMS["nb201-c10-flops"].build(data_dir)
    rows = []
    for before in (1, 2):
        np.random.seed(before)
        state = np.random.get_state()[1].copy()
        rows.append(_dispatch.run_method(problem, "syne-re", seed=3, budget=12).rows)
        assert (np.random.get_state()[1] == state).all()
    assert rows[0] == rows[1] != _dispatch.run_method(problem, "syne-re", seed=4, budget=12).rows


def test_the_suite_records_the_hash_seed_smac_depends_on(data_dir, monkeypatch):
    """SMAC3 orders its local search's start points through a set of configurations, so its runs
    differ between processes unless PYTHONHASHSEED is fixed: the suite says so and records it.
    It records the CPU and the BLAS kernel pins too (another CPU type rounds, and so proposes,
    differently)."""
    from predictnas._determinism import blas_kernels

    said = []
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    kw = {"seeds": 0, "budget": 8, "data_dir": str(data_dir), "log": said.append}
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    doc = _suite.run_suite(["nb201-c10-acc"], ["random", "smac-parego"], **kw)
    assert doc["python_hash_seed"] is None and any("PYTHONHASHSEED=0" in s for s in said)
    assert doc["blas_kernels"] == blas_kernels() and doc["blas_kernels"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert doc["blas_kernels"]["cpu"] and doc["blas_kernels"]["torch_cpu_capability"]
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    said.clear()
    assert _suite.run_suite(["nb201-c10-acc"], ["smac-parego"], **kw)["python_hash_seed"] == "0" and not said


def test_the_documented_suite_tables_are_what_the_committed_results_files_give():
    """docs/search.md's per-problem tables and ranks across problems are `--tables` of the results
    files in benchmarks/data/suite/: regenerating them changes no row."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    files = sorted((repo / "benchmarks" / "data" / "suite").glob("*.json"))
    printed = _suite.format_suite(_suite.merge_results(files))
    docs = (repo / "docs" / "search.md").read_text()
    rows = [line for line in printed.splitlines() if line.startswith("| ") and not line.startswith("| method")]
    assert len(files) == 3 and len(rows) == 18 * 8 + 8
    missing = [row for row in rows if row not in docs]
    assert not missing, missing[:3]
