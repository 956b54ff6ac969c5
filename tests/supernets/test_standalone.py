"""Candidates that cost training: each subnet trained from scratch, one epoch per step, the same
training as ``train_standalone``; a study definition with ``type = "training"`` and a ``[stopper]``
stops hopeless subnets early and the CLI verifies the stopped ones that could be on the front."""

import numpy as np
import pytest

import predictnas as pn
from predictnas.evaluators import SteppedEvaluator, build_evaluator
from predictnas.supernets import BUILTIN_SUPERNETS, StandaloneEvaluator, TrainingConfig, train_standalone
from predictnas.testing import check_evaluator

CONFIG = TrainingConfig(epochs=2, batch_size=128, lr=3e-3)


@pytest.fixture(scope="module")
def evaluator():
    builtin = BUILTIN_SUPERNETS["mnist1d_cnn"]
    return StandaloneEvaluator(builtin.make(), builtin.task(), CONFIG, threads=1)


def test_each_step_is_one_epoch_of_the_standalone_training(evaluator):
    arch = evaluator.supernet.space.sample(1, rng=np.random.default_rng(3))[0]
    steps = list(evaluator.steps(arch))
    assert isinstance(evaluator, SteppedEvaluator) and len(steps) == CONFIG.epochs
    assert all(set(s.values) == {"acc", "macs", "params"} and 0 <= s.values["acc"] <= 100 for s in steps)
    assert steps[0].values["macs"] == evaluator.cheap_statistics(arch)["macs"] > 0
    by_epoch = []
    from predictnas._determinism import torch_threads

    with torch_threads(1):
        final = train_standalone(evaluator.supernet, evaluator.task, arch, CONFIG, on_epoch=lambda e, r: by_epoch.append(r["acc"]))
    assert [s.values["acc"] for s in steps] == pytest.approx(by_epoch) and final["acc"] == pytest.approx(by_epoch[-1])
    check_evaluator(evaluator, "mnist1d_cnn", ["acc", "macs"], n=1, processes=False)


DEFINITION = '''
schema_version = 1
kind = "study"
name = "trained"
space = "mnist1d_cnn"
budget = 8
[objectives]
acc = "maximize"
macs = "minimize"
[proposer]
name = "random"
[stopper]
name = "asha"
options = { eta = 2, max_step = 2 }
[evaluator]
type = "training"
supernet = "mnist1d_cnn"
training = { epochs = 2, typo = 1 }
'''


def test_a_definition_trains_subnets_with_early_stopping_and_verifies_them(tmp_path, capsys):
    from predictnas.cli import main

    (tmp_path / "bad.toml").write_text(DEFINITION)
    assert main(["run", str(tmp_path / "bad.toml"), "--no-progress"]) == 2  # a clear error, nothing stored
    assert "unknown setting(s) ['typo']" in capsys.readouterr().err and not (tmp_path / "trained.db").exists()
    (tmp_path / "trained.toml").write_text(DEFINITION.replace(", typo = 1", ""))
    assert main(["run", str(tmp_path / "trained.toml"), "--no-progress"]) == 0
    with pn.load_study(tmp_path / "trained.db") as study:
        states = [t.state.value for t in study.trials]
        assert "stopped" in states and "complete" in states
        assert all(max(t.intermediate) == 1 for t in study.trials if t.state.value == "stopped")
        assert all(sorted(t.intermediate) == [1, 2] for t in study.trials if t.state.value == "complete")
        n_candidates = len(study.verify_candidates())
    assert main(["verify", str(tmp_path / "trained.db"), "--n", "1"]) == 0
    with pn.load_study(tmp_path / "trained.db") as study:
        verified = [t for t in study.trials if "verifies" in t.user_attrs]
        assert len(verified) == min(1, n_candidates)
        assert all(t.state.value == "complete" and "params" in t.user_attrs for t in verified)
    assert build_evaluator({"type": "training", "supernet": "mnist1d_cnn"}, pn.load_space("mnist1d_cnn")).config.epochs == 60


def test_the_fidelity_demo_trains_stops_verifies_and_reports(tmp_path, capsys):
    from predictnas._demo import run_fidelity_demo

    storage = tmp_path / "demo_fidelity.db"
    run_fidelity_demo(storage=str(storage), budget=8, epochs=3, verify=1)
    out = capsys.readouterr().out
    assert "Pareto front" in out and "steps trained" in out and (tmp_path / "demo_fidelity.html").exists()
    with pn.load_study(storage) as study:
        assert sum(t.state.value == "stopped" for t in study.trials) > 0
        assert len([t for t in study.trials if "verifies" in t.user_attrs]) <= 1
