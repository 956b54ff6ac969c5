"""`predictnas benchmark search`: exact scoring on a tiny table, and the command end to end."""

import csv
import json

import pytest

import predictnas as pn
from predictnas.bench import Run, SearchProblem, _methods, score_run
from predictnas.bench._names import PEER_PACKAGES
from predictnas.cli import main
from predictnas.exceptions import PredictNASError


@pytest.fixture
def tiny(tmp_path):
    """A 2-parameter space with 9 architectures and a table whose front is known by hand."""
    spec = tmp_path / "tiny.toml"
    spec.write_text('schema_version = 1\nkind = "space"\nname = "tiny"\n'
                    '[params.a]\ntype = "ordinal"\nchoices = [0, 1, 2]\n[params.b]\ntype = "ordinal"\nchoices = [0, 1, 2]\n')
    path = tmp_path / "tiny.csv"
    rows = [(a, b, 10 * a + b, a + 2 * b, 1.0 * b) for a in range(3) for b in range(3)]  # acc max, cost min
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b", "acc", "cost", "lat"])
        w.writerows(rows)
    return pn.load_space(spec), path


def test_scores_follow_the_protocol(tiny):
    space, path = tiny
    problem = SearchProblem.from_args(space, path, ["acc:max", "cost:min"], [], [])
    # maximise 10a+b, minimise a+2b: b=0 for every a, and (2,1), (2,2) (the only rows with acc > 20)
    assert sorted(problem.front_rows.tolist()) == [0, 3, 6, 7, 8]
    run = Run(rows=[4, 0, 0, 6, 3, 8, 7])
    scores = score_run(problem, run, 7)
    assert scores["front_recall"][7] == 1.0 and score_run(problem, run, 6)["front_recall"][6] == 0.8
    assert scores["evals_to_hv"]["0.999"] == 7  # the front is complete after the 7th evaluation
    assert scores["hv_ratio"][7] == pytest.approx(1.0)
    assert 0 < problem.hv_ratio([4, 0]) < problem.hv_ratio([4, 0, 6]) < 1
    single = SearchProblem.from_args(space, path, ["acc:max"], [], ["lat<=1"])
    assert single.optimum == -21.0  # a=2, b=1 is the best feasible
    assert score_run(single, Run(rows=[0, 8, 7]), 3)["evals_to_optimum"] == 3  # row 8 is infeasible


def test_bad_arguments_are_clear(tiny):
    space, path = tiny
    with pytest.raises(PredictNASError, match="COLUMN:max"):
        SearchProblem.from_args(space, path, ["acc:up"], [], [])
    with pytest.raises(PredictNASError, match="--cheap"):
        SearchProblem.from_args(space, path, ["acc:max"], ["lat"], [])
    with pytest.raises(PredictNASError, match="no column"):
        SearchProblem.from_args(space, path, ["accuracy:max"], [], [])
    with pytest.raises(PredictNASError, match=r"--feature \['cost'\]: an objective"):
        SearchProblem.from_args(space, path, ["acc:max", "cost:min"], [], [], features=["cost"])


def test_feature_columns_reach_predictnas_as_cheap_statistics_only(tiny):
    """``--feature`` columns are cheap statistics of every predictnas run; cheap objectives only in
    ``+cheap`` runs; neither is an evaluated value."""
    space, path = tiny
    problem = SearchProblem.from_args(space, path, ["acc:max", "cost:min"], ["cost"], [], features=["lat"])
    arch = space.make_arch({"a": 1, "b": 2})
    assert problem.cheap_statistics(arch, use_cheap=False) == {"lat": 2.0}
    assert problem.cheap_statistics(arch, use_cheap=True) == {"cost": 5.0, "lat": 2.0}
    assert set(problem.table.evaluate(arch).values) == {"acc", "cost"}
    run = _methods.run_proposer(problem, "predictnas", seed=0, budget=6, batch_size=2, use_cheap=False,
                                options={"features": "lat", "n_initial": 3})
    assert len(set(run.rows)) == 6 and not any(run.failed)


def test_benchmark_command_end_to_end(nb201_table, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(PEER_PACKAGES, "optuna-tpe", "optuna_is_not_here")
    out = tmp_path / "r.json"
    code = main(["benchmark", "search", "--space", "nb201", "--table", str(nb201_table), "--objective", "acc:max",
                 "--objective", "flops:min", "--cheap", "flops", "--budget", "14", "--seeds", "1", "--batch-size", "7",
                 "--methods", "predictnas,random,nsga2,optuna-tpe", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc["methods"]) == {"predictnas", "predictnas+cheap", "random", "nsga2"}
    assert "optuna" in doc["skipped"]["optuna-tpe"]
    for result in doc["methods"].values():
        assert len(result["hv_ratio"]["14"]) == len(result["front_recall"]["14"]) == 1
        assert set(result["evals_to_hv"]) == {"0.95", "0.99", "0.999"}
        assert all(0 < v <= 1 for v in result["hv_ratio"]["14"])
    printed = capsys.readouterr()
    assert "| predictnas+cheap |" in printed.out and "skipping optuna-tpe" in printed.err


@pytest.mark.skipif(not _methods.optuna_available(), reason="optuna is not installed (pip install 'predictnas[bench]')")
def test_optuna_peers_run_on_the_same_table(nb201_table, nb201):
    problem = SearchProblem.from_args(nb201, nb201_table, ["acc:max", "flops:min"], [], ["latency<=1.8"])
    for method in ("optuna-tpe", "optuna-nsga2"):
        run = _methods.run_optuna(problem, method, seed=0, budget=15)
        assert len(run.rows) == 15 and min(run.rows) >= 0
        assert 0 < problem.hv_ratio(run.rows) <= 1


def test_failing_rows_bound_what_any_method_can_reach(tiny):
    space, path = tiny
    assert SearchProblem.from_args(space, path, ["acc:max", "cost:min"], [], []).working_rows_cap() is None
    problem = SearchProblem.from_args(space, path, ["acc:max", "cost:min"], [], [], failures="random:0.5:3")
    front_fails = any(problem.fails(r) for r in problem.front_rows.tolist())
    cap = problem.working_rows_cap()
    assert 0 < cap <= 1 + 1e-9 and (cap < 1 - 1e-9) == front_fails
