"""A finite space (``members`` in a spec): exactly the architectures a table has rows for."""

import numpy as np
import pytest

import predictnas as pn
from predictnas.exceptions import InvalidArchitectureError, InvalidSpecError
from predictnas.spaces import load_space, space_from_spec


@pytest.fixture(scope="module")
def finite():
    base = load_space("mnist1d_cnn")
    rows = [a.to_dict() for a in base.sample(40, rng=np.random.default_rng(1), unique=True)]
    return base, space_from_spec({**base.spec, "members": rows + rows[:3]})  # repeats are kept once


def test_every_operator_stays_inside_the_members(finite):
    base, space = finite
    assert len(space.members) == 40 and space.raw_size() == 40 and space.cardinality() == 40
    rng = np.random.default_rng(0)
    inside = lambda archs: all(space.canonical_key(a) in space.members for a in archs)  # noqa: E731
    drawn = space.sample(40, rng=rng, unique=True)
    assert inside(drawn) and len({space.canonical_key(a) for a in drawn}) == 40
    assert inside(space.sample_many(100, rng=rng))
    assert inside(space.mutate(a, rng=rng) for a in drawn) and all(space.mutate(a, rng=rng) != a for a in drawn[:10])
    assert inside(space.crossover(drawn[i], drawn[i + 1], rng=rng) for i in range(10))
    assert inside(n for a in drawn for n in space.neighbors(a))
    assert [a for a in space.enumerate()] == list(space.members.archs)
    outsider = next(a for a in base.sample(200, rng=np.random.default_rng(9)) if base.canonical_key(a) not in space.members)
    with pytest.raises(InvalidArchitectureError, match="not one of the 40 members"):
        space.make_arch(outsider.to_dict())
    with pytest.raises(pn.exceptions.PredictNASError, match="it has 40 members"):
        space.sample(41, rng=rng, unique=True)


def test_a_bad_member_list_is_one_clear_error(finite):
    base, _ = finite
    with pytest.raises(InvalidSpecError, match="members.*lists no members"):
        space_from_spec({**base.spec, "members": []})
    with pytest.raises(InvalidSpecError, match=r"members\[1\].*s1_width.*got 99"):
        space_from_spec({**base.spec, "members": [base.sample(1)[0].to_dict(), {**base.sample(1)[0].to_dict(), "s1_width": 99}]})


def test_the_default_proposer_searches_a_finite_space_and_a_study_file_keeps_it(finite, tmp_path):
    _, space = finite
    study = pn.create_study(space=space, objectives={"a": "maximize", "b": "minimize"}, storage=tmp_path / "s.db", seed=0)
    metrics = lambda arch: {"a": float(arch["s1_width"] + arch.get("s3_width", 0)), "b": float(arch.get("s2_width", 0))}  # noqa: E731
    study.optimize(metrics, 24, batch_size=4)
    assert all(t.state.value == "complete" for t in study.trials)
    assert len({t.key for t in study.trials}) == 24 and all(t.key in space.members for t in study.trials)
    study.close()
    again = pn.load_study(tmp_path / "s.db")
    assert len(again.space.members) == 40
    again.optimize(metrics, 30)  # 16 left: the study stops when every member has a trial
    assert len(again.trials) == 40


def test_restrict_builds_the_same_finite_space_in_python(finite):
    from predictnas.spaces import restrict

    base, space = finite
    again = restrict(base, space.members.archs)
    assert again.members.keys == space.members.keys and len(again.spec["members"]) == 40
