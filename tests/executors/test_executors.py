"""Parallel evaluation on local processes: k in flight, no duplicates, faults fail only their trial."""

import time

import pytest
from _faulty import DieOnce, Faulty, PoisonAfterDeath, Synthetic, kind

import predictnas as pn
from predictnas.exceptions import EvaluationError, InvalidSpecError
from predictnas.executors import ProcessExecutor

OBJECTIVES = {"acc": "maximize", "flops": "minimize"}


def _study(**kw):
    kw.setdefault("proposer", "random")  # these tests are about execution, not search
    return pn.create_study(space="nb201", objectives=OBJECTIVES, seed=3, **kw)


def test_process_pool_keeps_k_in_flight_without_duplicates(tmp_path):
    study = _study(storage=tmp_path / "s.db", proposer="nsga2", proposer_options={"pop_size": 8})
    start = time.perf_counter()
    study.optimize(Synthetic(delay=0.3), 24, n_workers=3)
    elapsed = time.perf_counter() - start
    trials = study.trials
    assert len(trials) == 24 and all(t.state.value == "complete" for t in trials)
    assert len({t.key for t in trials}) == 24, "a running trial was proposed again"
    assert len({t.user_attrs["pid"] for t in trials}) == 3
    # the evaluator (with its 8 MB payload) was unpickled once per worker, not once per trial
    assert {t.user_attrs["loads"] for t in trials} == {1}
    assert elapsed < 24 * 0.3, "evaluations did not overlap"
    study.close()
    # the file holds everything, and one writer wrote it
    again = pn.load_study(tmp_path / "s.db", readonly=True)
    assert [t.values for t in again.trials] == [t.values for t in trials]


def test_dead_worker_fails_its_trial_and_the_retry_completes(tmp_path):
    study = _study()
    study.optimize(DieOnce(tmp_path / "died"), 10, n_workers=2, retries=1)
    failed = [t for t in study.trials if t.state.value == "failed"]
    assert len(failed) == 1 and "WorkerLost" in failed[0].error and "signal 9" in failed[0].error
    retry = [t for t in study.trials if t.user_attrs.get("retry_of") == failed[0].number]
    assert len(retry) == 1 and retry[0].state.value == "complete" and retry[0].key == failed[0].key
    assert sum(t.state.value == "complete" for t in study.trials) == 10  # retries do not eat the budget


def test_faults_and_hangs_fail_their_trials_and_the_study_goes_on():
    study = _study()
    study.optimize(Faulty(), 30, n_workers=2, timeout=2.0)
    assert len(study.trials) == 30
    for t in study.trials:
        expected = kind(t.arch)
        if expected == "ok":
            assert t.state.value == "complete", t.error
        else:
            assert t.state.value == "failed"
            marker = {"raise": "simulated training crash", "hang": "EvaluationTimeout", "nan": "not finite"}[expected]
            assert marker in t.error
    assert {kind(t.arch) for t in study.trials} >= {"ok", "raise", "hang", "nan"}


def test_in_process_timeout_and_faults():
    study = _study()
    study.optimize(Faulty(), 20, timeout=0.5)
    hung = [t for t in study.trials if kind(t.arch) == "hang"]
    assert hung and all("EvaluationTimeout" in t.error for t in hung)
    assert all(t.state.value == "complete" for t in study.trials if kind(t.arch) == "ok")


@pytest.mark.parametrize("executor, batch", [("inprocess", 3), ("process", 1)])
def test_one_worker_is_the_sequential_loop(executor, batch):
    """The sequential loop written by hand against optimize() with one worker: the same trials in
    the same order. In process, a whole batch is asked at once; a pool of one worker process asks
    for one trial each time its slot frees up."""
    by_hand = _study(proposer="nsga2")
    evaluator = Synthetic()
    while len(by_hand.trials) < 20:
        for trial in by_hand.ask(min(batch, 20 - len(by_hand.trials))):
            by_hand.tell(trial, evaluator.evaluate(trial.arch), skip_if_finished=True)
    study = _study(proposer="nsga2")
    study.optimize(Synthetic(), 20, batch_size=3, executor=executor, n_workers=1)
    assert [(t.key, t.values) for t in study.trials] == [(t.key, t.values) for t in by_hand.trials]


def test_bad_executor_settings_are_clear_errors():
    study = _study()
    with pytest.raises(InvalidSpecError, match="n_workers"):
        study.optimize(Synthetic(), 2, n_workers=0)
    with pytest.raises(InvalidSpecError, match="timeout"):
        study.optimize(Synthetic(), 2, timeout=-1)
    with pytest.raises(InvalidSpecError, match="Unknown executor"):
        study.optimize(Synthetic(), 2, executor="threads")
    with pytest.raises(InvalidSpecError, match="in-process"):
        study.optimize(Synthetic(), 2, executor="inprocess", n_workers=2)
    with pytest.raises(InvalidSpecError, match="retries"):
        study.optimize(Synthetic(), 2, retries=-1)
    with pytest.raises(EvaluationError, match="cannot be sent to worker processes"):
        ProcessExecutor(pn.FunctionEvaluator(lambda a, _lock=__import__("threading").Lock(): {}), 2)
    assert study.trials == []



def test_workers_that_cannot_start_again_stop_the_study_with_a_clear_error(tmp_path):
    study = _study(storage=tmp_path / "s.db")
    start = time.perf_counter()
    with pytest.raises(EvaluationError, match="cannot be started any more"):
        study.optimize(PoisonAfterDeath(tmp_path / "poison"), 20, n_workers=2)
    assert time.perf_counter() - start < 60
    failed = [t for t in study.trials if t.state.value == "failed"]
    assert failed and all("WorkerLost" in t.error for t in failed)
