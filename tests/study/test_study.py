"""Study API: ask/tell, validation, deduplication, determinism and resume (in-process)."""

import csv
import math

import numpy as np
import pytest

import predictnas as pn
from predictnas.exceptions import InvalidArchitectureError, InvalidSpecError, InvalidValuesError, StudyError
from predictnas.study import TrialState

OBJ = {"acc": "maximize", "flops": "minimize"}


def test_ask_tell_and_value_validation(nb201):
    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, seed=0)
    (t,) = study.ask()
    assert t.state is TrialState.RUNNING and t.number == 0
    for bad, words in [
        ({"acc": 1.0}, "missing ['flops']"),
        ({"acc": 1.0, "flops": 2.0, "lat": 3.0}, "unknown ['lat']"),
        ({"acc": math.nan, "flops": 1.0}, "not finite"),
        ({"acc": math.inf, "flops": 1.0}, "not finite"),
        ({"acc": "high", "flops": 1.0}, "not finite"),
        ([1.0, 2.0], "must be a mapping"),
    ]:
        with pytest.raises(InvalidValuesError, match=words.replace("[", r"\[").replace("]", r"\]")):
            study.tell(t, bad)
    assert study.trials[0].state is TrialState.RUNNING  # nothing stored by the bad tells
    study.tell(t, {"acc": 90.0, "flops": 10.0})
    with pytest.raises(InvalidValuesError, match="already complete"):
        study.tell(t, {"acc": 90.0, "flops": 10.0})
    with pytest.raises(InvalidValuesError, match="does not exist"):
        study.tell(7, {"acc": 90.0, "flops": 10.0})
    (f,) = study.ask()
    study.tell(f, state="failed", error="out of memory")
    assert study.trials[1].state is TrialState.FAILED and study.trials[1].error == "out of memory"


def test_deduplication_records_a_cache_hit_and_does_not_evaluate(nb201, evaluator):
    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, seed=0)
    (t,) = study.ask()
    study.tell(t, evaluator.evaluate(t.arch).values)
    # An isomorphic variant: moving the op of 0->3 across a skip 0->1.
    arch = dict(t.arch)
    calls = []
    counting = pn.FunctionEvaluator(lambda a: calls.append(a) or evaluator.evaluate(a))
    (again,) = study.ask(archs=[arch])
    assert again.state is TrialState.COMPLETE and again.cache_of == t.number and again.values == study.trials[0].values
    study.optimize(counting, n_trials=0)
    assert calls == []
    # Proposers never propose a seen key.
    study.optimize(counting, n_trials=30, batch_size=5)
    keys = [x.key for x in study.trials if x.cache_of is None]
    assert len(keys) == len(set(keys)) == 31


def test_failing_evaluations_mark_trials_failed_and_the_study_goes_on(nb201, evaluator):
    def flaky(arch):
        if arch["op_0_1"] == "none":
            raise RuntimeError("diverged")
        if arch["op_0_1"] == "skip_connect":
            return {"acc": float("nan"), "flops": 1.0}
        return evaluator.evaluate(arch)

    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, seed=3)
    study.optimize(pn.FunctionEvaluator(flaky), n_trials=40, batch_size=4)
    states = {t.state for t in study.trials}
    assert len(study.trials) == 40 and states == {TrialState.COMPLETE, TrialState.FAILED}
    errors = {t.error.split(":")[0] for t in study.trials if t.state is TrialState.FAILED}
    assert errors == {"RuntimeError", "InvalidValuesError"}


def test_table_matches_by_canonical_key_and_fails_clearly(tmp_path, nb201, nb201_table):
    # Keep one row per canonical class: every equivalent architecture must still be answered.
    reps = {}
    with open(nb201_table) as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        reps.setdefault(nb201.canonical_key({p: row[p] for p in nb201.param_names}), row)
    assert len(reps) == 6466
    small = tmp_path / "classes.csv"
    with open(small, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(reps.values())
    table = pn.TableEvaluator(small, nb201, ["acc", "flops"])
    for arch in nb201.sample(300, rng=np.random.default_rng(0)):
        assert table.evaluate(arch).values["acc"] == float(reps[nb201.canonical_key(arch)]["acc"])
    # Unknown architecture and NaN cells fail the trial with a clear message.
    part = tmp_path / "part.csv"
    with open(part, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([{**rows[0], "acc": "nan"}])
    table = pn.TableEvaluator(part, nb201, ["acc", "flops"])
    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, seed=0)
    study.ask(archs=[{p: rows[0][p] for p in nb201.param_names}])
    study.optimize(table, n_trials=2)
    errors = [t.error for t in study.trials]
    assert "column 'acc' is 'nan'" in errors[0]
    assert all("is not in table part.csv" in e for e in errors[1:])
    with pytest.raises(InvalidSpecError, match="no column"):
        pn.TableEvaluator(part, nb201, {"acc": "cifar10_acc"})


def test_bad_arguments_give_clear_errors(nb201, tmp_path):
    with pytest.raises(Exception, match="Unknown proposer 'tpe'; available"):
        pn.create_study(space=nb201, objectives=OBJ, proposer="tpe")
    with pytest.raises(Exception, match="direction 'max'"):
        pn.create_study(proposer="random", space=nb201, objectives={"acc": "max"})
    with pytest.raises(Exception, match=r"must look like"):
        pn.create_study(proposer="random", space=nb201, objectives=OBJ, constraints=["latency < 5"])
    with pytest.raises(InvalidArchitectureError, match="ask\\(archs=...\\)"):
        pn.create_study(proposer="random", space=nb201, objectives=OBJ).ask(archs=[{"op_0_1": "conv"}])
    path = tmp_path / "s.db"
    pn.create_study(proposer="random", space=nb201, objectives=OBJ, storage=path).close()
    with pytest.raises(StudyError, match="already exists"):
        pn.create_study(proposer="random", space=nb201, objectives=OBJ, storage=path)


def test_constraints_feasibility_and_front(nb201, nb201_table):
    table = pn.TableEvaluator(nb201_table, nb201, ["acc", "flops", "latency"])
    study = pn.create_study(space=nb201, objectives=OBJ, constraints=["latency <= 1.5"], seed=1, proposer="nsga2")
    study.optimize(table, n_trials=60, batch_size=6)
    front = study.pareto_front()
    assert front and all(t.values["latency"] <= 1.5 for t in front)
    assert any(not study.is_feasible(t) for t in study.trials)


@pytest.mark.parametrize("proposer", ["random", "nsga2", "bo"])
def test_resumed_study_equals_uninterrupted(tmp_path, nb201, evaluator, proposer):
    # bo: a resumed process has no cached GP fit and must refit on exactly the same trials
    # bo: the acquisition switches from qLogNEHVI to qLogEHVI after the resume point
    options = {"random": {}, "nsga2": {"pop_size": 10}, "bo": {"shortlist": 64, "nehvi_limit": 28}}[proposer]
    n = 40 if proposer == "bo" else 60  # bo: the CLI kill test runs 60 trials of it on the real table
    kwargs = dict(space=nb201, objectives=OBJ, seed=11, proposer=proposer, proposer_options=options)
    part = pn.create_study(storage=tmp_path / "b.db", **kwargs)
    part.optimize(evaluator, n_trials=22, batch_size=4)
    part.ask(2)  # a batch left running, as after a crash
    part.close()
    resumed = pn.load_study(tmp_path / "b.db")
    resumed.optimize(evaluator, n_trials=n - len(resumed.trials), batch_size=4)
    # the interrupted batch differs in size (2 vs 4), so compare against a run with the same asks
    ref = pn.create_study(storage=tmp_path / "c.db", **kwargs)
    ref.optimize(evaluator, n_trials=22, batch_size=4)
    ref.ask(2)
    ref.optimize(evaluator, n_trials=n - len(ref.trials), batch_size=4)
    assert rows_of(resumed) == rows_of(ref) and len(ref.trials) == n
    if proposer != "bo":  # bo: test_resume_kill runs the default proposer twice uninterrupted (60 trials each)
        # Same seed, same calls: identical studies; another seed: different proposals.
        straight, again = (pn.create_study(storage=tmp_path / f"{name}.db", **kwargs) for name in "ad")
        for study in (straight, again):
            study.optimize(evaluator, n_trials=n, batch_size=4)
        assert rows_of(again) == rows_of(straight) and len(straight.trials) == n
    other = pn.create_study(storage=tmp_path / "e.db", **{**kwargs, "seed": 12})
    other.optimize(evaluator, n_trials=12, batch_size=4)
    assert [t.key for t in other.trials] != [t.key for t in ref.trials[:12]]


def test_pareto_front_and_hypervolume_of_a_known_study(nb201):
    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, seed=0)
    points = [(90, 10), (80, 5), (85, 20), (70, 4), (90, 12)]  # (acc max, flops min)
    for (acc, flops), t in zip(points, study.ask(len(points))):
        study.tell(t, {"acc": acc, "flops": flops})
    assert sorted(t.number for t in study.pareto_front()) == [0, 1, 3]
    # Minimisation form: (-acc, flops). Normalised with lower=(-90, 4), upper=(-70, 20), ref 1.1:
    # front points -> (0, 0.375), (0.5, 0.0625), (1, 0). Hypervolume by hand:
    expected = (0.5 - 0) * (1.1 - 0.375) + (1.0 - 0.5) * (1.1 - 0.0625) + (1.1 - 1.0) * (1.1 - 0)
    assert study.hypervolume() == pytest.approx(expected)
    assert study.trials_dataframe().shape[0] == 5


def rows_of(study):
    return [(t.number, t.state.value, t.key, tuple(sorted(t.values.items()))) for t in study.trials]


def test_a_slow_cheap_lookup_shows_progress(capsys):
    import time

    from predictnas.study._cheap import CheapStatistics

    space = pn.load_space("nb201")
    archs = space.sample(6, rng=np.random.default_rng(0), unique=True)
    slow = CheapStatistics(lambda arch: time.sleep(0.02) or {"flops": 1.0}, progress_after_s=0.01)
    assert list(slow.lookup(archs)["flops"]) == [1.0] * 6
    assert "cheap statistics of the candidates" in capsys.readouterr().err
    fast = CheapStatistics(lambda arch: {"flops": 1.0})
    fast.lookup(archs)
    assert "cheap statistics" not in capsys.readouterr().err
