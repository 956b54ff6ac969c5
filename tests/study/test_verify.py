"""Verification: trials stopped early that could be on the front are trained to the target
fidelity as new trials, never stopped, and a verification killed half-way is re-run as one."""

from pathlib import Path

import numpy as np
import pytest

import predictnas as pn
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.exceptions import InvalidSpecError
from predictnas.pareto import to_minimization

TABLE = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mnist1d_cnn"
OBJ = {"acc": "maximize", "macs": "minimize"}


@pytest.fixture(scope="module")
def table():
    return CurveTable.from_dir(TABLE)


def _searched(path, table, n=40):
    study = pn.create_study(space=table.space, objectives=OBJ, storage=path, seed=0, proposer="random", stopper="asha",
                            stopper_options={"eta": 3, "max_step": table.epochs})
    study.optimize(CurveReplayEvaluator(table, static={"macs": "macs_m"}), n)
    return study


def _front_at_its_step(study, trial):
    """0 when no report at the trial's step dominates it, 1 when only first-front ones do, else 2."""
    step = trial.fidelity
    rows = [t.intermediate[step] for t in study.trials if step in t.intermediate]
    F = to_minimization(np.array([[r["acc"], r["macs"]] for r in rows]), ["maximize", "minimize"])
    mine = to_minimization(np.array([trial.values["acc"], trial.values["macs"]]), ["maximize", "minimize"])
    dominators = F[(F <= mine).all(axis=1) & (F < mine).any(axis=1)]
    if not len(dominators):
        return 0
    first = F[[not ((F <= f).all(axis=1) & (F < f).any(axis=1)).any() for f in F]]
    return 1 if all(any((d == f).all() for f in first) for d in dominators) else 2


def test_candidates_are_stopped_trials_on_the_front_of_their_step_and_verification_completes_them(tmp_path, table):
    study = _searched(tmp_path / "s.db", table)
    stopped = [t for t in study.trials if t.state.value == "stopped"]
    candidates = study.verify_candidates()
    assert candidates and len(candidates) < len(stopped)
    ranks = {t.number: _front_at_its_step(study, t) for t in stopped}
    assert {t.number for t in candidates} == {n for n, r in ranks.items() if r < 2}
    order = [(ranks[t.number], -t.fidelity, t.number) for t in candidates]
    assert order == sorted(order)
    front_before = study.hypervolume(lower=[-100, 0], upper=[0, 10])
    verified = study.verify(CurveReplayEvaluator(table, static={"macs": "macs_m"}), n=2)
    assert [t.user_attrs["verifies"] for t in verified] == [c.number for c in candidates[:2]]
    for trial, candidate in zip(verified, candidates):
        assert trial.state.value == "complete" and trial.key == candidate.key and trial.fidelity is None
        assert max(trial.intermediate) == table.epochs  # trained to the end, never stopped
        assert trial.values["acc"] == pytest.approx(table.curve(candidate.arch)[0][-1])
    from predictnas.report import format_status

    assert "; 2 of them verifications of stopped trials" in format_status(study)
    left = {t.number for t in study.verify_candidates()}
    assert left <= {c.number for c in candidates[2:]}
    assert study.hypervolume(lower=[-100, 0], upper=[0, 10]) >= front_before


class _Interrupted(CurveReplayEvaluator):
    def steps(self, arch):
        for step, values in enumerate(super().steps(arch), start=1):
            if step == 5:
                raise KeyboardInterrupt
            yield values


def test_a_verification_killed_half_way_is_rerun_to_the_end_by_verify_or_optimize(tmp_path, table):
    path = tmp_path / "s.db"
    study = _searched(path, table, n=30)
    first = study.verify_candidates()[0]
    with pytest.raises(KeyboardInterrupt):
        study.verify(_Interrupted(table, static={"macs": "macs_m"}), n=1)
    study.close()
    resumed = pn.load_study(path)
    running = [t for t in resumed.trials if t.state.value == "running"]
    assert [t.user_attrs["verifies"] for t in running] == [first.number] and max(running[0].intermediate) == 4
    resumed.optimize(CurveReplayEvaluator(table, static={"macs": "macs_m"}), 0)  # the stopper never stops it
    finished = resumed.get_trial(running[0].number)
    assert finished.state.value == "complete" and max(finished.intermediate) == table.epochs
    assert first.number not in {t.number for t in resumed.verify_candidates()}


def test_a_failing_verification_fails_its_trial_and_the_next_one_runs(tmp_path, table):
    study = _searched(tmp_path / "s.db", table, n=30)
    calls = []

    def flaky(arch):
        calls.append(arch)
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return {"acc": 50.0, "macs": 1.0}

    verified = study.verify(flaky, n=2)
    assert [t.state.value for t in verified] == ["failed", "complete"] and "out of memory" in verified[0].error
    assert verified[1].user_attrs["verifies"] != verified[0].user_attrs["verifies"]  # not repeated in the same call
    assert verified[0].user_attrs["verifies"] in {t.number for t in study.verify_candidates()}  # still to verify
    with pytest.raises(InvalidSpecError, match="non-negative integer"):
        study.verify(flaky, n=-1)


STEPPED = '''
import math, zlib
from predictnas.evaluators import SteppedEvaluator


class Curves(SteppedEvaluator):
    """A learning curve per cell: 9 epochs rising to a final accuracy set by its convolutions."""

    def steps(self, arch):
        conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
        noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
        speed = 1 + zlib.crc32(repr(sorted(arch.items())).encode()) % 4
        for epoch in range(1, 10):
            yield {"acc": (60 + 2.0 * conv + 3 * noise) * (1 - 0.5 * math.exp(-epoch / speed)), "flops": 5 + 1.5 * conv}
'''

DEFINITION = '''
schema_version = 1
kind = "study"
name = "stepped"
space = "nb201"
budget = 30
[objectives]
acc = "maximize"
flops = "minimize"
[proposer]
name = "random"
[stopper]
name = "asha"
options = { eta = 3, max_step = 9 }
[evaluator]
type = "function"
entry_point = "stepped_curves:Curves"
'''


def test_the_command_line_runs_a_definition_with_a_stopper_and_verifies_its_candidates(tmp_path, capsys):
    from predictnas.cli import main

    (tmp_path / "stepped_curves.py").write_text(STEPPED)
    (tmp_path / "stepped.toml").write_text(DEFINITION.replace("eta = 3", "eta = 1"))
    assert main(["run", str(tmp_path / "stepped.toml"), "--no-progress"]) == 2
    assert "stepped.toml: stopper.options: ASHA eta must be a number > 1" in capsys.readouterr().err
    assert not (tmp_path / "stepped.db").exists()
    (tmp_path / "stepped.toml").write_text(DEFINITION)
    assert main(["run", str(tmp_path / "stepped.toml"), "--no-progress"]) == 0
    study = pn.load_study(tmp_path / "stepped.db")
    candidates = [t.number for t in study.verify_candidates()]
    assert any(t.state.value == "stopped" for t in study.trials) and candidates
    study.close()
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "stepped.db"), "--n", "2", "--trust"]) == 0
    err = capsys.readouterr().err
    assert f"could be on the front: {candidates}" in err and err.count(" verifies trial ") == 2
    with pn.load_study(tmp_path / "stepped.db") as study:
        verified = [t for t in study.trials if "verifies" in t.user_attrs]
        assert [t.user_attrs["verifies"] for t in verified] == candidates[:2]
        assert all(t.state.value == "complete" and max(t.intermediate) == 9 for t in verified)


def test_model_order_verifies_first_the_candidate_predicted_to_add_most_hypervolume(tmp_path, table):
    from predictnas.study._promotion import by_predicted_gain

    study = _searched(tmp_path / "s.db", table, n=60)
    candidates = study.verify_candidates()
    done = [t for t in study.trials if t.state.value == "complete"]
    stopped = [t for t in study.trials if t.state.value == "stopped"]
    ordered = by_predicted_gain(study.space, study.objectives, done, stopped, candidates)
    assert sorted(t.number for t in ordered) == sorted(t.number for t in candidates)
    assert [t.number for t in ordered] == [t.number for t in by_predicted_gain(study.space, study.objectives, done, stopped,
                                                                                  candidates)]  # a pure function
    assert [t.number for t in ordered] != [t.number for t in candidates]  # the model reorders them
    first = study.verify(CurveReplayEvaluator(table, static={"macs": "macs_m"}), n=1, order="model")[0]
    assert first.user_attrs["verifies"] == ordered[0].number
    with pytest.raises(InvalidSpecError, match="order"):
        study.verify(CurveReplayEvaluator(table), n=1, order="best")
