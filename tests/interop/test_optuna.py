"""Optuna interop: a predictnas study exported to an Optuna storage reads back with the same
trials, and an Optuna study of the space's parameters becomes warm-start data for a new search."""

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, InvalidValuesError
from predictnas.interop import from_optuna, to_optuna

optuna = pytest.importorskip("optuna")


def _metrics(arch):
    conv = sum(v == "nor_conv_3x3" for v in arch.values())
    return {"acc": 80.0 + conv, "flops": 10.0 + 5 * conv}


def test_a_study_exported_to_optuna_reads_back_with_its_trials_states_and_front(tmp_path):
    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0, proposer="random",
                            name="mine")
    study.optimize(_metrics, 10)
    failed = study.ask(1)[0]
    study.tell(failed, state="failed", error="out of memory")
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    to_optuna(study, url)
    back = optuna.load_study(study_name="mine", storage=url)
    assert back.metric_names == ["acc", "flops"] and [d.name for d in back.directions] == ["MAXIMIZE", "MINIMIZE"]
    trials = back.get_trials()
    assert len(trials) == 11 and trials[-1].state.name == "FAIL" and trials[-1].user_attrs["error"] == "out of memory"
    assert all(t.params == dict(s.arch) and t.values == [s.values["acc"], s.values["flops"]]
               for t, s in zip(trials[:10], study.trials[:10]))
    assert sorted(t.user_attrs["predictnas_number"] for t in back.best_trials) == sorted(t.number for t in study.pareto_front())
    with pytest.raises(InvalidValuesError, match="already has a study 'mine'"):
        to_optuna(study, url)


def test_an_optuna_study_becomes_a_warm_start_for_a_new_search(tmp_path):
    space = pn.load_space("nb201")

    def objective(trial):
        arch = {p: trial.suggest_categorical(p, list(space.param(p).choices)) for p in space.param_names}
        m = _metrics(arch)
        return m["acc"], m["flops"]

    source = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0))
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        source.set_metric_names(["acc", "flops"])
    source.optimize(objective, n_trials=15)
    prior = from_optuna(source, "nb201", tmp_path / "prior.db")
    assert len(prior.trials) == 15 and prior.trials[0].values == {"acc": source.trials[0].values[0], "flops": source.trials[0].values[1]}
    prior.close()
    new = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=1,
                          warm_start=[str(tmp_path / "prior.db")])
    new.optimize(_metrics, 4)
    assert len(new.warm_start[0].values["acc"]) == 15  # the prior's 15 results inform the search

    other = optuna.create_study()
    other.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1), n_trials=2)
    with pytest.raises(InvalidSpecError, match=r"parameter\(s\) \['lr'\] are not in space 'nb201'"):
        from_optuna(other, "nb201", tmp_path / "bad.db")
    assert not (tmp_path / "bad.db").exists()  # nothing written


def test_export_to_an_optuna_storage_from_the_command_line(tmp_path):
    import subprocess
    import sys

    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0, proposer="random",
                            storage=tmp_path / "s.db")
    study.optimize(_metrics, 5)
    study.close()
    url = f"sqlite:///{tmp_path / 'o.db'}"
    res = subprocess.run([sys.executable, "-m", "predictnas", "export", str(tmp_path / "s.db"), "--format", "optuna", "-o", url],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 5 and "optuna-dashboard" in res.stderr
    res = subprocess.run([sys.executable, "-m", "predictnas", "export", str(tmp_path / "s.db"), "--format", "optuna"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "needs -o STORAGE" in res.stderr
