"""What an Optuna user writes first works, or says in one line what to write instead; nothing is
stored by a refused call."""

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError

OBJ = {"acc": "maximize", "flops": "minimize"}


def _metrics(arch):
    return {"acc": float(sum(v == "nor_conv_3x3" for v in arch.values())), "flops": float(len(set(arch.values())))}


def test_a_plain_function_is_an_evaluator_and_optuna_option_names_work():
    study = pn.create_study(space="nb201", objectives=OBJ, proposer="random")
    study.optimize(_metrics, 4, n_jobs=1, show_progress_bar=False)
    assert [t.state.value for t in study.trials] == ["complete"] * 4
    with pytest.raises(InvalidSpecError, match=r"optimize\(\) has no option\(s\) \['n_trial'\]; its options: batch_size.*"
                                               r"whole-study timeout is max_seconds"):
        study.optimize(_metrics, n_trial=2)
    with pytest.raises(InvalidSpecError, match="give n_workers or Optuna's n_jobs, not both"):
        study.optimize(_metrics, 2, n_jobs=1, n_workers=1)
    with pytest.raises(InvalidSpecError, match="needs an Evaluator or a function"):
        study.optimize("acc", 2)
    assert len(study.trials) == 4


def test_objectives_without_directions_and_storage_urls_are_clear(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidSpecError, match=r"objectives must name each metric's direction, e.g. \{\"acc\": \"maximize\""):
        pn.create_study(space="nb201", objectives=["acc", "params"])
    study = pn.create_study(space="nb201", objectives=OBJ, storage="sqlite:///x.db", proposer="random")
    study.optimize(_metrics, 2)
    study.close()
    assert (tmp_path / "x.db").is_file() and not (tmp_path / "sqlite:").exists()
    assert len(pn.load_study("sqlite:///x.db", readonly=True).trials) == 2
    with pytest.raises(InvalidSpecError, match="server databases are not supported"):
        pn.create_study(space="nb201", objectives=OBJ, storage="postgresql://user@host/db")
    assert not (tmp_path / "postgresql:").exists()


def test_callbacks_best_trials_the_front_as_a_dataframe_and_a_whole_run_time_limit():
    import time

    study = pn.create_study(space="nb201", objectives=OBJ, proposer="random")
    seen = []
    study.optimize(_metrics, 5, callbacks=[lambda s, t: seen.append((s is study, t.number, t.state.value))])
    assert seen == [(True, n, "complete") for n in range(5)]
    assert [t.number for t in study.best_trials] == [t.number for t in study.pareto_front()]
    front = study.trials_dataframe(front=True)
    assert sorted(front["number"]) == sorted(t.number for t in study.pareto_front()) and len(study.trials_dataframe()) == 5

    def slow(arch):
        time.sleep(0.2)
        return _metrics(arch)

    started = time.perf_counter()
    study.optimize(slow, 100, max_seconds=0.5)  # Optuna's whole-study timeout
    assert 5 + 2 <= len(study.trials) <= 5 + 5 and time.perf_counter() - started < 3
    with pytest.raises(InvalidSpecError, match="max_seconds must be a positive number"):
        study.optimize(_metrics, 1, max_seconds=0)
    with pytest.raises(InvalidSpecError, match="callbacks must be functions"):
        study.optimize(_metrics, 1, callbacks=["print"])


def test_the_progress_bars_hypervolume_never_drops():
    from predictnas.study._optimize import _Progress

    study = pn.create_study(space="nb201", objectives=OBJ, proposer="random")
    progress = _Progress(study, 40)
    shown, renormalised = [], []
    # a late extreme point (a new smallest flops) re-normalised to the observed range would shrink the rest
    for values in ([5.0, 5.0], [3.0, 1.0], [6.0, 6.0], [4.0, 3.0], [7.0, 8.0], [0.5, 0.1], [8.0, 9.0]):
        study.tell(study.ask()[0], {"acc": values[0], "flops": values[1]})
        progress.update()
        shown.append(progress.hypervolume())
        renormalised.append(study.hypervolume())
    progress.close()
    numbers = [float(v) for v in shown if v != "-"]
    assert shown[0] == "-" and len(numbers) >= 5 and numbers == sorted(numbers)
    assert any(b < a for a, b in zip(renormalised, renormalised[1:]))  # what the observed range did
