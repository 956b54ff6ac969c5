"""Mistakes a new user makes, and evaluators with bugs: each stops early with one clear error, or
is accepted when it is not a mistake (numpy and torch numbers), and nothing stored is lost."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, InvalidValuesError, StudyError
from predictnas.study import BrokenEvaluatorError, EvaluatorMismatchError

OBJ = {"acc": "maximize", "flops": "minimize"}


def _study(**kwargs):
    kwargs.setdefault("proposer", "random")
    return pn.create_study(space="nb201", objectives=OBJ, seed=0, **kwargs)


def _metrics(arch):
    conv = sum(v == "nor_conv_3x3" for v in arch.values())
    return 80.0 + conv, 10.0 + 5 * conv


def test_numpy_and_torch_numbers_are_numbers_everywhere_values_enter():
    import torch

    def evaluate(arch):
        acc, flops = _metrics(arch)
        return pn.EvalResult({"acc": np.float32(acc), "flops": torch.tensor(flops)},
                             cheap={"params": np.int64(3), "latency": np.float16(1.5), "label": "x"})

    study = _study()
    study.optimize(pn.FunctionEvaluator(evaluate), 6)
    assert all(t.state.value == "complete" for t in study.trials)
    assert all(type(v) is float for t in study.trials for v in t.values.values())
    assert study.trials[0].cheap == {"params": 3.0, "latency": 1.5}
    trial = study.ask(1)[0]
    study.tell(trial, {"acc": np.int64(90), "flops": np.array(3.0)})
    assert study.trials[-1].values == {"acc": 90.0, "flops": 3.0}
    for bad in ({"acc": np.nan, "flops": 1.0}, {"acc": "high", "flops": 1.0}, {"acc": np.array([1.0, 2.0]), "flops": 1.0},
                {"acc": True, "flops": 1.0}):
        with pytest.raises(InvalidValuesError, match="not finite real numbers"):
            study.tell(study.ask(1)[0], bad)


@pytest.mark.parametrize("returned, constraints, missing", [
    ({"accuracy": 1.0, "flops": 2.0}, [], "['acc']"),
    ({"acc": 1.0, "flops": 2.0}, ["latency <= 5"], "['latency']"),
])
def test_metric_names_that_do_not_match_stop_at_the_first_result(returned, constraints, missing):
    calls = []
    study = _study(constraints=constraints)
    with pytest.raises(EvaluatorMismatchError) as err:
        study.optimize(pn.FunctionEvaluator(lambda arch: calls.append(1) or returned), 20)
    assert f"(missing {missing})" in str(err.value) and f"returned metrics {sorted(returned)}" in str(err.value)
    assert len(calls) == 1 and [t.state.value for t in study.trials] == ["failed"]
    assert "EvaluatorMismatchError" in study.trials[0].error


def test_a_broken_evaluator_stops_the_run_instead_of_burning_the_budget():
    study = _study()
    with pytest.raises(BrokenEvaluatorError, match="first 5 evaluations of this run all failed .*KeyError: 'acc'"):
        study.optimize(pn.FunctionEvaluator(lambda arch: {"acc": arch["acc"], "flops": 1.0}), 40)
    assert len(study.trials) == 5
    # once an evaluation succeeded, later failures are only failed trials
    flaky = iter([None] + [KeyError("x")] * 10)

    def sometimes(arch):
        problem = next(flaky, None)
        if problem is not None:
            raise problem
        return dict(zip(("acc", "flops"), _metrics(arch)))

    study = _study()
    study.optimize(pn.FunctionEvaluator(sometimes), 12)
    assert len(study.trials) == 12 and sum(t.state.value == "failed" for t in study.trials) == 10
    study = _study()
    study.optimize(pn.FunctionEvaluator(lambda arch: 1 / 0), 7, max_initial_failures=None)
    assert len(study.trials) == 7


def test_non_positive_sizes_are_refused():
    study = _study()
    for bad in (0, -1, 1.5):
        with pytest.raises(InvalidSpecError, match="batch_size must be a positive integer"):
            study.optimize(pn.FunctionEvaluator(lambda a: {"acc": 1.0, "flops": 1.0}), 4, batch_size=bad)
    with pytest.raises(InvalidSpecError, match="n_trials"):
        study.optimize(pn.FunctionEvaluator(lambda a: {"acc": 1.0, "flops": 1.0}), -3)
    assert study.trials == []


def test_a_failing_cheap_function_is_a_clear_error_and_never_leaks_into_another_run():
    objectives = [pn.Objective("acc", "maximize"), pn.Objective("flops", "minimize", cheap=True)]
    study = pn.create_study(space="nb201", objectives=objectives, seed=0)

    class Broken(pn.Evaluator):
        def evaluate(self, arch):
            return dict(zip(("acc", "flops"), _metrics(arch)))

        def cheap_statistics(self, arch):
            raise RuntimeError("latency table not found")

    with pytest.raises(StudyError, match="declared cheap, but the cheap statistics of trial 0 .* failed: RuntimeError: "
                                         "latency table not found"):
        study.optimize(Broken(), 20)
    assert study.cheap_function is None  # the evaluator's cheap source does not outlive the run
    with pytest.raises(InvalidSpecError, match="declared cheap, but FunctionEvaluator gives no cheap statistics"):
        study.optimize(pn.FunctionEvaluator(lambda a: dict(zip(("acc", "flops"), _metrics(a)))), 2)
    with pytest.raises(StudyError, match="no cheap_function"):
        study.ask(1)


def test_tell_takes_an_eval_result_and_explains_a_cache_hit():
    study = _study()
    evaluator = pn.FunctionEvaluator(lambda arch: dict(zip(("acc", "flops"), _metrics(arch))))
    trial = study.ask(1)[0]
    study.tell(trial, evaluator.evaluate(trial.arch))  # the README's by-hand loop, for every evaluator
    hit = study.ask(archs=[trial.arch])[0]
    assert hit.cache_of == trial.number
    with pytest.raises(InvalidValuesError, match="cache hit of trial 0: its result was recorded when it was asked"):
        study.tell(hit, evaluator.evaluate(hit.arch))
    assert study.tell(hit, {"acc": 1.0}, skip_if_finished=True) == hit


def test_sample_without_a_generator_is_reproducible():
    space = pn.load_space("nb201")
    assert space.sample(3) == space.sample(3) == space.sample(3, rng=np.random.default_rng(0))
    assert space.sample(2, rng=5) == space.sample(2, rng=np.random.default_rng(5))


def test_an_empty_identity_op_list_means_no_identity_op(tmp_path):
    spec = textwrap.dedent('''
        schema_version = 1
        kind = "space"
        name = "plain_cell"
        [cell]
        nodes = 3
        edges = "all"
        param = "op_{src}_{dst}"
        ops = ["none", "skip_connect", "conv"]
        zero_ops = ["none"]
        identity_ops = []
    ''')
    (tmp_path / "plain.toml").write_text(spec)
    space = pn.load_space(tmp_path / "plain.toml")
    skip = space.make_arch({"op_0_1": "none", "op_0_2": "skip_connect", "op_1_2": "none"})
    assert space.canonical_key(skip) == "#+(0)@skip_connect"  # an op like any other, not the identity


def test_the_cli_stops_a_mismatched_study_with_one_line(tmp_path):
    (tmp_path / "wrongnames.py").write_text("def evaluate(arch):\n    return {'accuracy': 1.0, 'flops': 2.0}\n")
    (tmp_path / "s.toml").write_text(textwrap.dedent('''
        schema_version = 1
        kind = "study"
        name = "s"
        space = "nb201"
        budget = 10
        [objectives]
        acc = "maximize"
        flops = "minimize"
        [evaluator]
        type = "function"
        entry_point = "wrongnames:evaluate"
        [proposer]
        name = "random"
    '''))
    res = subprocess.run([sys.executable, "-m", "predictnas", "run", str(tmp_path / "s.toml"), "--no-progress"],
                         capture_output=True, text=True, cwd="/", timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("predictnas: error: The evaluator returned metrics ['accuracy', 'flops']")


MODULE = '''
def wrong(arch):
    return {"acc": 1.0 + len(set(arch.values())), "params": 3.0}


def right(arch):
    return {"acc": 1.0 + len(set(arch.values())), "flops": 3.0 + len(arch)}
'''

DEFINITION = '''
schema_version = 1
kind = "study"
name = "mine"
space = "nb201"
budget = 4
[objectives]
acc = "maximize"
flops = "minimize"
[proposer]
name = "random"
[evaluator]
type = "function"
entry_point = "mine_eval:{fn}"
'''


def test_a_first_run_with_a_mistake_is_fixed_by_overwrite_and_nothing_else_is_lost(tmp_path, capsys):
    from predictnas.cli import main

    (tmp_path / "mine_eval.py").write_text(MODULE)
    spec = tmp_path / "mine.toml"
    spec.write_text(DEFINITION.format(fn="wrong"))
    assert main(["run", str(spec), "--no-progress"]) == 2  # the evaluator returns params, the study wants flops
    assert "missing ['flops']" in capsys.readouterr().err and (tmp_path / "mine.db").exists()
    spec.write_text(DEFINITION.format(fn="right"))  # fixed; running again names both ways out
    assert main(["run", str(spec), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "a study file already exists (1 trials, 0 complete)" in err and "predictnas run --overwrite" in err
    assert main(["run", str(spec), "--no-progress", "--overwrite"]) == 0
    with pn.load_study(tmp_path / "mine.db") as study:
        assert [t.state.value for t in study.trials] == ["complete"] * 4
        before = [(t.key, t.values) for t in study.trials]
        # a file another process writes is never replaced
        with pytest.raises(StudyError, match="open for writing|locked|another process"):
            pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "mine.db", overwrite=True)
    with pn.load_study(tmp_path / "mine.db") as study:
        assert [(t.key, t.values) for t in study.trials] == before
    with pytest.raises(InvalidSpecError, match="exclude each other"):
        pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "mine.db", overwrite=True, load_if_exists=True)
    with pytest.raises(InvalidSpecError):  # a bad new definition: checked before anything is deleted
        pn.create_study(space="nb201", objectives={"acc": "upward"}, storage=tmp_path / "mine.db", overwrite=True)
    with pn.load_study(tmp_path / "mine.db") as study:
        assert [(t.key, t.values) for t in study.trials] == before
    fresh = pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "mine.db", overwrite=True)
    assert fresh.trials == [] and fresh.objectives[1].name == "flops"


def test_a_metric_missing_after_the_evaluator_named_them_fails_that_trial_only():
    calls = []

    def sometimes(arch):  # the 3rd result lacks flops (e.g. a profiler that failed on one model)
        calls.append(1)
        acc, flops = _metrics(arch)
        return {"acc": acc} if len(calls) == 3 else {"acc": acc, "flops": flops}

    study = _study()
    study.optimize(sometimes, 6)
    assert [t.state.value for t in study.trials] == ["complete"] * 2 + ["failed"] + ["complete"] * 3
    assert "returned no ['flops']" in study.trials[2].error


def test_the_command_line_suggests_a_mistyped_option_and_says_how_to_resume_after_ctrl_c(tmp_path, capsys):
    from predictnas.cli import main

    with pytest.raises(SystemExit):
        main(["run", "x.toml", "--budgt", "3"])
    assert "unrecognized arguments: --budgt 3 (did you mean --budget for --budgt?)" in capsys.readouterr().err
    (tmp_path / "ctrl_c_eval.py").write_text(MODULE + '''

calls = []


def interrupted(arch):
    calls.append(1)
    if len(calls) == 3:
        raise KeyboardInterrupt
    return right(arch)
''')
    spec = tmp_path / "mine.toml"
    spec.write_text(DEFINITION.format(fn="interrupted").replace("mine_eval:", "ctrl_c_eval:"))
    assert main(["run", str(spec), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert f"interrupted; every finished trial is in {tmp_path / 'mine.db'}: continue with `predictnas resume " in err
    with pn.load_study(tmp_path / "mine.db") as study:
        assert [t.state.value for t in study.trials][:2] == ["complete", "complete"]
