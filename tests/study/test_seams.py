"""Users' own parts: proposers by instance or entry point (recorded for resume), and the one
registry that names every pluggable kind."""

import pytest
from _custom_proposer import GreedyMutation

import predictnas as pn
from predictnas._registry import Registry
from predictnas.exceptions import InvalidSpecError, StudyError
from predictnas.proposers import PROPOSERS

OBJ = {"acc": "maximize"}


def _acc(arch):
    return {"acc": float(sum(v == "nor_conv_3x3" for v in arch.values()))}


def test_a_proposer_instance_is_recorded_and_rebuilt_on_resume(tmp_path):
    study = pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", seed=0, proposer=GreedyMutation(n_changes=2))
    assert study.definition["proposer"] == {"name": "_custom_proposer:GreedyMutation", "options": {"n_changes": 2}}
    study.optimize(pn.FunctionEvaluator(_acc), 6)
    study.close()
    again = pn.load_study(tmp_path / "s.db")
    assert isinstance(again.proposer, GreedyMutation) and again.proposer.n_changes == 2  # not the default "bo"
    again.optimize(pn.FunctionEvaluator(_acc), 4)
    assert len(again.trials) == 10


def test_an_entry_point_names_a_proposer_in_python_and_in_a_definition(tmp_path):
    study = pn.create_study(space="nb201", objectives=OBJ, proposer="_custom_proposer:GreedyMutation",
                            proposer_options={"n_changes": 3})
    assert isinstance(study.proposer, GreedyMutation) and study.proposer.n_changes == 3
    with pytest.raises(InvalidSpecError, match=r"no option\(s\) \['pop_size'\]; its options \(with defaults\): n_changes=1"):
        pn.create_study(space="nb201", objectives=OBJ, proposer="_custom_proposer:GreedyMutation",
                        proposer_options={"pop_size": 3})
    with pytest.raises(InvalidSpecError, match="entry point 'nowhere:Thing' cannot be loaded"):
        pn.create_study(space="nb201", objectives=OBJ, proposer="nowhere:Thing")


def test_a_proposer_that_cannot_be_rebuilt_must_be_passed_again(tmp_path):
    class Local(GreedyMutation):
        pass

    pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", proposer=Local()).close()
    with pytest.raises(StudyError, match="cannot be rebuilt from the file; pass it again: load_study"):
        pn.load_study(tmp_path / "s.db")
    again = pn.load_study(tmp_path / "s.db", proposer=Local())
    assert isinstance(again.proposer, Local)


def test_one_registry_for_every_pluggable_kind():
    from predictnas.encoders import ENCODERS
    from predictnas.supernets import BUILTIN_SUPERNETS, PROXIES
    from predictnas.surrogates import SURROGATES

    for registry in (PROPOSERS, SURROGATES, ENCODERS, BUILTIN_SUPERNETS, PROXIES):
        assert isinstance(registry, Registry)
        name = next(iter(registry))
        with pytest.raises(InvalidSpecError, match="already registered"):
            registry.register(name, registry[name])
        with pytest.raises(InvalidSpecError, match=r"Unknown .*'nope'; available: \["):
            registry.resolve("nope")
    local = Registry("widget", {"a": 1})
    local.register("b", 2)
    assert dict(local) == {"a": 1, "b": 2} and local.resolve("predictnas.pareto:REFERENCE_POINT") == 1.1
