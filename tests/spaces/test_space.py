"""SearchSpace behaviour on every shipped spec, with property tests."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import predictnas as pn
from predictnas.exceptions import InvalidArchitectureError

SPACES = {name: pn.load_space(name) for name in pn.list_spaces()}
NB201 = SPACES["nb201"]
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = ["op_0_1", "op_0_2", "op_1_2", "op_0_3", "op_1_3", "op_2_3"]


def test_shipped_spaces():
    assert {"nb201", "ofa_mbv3", "elastic_transformer", "digits_cnn"} <= set(SPACES)
    assert NB201.param_names == tuple(EDGES)


def test_cardinalities():
    assert NB201.cardinality() == 5**6
    layer = 3 * 3  # kernel x expand
    assert SPACES["ofa_mbv3"].cardinality() == 5 * (layer**2 + layer**3 + layer**4) ** 5
    layer = 2 * 3
    assert SPACES["digits_cnn"].cardinality() == 27 * (layer + layer**2 + layer**3) ** 3


def test_nb201_has_the_6466_published_classes():
    keys = {NB201.canonical_key(a) for a in NB201.enumerate()}
    assert len(keys) == 6466


def test_nb201_official_string_round_trip():
    text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    arch = NB201.from_string(text)
    assert arch["op_0_1"] == "nor_conv_3x3" and arch["op_1_2"] == "avg_pool_3x3" and arch["op_2_3"] == "skip_connect"
    assert NB201.to_string(arch) == text
    with pytest.raises(InvalidArchitectureError, match="node groups"):
        NB201.from_string("|nor_conv_3x3~0|")
    with pytest.raises(InvalidArchitectureError, match="not allowed"):
        NB201.from_string(text.replace("avg_pool_3x3", "max_pool_3x3"))


def test_nb201_edges_that_cannot_reach_the_output_do_not_matter():
    # Node 1 feeds nothing (op_1_2 = op_1_3 = none): op_0_1 is dead.
    base = dict(zip(EDGES, ["nor_conv_3x3", "nor_conv_1x1", "none", "skip_connect", "none", "nor_conv_3x3"]))
    keys = {NB201.canonical_key({**base, "op_0_1": op}) for op in OPS}
    assert len(keys) == 1
    # ... but it matters when node 1 reaches the output.
    live = {**base, "op_1_3": "nor_conv_3x3"}
    assert len({NB201.canonical_key({**live, "op_0_1": op}) for op in OPS}) == len(OPS)


def test_nb201_isomorphic_cells_share_a_key():
    # An op on 0->3 computes the same as that op on 1->3 when 0->1 is a skip connection.
    a = dict(zip(EDGES, ["skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none", "skip_connect"]))
    b = {**a, "op_0_3": "none", "op_1_3": "nor_conv_3x3"}
    assert NB201.canonical_key(a) == NB201.canonical_key(b)
    assert NB201.canonical_key(a) != NB201.canonical_key({**a, "op_0_1": "nor_conv_1x1"})


def test_nb201_rule_is_the_published_one_not_full_isomorphism():
    # Documented limitation inherited from NAS-Bench-201's rule (needed for its 6,466 classes):
    # two all-zero cells can land in different classes.
    a = dict(zip(EDGES, ["none", "none", "none", "none", "none", "skip_connect"]))
    b = dict(zip(EDGES, ["none", "none", "none", "none", "skip_connect", "none"]))
    assert NB201.canonical_key(a) != NB201.canonical_key(b)


def test_inactive_parameters_do_not_change_the_key():
    space = SPACES["digits_cnn"]
    arch = space.sample(1, rng=np.random.default_rng(3))[0].to_dict()
    arch["s1_depth"] = 1
    extra = {**arch, "s1_l2_kernel": 5, "s1_l2_expand": 2}  # layer 3 of a depth-1 stage
    assert space.canonical_key(space.make_arch(extra)) == space.canonical_key(space.make_arch(arch))
    with pytest.raises(InvalidArchitectureError, match="inactive"):
        space.validate(extra)


def test_validate_names_parameter_and_choices():
    arch = NB201.sample(1, rng=np.random.default_rng(0))[0].to_dict()
    with pytest.raises(InvalidArchitectureError, match=r"'op_0_1' got 'conv'.*choose one of"):
        NB201.validate({**arch, "op_0_1": "conv"})
    with pytest.raises(InvalidArchitectureError, match="missing"):
        NB201.validate({k: v for k, v in arch.items() if k != "op_2_3"})
    with pytest.raises(InvalidArchitectureError, match="Unknown parameter"):
        NB201.validate({**arch, "op_9_9": "none"})


def test_constraints_hold_for_samples_and_are_enforced():
    space = SPACES["elastic_transformer"]
    for arch in space.sample(200, rng=np.random.default_rng(0)):
        heads = [v for k, v in arch.items() if k.endswith("_heads")]
        assert max(heads) * 64 <= arch["hidden"]
    bad = space.sample(1, rng=np.random.default_rng(1))[0].to_dict()
    bad.update(hidden=384, l0_heads=12)
    with pytest.raises(InvalidArchitectureError, match="constraint"):
        space.validate(bad)
    cell = SPACES["nasnet_cell"]
    for arch in cell.sample(200, rng=np.random.default_rng(0)):
        assert arch["in_2_0"] != arch["in_2_1"]
        assert (arch["in_3_0"], arch["in_3_1"]) in {(0, 2), (1, 2), (2, 0), (2, 1)}


def test_sampling_is_seeded():
    for space in SPACES.values():
        a = space.sample(5, rng=np.random.default_rng(7))
        b = space.sample(5, rng=np.random.default_rng(7))
        assert a == b


def test_unique_sampling_and_neighbours():
    archs = NB201.sample(500, rng=np.random.default_rng(0), unique=True)
    assert len({NB201.canonical_key(a) for a in archs}) == 500
    arch = archs[0]
    nbrs = NB201.neighbors(arch)
    assert len(nbrs) == 6 * 4
    assert all(sum(arch[k] != n[k] for k in EDGES) == 1 for n in nbrs)


@pytest.mark.parametrize("name", sorted(SPACES))
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_operators_stay_in_the_space_and_strings_round_trip(name, seed):
    space = SPACES[name]
    rng = np.random.default_rng(seed)
    a, b = space.sample(2, rng=rng)
    for arch in (a, b, space.mutate(a, rng=rng), space.crossover(a, b, rng=rng)):
        assert space.validate(arch) == arch
        assert space.from_string(space.to_string(arch)) == arch
        assert space.canonical_key(space.from_string(space.to_string(arch))) == space.canonical_key(arch)
    assert space.mutate(a, rng=rng) != a


@settings(max_examples=60, deadline=None)
@given(op_0_2=st.sampled_from(OPS), op_1_2=st.sampled_from(OPS), op_2_3=st.sampled_from(OPS), moved=st.sampled_from(OPS))
def test_nb201_key_is_invariant_to_moving_an_op_across_a_skip(op_0_2, op_1_2, op_2_3, moved):
    a = {"op_0_1": "skip_connect", "op_0_2": op_0_2, "op_1_2": op_1_2, "op_0_3": moved, "op_1_3": "none", "op_2_3": op_2_3}
    b = {**a, "op_0_3": "none", "op_1_3": moved}
    assert NB201.canonical_key(a) == NB201.canonical_key(b)


def test_input_choice_cell_slot_order_does_not_matter():
    space = SPACES["nasnet_cell"]
    a = space.sample(1, rng=np.random.default_rng(5))[0].to_dict()
    b = dict(a)
    b["in_1_0"], b["in_1_1"] = a["in_1_1"], a["in_1_0"]
    b["op_1_0"], b["op_1_1"] = a["op_1_1"], a["op_1_0"]
    assert space.canonical_key(a) == space.canonical_key(b)


def test_estimate_cardinality_of_a_constrained_macro_space():
    space = SPACES["elastic_transformer"]
    est = space.estimate_cardinality(rng=np.random.default_rng(0), n_samples=4000)
    # hidden=384/512 allow 1/2 head choices of 3: the share is far below 1 but above 0.
    assert 0 < est < space.raw_size()


def test_space_from_dict_matches_itertools_enumeration():
    spec = {"schema_version": 1, "kind": "space", "name": "toy",
            "params": {"n": {"type": "integer", "low": 1, "high": 3},
                       "w": {"type": "ordinal", "choices": [8, 16], "active_if": "n >= 2"}},
            "constraints": [{"expr": "n * (w if w else 0) <= 32"}]}
    space = pn.space_from_spec(spec)
    expected = [{"n": 1}] + [{"n": n, "w": w} for n, w in itertools.product([2, 3], [8, 16]) if n * w <= 32]
    assert sorted(map(str, space.enumerate())) == sorted(str(pn.Arch(e)) for e in expected)
    assert space.cardinality() == len(expected)


def test_validated_archs_skip_revalidation_but_foreign_ones_do_not():
    space = pn.load_space("ofa_mbv3")
    other = pn.load_space("ofa_mbv3")
    arch = space.sample(1, rng=np.random.default_rng(0))[0]
    assert space.make_arch(arch) is arch  # built here: no second validation
    again = other.make_arch(arch)  # another space object validates it again
    assert again == arch and again is not arch
    assert space.canonical_key(arch) == other.canonical_key(again) == space.canonical_key(arch.to_dict())
    bad = pn.Arch({**arch.to_dict(), "not_a_param": 1})
    with pytest.raises(InvalidArchitectureError, match="not_a_param"):
        space.make_arch(bad)
    many = space.sample_many(500, rng=np.random.default_rng(1))
    assert len(many) == 500 and all(space.make_arch(a.to_dict()) == a for a in many)


def test_memoised_expressions_answer_like_fresh_ones():
    from predictnas.spaces._expr import Expression

    expr = Expression("a > 2 and b == 'x'", names={"a", "b", "c"})
    cases = [{"a": 3, "b": "x"}, {"a": 1, "b": "x"}, {"a": 3, "b": "y"}, {"a": 3}, {"a": 3, "b": "x", "c": 9}]
    fresh = [Expression(expr.source, names={"a", "b", "c"}).evaluate(v) for v in cases]
    assert [expr.evaluate(v) for v in cases * 2] == fresh * 2 == [True, False, False, False, True] * 2
    from predictnas.exceptions import ExpressionError

    with pytest.raises(ExpressionError, match="cannot be evaluated"):  # an unhashable value is evaluated, not memoised
        expr.evaluate({"a": [3], "b": "x"})


def test_the_deepest_allowed_cell_keys_and_encodes_in_linear_time():
    """A 16-node cell with every edge: expressions and path counts grow exponentially with depth;
    keys are digests past 1,024 characters and paths are counted, not listed."""
    import time

    from predictnas.encoders import TabularEncoder

    space = pn.space_from_spec({"schema_version": 1, "kind": "space", "name": "deep",
                                "cell": {"nodes": 16, "ops": ["none", "conv", "skip"], "zero_ops": ["none"],
                                         "identity_ops": ["skip"], "edges": "all"}})
    archs = space.sample(20, rng=np.random.default_rng(0))
    started = time.perf_counter()
    keys = [space.canonical_key(a) for a in archs]
    X = TabularEncoder().fit(space).transform(archs)
    assert time.perf_counter() - started < 5
    assert len(set(keys)) == 20 and keys == [space.canonical_key(a) for a in archs]
    assert X.shape[0] == 20 and X.shape[1] > len(space.params) and np.isfinite(X).all()


def test_distinct_architectures_are_enumerated_once_per_definition(monkeypatch):
    """Each study builds its own space object; the classes of a space definition are enumerated
    once per process (NAS-Bench-201: 0.4 s; NAS-Bench-Graph: 3 s per study before), and a space
    that differs in anything (here one choice fewer) is enumerated on its own."""
    first = pn.load_space("nb201").enumerate_unique(10**6)
    again = pn.load_space("nb201")
    monkeypatch.setattr(type(again), "enumerate", lambda self: pytest.fail("enumerated a known definition again"))
    assert again.enumerate_unique(10**6) == first and len(first) == 6466
    assert again.enumerate_unique(100) is None  # the limit still holds
    monkeypatch.undo()
    spec = pn.load_space("nb201").spec
    ops = [o for o in spec["cell"]["ops"] if o != "avg_pool_3x3"]
    smaller = pn.load_space({**spec, "cell": {**spec["cell"], "ops": ops}})
    assert len(smaller.enumerate_unique(10**6)) < len(first)
