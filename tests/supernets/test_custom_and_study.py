"""A user-defined supernet through the same protocol, and supernets driving studies end to end."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from predictnas.examples.custom_supernet import ElasticMLP, moons, moons_task
from predictnas.exceptions import InvalidSpecError
from predictnas.study import build_evaluator, create_study, load_study, run_definition
from predictnas.supernets import SupernetEvaluator, TrainingConfig, profile, train_supernet


def test_custom_supernet_trains_evaluates_and_searches(tmp_path) -> None:
    net, task = ElasticMLP(), moons_task()
    result = train_supernet(net, task, TrainingConfig(epochs=15, lr=1e-2), checkpoint=tmp_path / "mlp.pt")
    evaluator = SupernetEvaluator(net, task, proxies=("synflow", "nwot", "snip", "grad_norm"))
    with net.activate({"depth": 2, "width": 8}):
        params, _ = profile(net, task.X_val[:1])
    assert params == (2 * 8 + 8) + 2 * 8 + (8 * 8 + 8) + 2 * 8 + (8 * 2 + 2)  # linear + layer norm per layer, head
    largest = evaluator.evaluate(net.largest_arch()).values
    smallest = evaluator.evaluate(net.smallest_arch()).values
    assert largest["acc"] > 85 and largest["acc"] > smallest["acc"]  # noise 0.25 moons: a linear model gets ~85
    study = create_study(proposer="random", space=net.space, objectives={"acc": "maximize", "params": "minimize"}, seed=0)
    study.optimize(evaluator, n_trials=12, batch_size=4)
    assert len(study.trials) == 12 and len(study.pareto_front()) >= 2
    assert {t.user_attrs["supernet_checkpoint"] for t in study.trials} == {result.weights_hash}
    assert all({"synflow", "nwot", "snip", "grad_norm"} <= set(t.cheap) for t in study.trials)


def _definition(tmp_path, supernet: str, space: str, extra: str = "") -> object:
    path = tmp_path / "study.toml"
    path.write_text(textwrap.dedent(f"""
        schema_version = 1
        kind = "study"
        name = "tiny"
        space = "{space}"
        storage = "tiny.db"
        budget = 6
        batch_size = 3
        [objectives]
        acc = "maximize"
        macs = "minimize"
        [evaluator]
        type = "supernet"
        supernet = "{supernet}"
        checkpoint = "tiny.pt"
        training = {{ epochs = 1 }}
        {extra}
    """))
    return path


def test_study_definition_with_a_supernet_records_its_checkpoint(tmp_path) -> None:
    path = _definition(tmp_path, "seq_transformer", "seq_transformer", 'options = { latency = true, latency_repeats = 3, proxies = ["synflow"] }')
    study, evaluator = run_definition(path)
    with study:
        study.optimize(evaluator)
    assert (tmp_path / "tiny.pt").exists()
    stored = load_study(tmp_path / "tiny.db", readonly=True)
    assert stored.definition["evaluator"]["checkpoint"] == str(tmp_path / "tiny.pt")
    trials = stored.trials
    assert len(trials) == 6 and all(t.state.value == "complete" for t in trials)
    assert {t.user_attrs["supernet_checkpoint"] for t in trials} == {evaluator.checkpoint}
    assert all(t.user_attrs["latency_ms"] > 0 and np.isfinite(t.cheap["synflow"]) for t in trials)
    # resuming rebuilds the same evaluator from the recorded definition (checkpoint loaded, not retrained)
    again = build_evaluator(stored.definition["evaluator"], stored.space)
    assert again.checkpoint == evaluator.checkpoint


def test_supernet_config_errors_are_clear(tmp_path) -> None:
    with pytest.raises(InvalidSpecError, match="Unknown supernet 'digits'"):
        run_definition(_definition(tmp_path, "digits", "digits_cnn"))
    with pytest.raises(InvalidSpecError, match="covers space 'seq_transformer'"):
        run_definition(_definition(tmp_path, "seq_transformer", "digits_cnn"))
    with pytest.raises(InvalidSpecError, match=r"unknown setting\(s\) \['epoch'\]"):
        build_evaluator({"type": "supernet", "supernet": "digits_cnn", "training": {"epoch": 3}}, ElasticMLP().space)
    assert not (tmp_path / "tiny.db").exists()  # nothing was created for a bad definition


def test_entry_point_factory() -> None:
    evaluator = build_evaluator({"type": "supernet", "supernet": "predictnas.examples.custom_supernet:moons",
                                 "training": {"epochs": 2}, "options": {"proxies": ["nwot"]}}, moons().make().space)
    assert set(evaluator.evaluate(evaluator.supernet.smallest_arch()).cheap) == {"params", "macs", "nwot"}


class _FunctionalRelu(ElasticMLP):
    """The same MLP with ``F.relu`` as a function: no ReLU module for ``nwot`` to hook."""

    def __init__(self) -> None:
        super().__init__()
        self.act = _Relu()


class _Relu(torch.nn.Module):  # not an nn.ReLU: calls the function
    def forward(self, x):
        return torch.nn.functional.relu(x)


def test_only_named_proxies_are_computed_and_one_that_cannot_be_is_a_warning_not_a_failed_trial(caplog) -> None:
    net, task = _FunctionalRelu(), moons_task()
    assert not any(isinstance(m, torch.nn.ReLU) for m in net.modules())
    assert set(SupernetEvaluator(net, task).cheap_statistics(net.largest_arch())) == {"params", "macs"}  # none named
    evaluator = SupernetEvaluator(net, task, proxies=("nwot", "synflow"))
    study = create_study(proposer="random", space=net.space, objectives={"acc": "maximize", "params": "minimize"}, seed=0)
    with caplog.at_level("WARNING", logger="predictnas.supernets"):
        study.optimize(evaluator, n_trials=4)
    assert [t.state.value for t in study.trials] == ["complete"] * 4
    assert all("synflow" in t.cheap and "nwot" not in t.cheap for t in study.trials)
    warnings = [r.getMessage() for r in caplog.records if "nwot" in r.getMessage()]
    assert len(warnings) == 1 and "cannot be computed" in warnings[0] and "ReLU" in warnings[0]


def test_a_supernet_module_beside_the_definition_is_importable_and_listed_as_code(tmp_path) -> None:
    from predictnas._validation import SpecReader
    from predictnas.evaluators import read_evaluator
    from predictnas.study import code_manifest

    (tmp_path / "mine_beside_supernet.py").write_text(textwrap.dedent("""
        from predictnas.examples.custom_supernet import moons


        def mine():
            return moons()
    """))
    node = SpecReader({"type": "training", "supernet": "mine_beside_supernet:mine", "training": {"epochs": 1}}, "x.toml", "evaluator")
    config = read_evaluator(node, lambda text: (tmp_path / text).resolve())
    assert config["folder"] == str(tmp_path.resolve())
    evaluator = build_evaluator(config, moons().make().space)  # imported from the definition's folder
    assert len(list(evaluator.steps(evaluator.supernet.smallest_arch()))) == 1
    items = code_manifest({"evaluator": config}, tmp_path / "s.db")
    assert [(i.kind, i.value) for i in items] == [("entry point", "mine_beside_supernet:mine"),
                                                  ("import folder", str(tmp_path.resolve()))]
    builtin = read_evaluator(SpecReader({"type": "supernet", "supernet": "mnist1d_cnn"}, "x.toml", "evaluator"), lambda t: tmp_path)
    assert "folder" not in builtin  # a built-in supernet asks nothing to be imported
