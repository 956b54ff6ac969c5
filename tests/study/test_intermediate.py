"""Intermediate results and early stopping through ask/tell: every report is in the study file, a
stopped trial keeps its last values at its fidelity and is never on the front, and a study killed
in the middle of a trial resumes exactly, with the default proposer."""

import math
import zlib

import pytest

import predictnas as pn
from predictnas.evaluators import SteppedEvaluator
from predictnas.exceptions import InvalidSpecError, InvalidValuesError, StudyFileDamagedError

OBJ = {"acc": "maximize", "flops": "minimize"}
EPOCHS = 9


def _final(arch):
    conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
    noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
    return 60 + 2.0 * conv + 3 * noise, 5 + 1.5 * conv + noise


def _curve(arch, epoch):
    """A learning curve that rises to the final accuracy (its speed depends on the architecture)."""
    tau = 1 + zlib.crc32(repr(sorted(arch.items())).encode()) % 4
    return _final(arch)[0] * (1 - 0.5 * math.exp(-epoch / tau))


def _train(study, trial, first_epoch=1, stop_after=None):
    """A user's training loop: report each epoch, stop when told, else tell the final result."""
    for epoch in range(first_epoch, EPOCHS + 1):
        study.report(trial, epoch, {"acc": _curve(trial.arch, epoch)})
        if stop_after is not None and epoch == stop_after:
            return "killed"
        if study.should_stop(trial):
            study.stop(trial)
            return "stopped"
    acc, flops = _final(trial.arch)
    study.tell(trial, {"acc": acc, "flops": flops})
    return "complete"


def _study(path, proposer="bo"):
    return pn.create_study(space="nb201", objectives=OBJ, storage=path, seed=4, stopper="asha", proposer=proposer,
                           stopper_options={"eta": 3, "max_step": EPOCHS},
                           proposer_options={"n_initial": 6} if proposer == "bo" else None)


def _summary(study):
    return [(t.key, t.state.value, t.fidelity, t.values, t.intermediate) for t in study.trials]


def test_reports_stops_and_the_honest_front(tmp_path):
    study = _study(tmp_path / "s.db", proposer="random")
    outcomes = [_train(study, study.ask()[0]) for _ in range(12)]
    assert "stopped" in outcomes and "complete" in outcomes
    stopped = [t for t in study.trials if t.state.value == "stopped"]
    for t in stopped:
        assert t.fidelity == max(t.intermediate) and t.fidelity in (1, 3) and t.values == t.intermediate[t.fidelity]
    complete = [t for t in study.trials if t.state.value == "complete"]
    assert all(sorted(t.intermediate) == list(range(1, EPOCHS + 1)) for t in complete)
    assert {t.number for t in study.pareto_front()} <= {t.number for t in complete}  # the front is at the target fidelity
    study.close()
    again = pn.load_study(tmp_path / "s.db", readonly=True)
    assert _summary(again) == _summary(study)  # every report is in the file


def test_mistakes_are_clear_and_store_nothing(tmp_path):
    study = _study(tmp_path / "s.db", proposer="random")
    trial = study.ask()[0]
    with pytest.raises(InvalidValuesError, match="step must be an integer >= 1"):
        study.report(trial, 0, {"acc": 1.0})
    with pytest.raises(InvalidValuesError, match="finite numbers"):
        study.report(trial, 1, {"acc": float("nan")})
    with pytest.raises(InvalidValuesError, match="has reported nothing"):
        study.stop(trial)
    with pytest.raises(InvalidValuesError, match=r"study.stop\(trial\)"):
        study.tell(trial, {"acc": 1.0, "flops": 1.0}, state="stopped")
    study.report(trial, 1, {"acc": 50.0})
    study.report(trial, 1, {"acc": 50.0})  # a re-run reporting the same step again: nothing new
    assert study.get_trial(trial.number).intermediate == {1: {"acc": 50.0}}
    study.tell(trial, {"acc": 70.0, "flops": 2.0})
    with pytest.raises(InvalidValuesError, match="already complete"):
        study.report(trial, 2, {"acc": 60.0})
    with pytest.raises(StudyFileDamagedError, match="reports for trial 0, which is already complete"):
        study._file.append([("report", {"number": 0, "step": 5, "values": {"acc": 1.0}})])  # as a foreign writer could
        study.close()
        pn.load_study(tmp_path / "s.db", readonly=True)


def test_a_study_killed_mid_trial_resumes_exactly_with_the_default_proposer(tmp_path):
    whole = _study(tmp_path / "whole.db")
    for _ in range(14):
        _train(whole, whole.ask()[0])
    path = tmp_path / "killed.db"
    study = _study(path)
    kills = 0
    for i in range(14):
        trial = study.ask()[0]
        # killed right after a report (before its decision) of trials 3, 7 and 11, then resumed
        if i in (3, 7, 11) and _train(study, trial, stop_after={3: 1, 7: 2, 11: 1}[i]) == "killed":
            kills += 1
            study.close()
            study = pn.load_study(path)
            (left,) = [t for t in study.trials if t.state.value == "running"]
            _train(study, left)  # the user's loop re-runs it from epoch 1
        elif i not in (3, 7, 11):
            _train(study, trial)
    assert kills >= 2 and _summary(study) == _summary(whole)
    assert any(t.state.value == "stopped" for t in whole.trials)


def test_status_says_how_many_stopped_early(tmp_path):
    import subprocess
    import sys

    study = _study(tmp_path / "s.db", proposer="random")
    for _ in range(10):
        _train(study, study.ask()[0])
    n_stopped = sum(t.state.value == "stopped" for t in study.trials)
    study.close()
    res = subprocess.run([sys.executable, "-m", "predictnas", "status", str(tmp_path / "s.db")], capture_output=True, text=True)
    assert res.returncode == 0 and f"{n_stopped} stopped early" in res.stdout and n_stopped > 0


def test_reports_show_stopped_trials_apart_and_off_the_plots(tmp_path):
    from predictnas.report import report

    study = _study(tmp_path / "s.db", proposer="random")
    for _ in range(10):
        _train(study, study.ask()[0])  # stopped trials reported "acc" only
    assert any(t.state.value == "stopped" and "flops" not in t.values for t in study.trials)
    html, md = report(study, tmp_path / "r.html"), report(study, None, format="md")
    stopped = sum(t.state.value == "stopped" for t in study.trials)
    finished = [t for t in study.trials if t.state.value in ("complete", "stopped")]
    trained = sum(len(t.intermediate) for t in finished)
    line = (f"{trained} of {EPOCHS * len(finished)} steps trained ({100 * (1 - trained / (EPOCHS * len(finished))):.0f} % saved "
            f"by stopping {stopped} trials early; target step {EPOCHS}); 0 verified")
    assert "early stopping" in html and line in html and line in md


class _Curves(SteppedEvaluator):
    """A training run as a stepped evaluator: one result per epoch (the last one complete)."""

    def steps(self, arch):
        for epoch in range(1, EPOCHS + 1):
            yield {"acc": _curve(arch, epoch)} if epoch < EPOCHS else dict(zip(("acc", "flops"), _final(arch)))


def test_optimize_reports_every_epoch_and_stops_hopeless_trials(tmp_path):
    study = _study(tmp_path / "s.db")
    study.optimize(_Curves(), 14)
    by_hand = _study(tmp_path / "h.db")
    for _ in range(14):
        _train(by_hand, by_hand.ask()[0])
    decisions = [(t.key, t.state.value, t.fidelity) for t in study.trials]
    assert decisions == [(t.key, t.state.value, t.fidelity) for t in by_hand.trials]  # as the ask/tell loop decided
    assert any(t.state.value == "stopped" for t in study.trials)
    assert all(sorted(t.intermediate) == list(range(1, t.fidelity + 1)) for t in study.trials if t.state.value == "stopped")
    with pytest.raises(InvalidSpecError, match="early stopping runs in-process"):
        study.optimize(_Curves(), 2, n_workers=2)
    plain = pn.create_study(space="nb201", objectives=OBJ, seed=4, proposer="random")  # no stopper: every step reported
    plain.optimize(_Curves(), 3)
    assert all(t.state.value == "complete" and len(t.intermediate) == EPOCHS for t in plain.trials)


class _Interrupted(_Curves):
    """Ctrl-C in the middle of the first evaluation from the 8th on that gets past epoch 2."""

    def __init__(self):
        self.calls, self.fired = 0, False

    def steps(self, arch):
        self.calls += 1
        for epoch, result in enumerate(super().steps(arch), start=1):
            if self.calls >= 8 and epoch == 3 and not self.fired:
                self.fired = True
                raise KeyboardInterrupt
            yield result


def test_optimize_interrupted_mid_trial_resumes_exactly(tmp_path):
    whole = _study(tmp_path / "whole.db")
    whole.optimize(_Curves(), 14)
    path = tmp_path / "cut.db"
    study = _study(path)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_Interrupted(), 14)
    running = [t for t in study.trials if t.state.value == "running"]
    assert len(running) == 1 and sorted(running[0].intermediate) == [1, 2]
    study.close()
    resumed = pn.load_study(path)
    resumed.optimize(_Curves(), 14 - len(resumed.trials))  # the running trial is re-run first, under its number
    assert _summary(resumed) == _summary(whole)


class _Short(_Curves):
    def steps(self, arch):
        yield from list(super().steps(arch))[:5]


class _Long(_Curves):
    def steps(self, arch):
        yield from super().steps(arch)
        yield dict(zip(("acc", "flops"), _final(arch)))  # one step past the target


@pytest.mark.parametrize("evaluator, ended", [(_Short(), 5), (_Long(), EPOCHS + 1)])
def test_a_fidelity_mismatch_is_a_clear_error(tmp_path, evaluator, ended):
    from predictnas.study import EvaluatorMismatchError

    study = _study(tmp_path / "s.db", proposer="random")
    with pytest.raises(EvaluatorMismatchError, match=f"ended at step {ended}, but the study's target fidelity is step {EPOCHS}"):
        study.optimize(evaluator, 20)
    assert [t.state.value for t in study.trials if t.state.value != "stopped"][-1] == "failed"
