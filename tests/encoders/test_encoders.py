"""Encoders: documented shapes, determinism, inactive parameters, known encodings."""

import numpy as np
import pytest

import predictnas as pn
from predictnas.encoders import ENCODERS, GraphEncoder, OneHotEncoder, PathEncoder, SequenceEncoder, TabularEncoder, make_encoder
from predictnas.exceptions import NotFittedError, PredictNASError

SPACES = {name: pn.load_space(name) for name in pn.list_spaces()}
ALL_SKIP = {e: "skip_connect" for e in ["op_0_1", "op_0_2", "op_1_2", "op_0_3", "op_1_3", "op_2_3"]}


def _array(X):
    return X.flatten() if hasattr(X, "global_features") else X


@pytest.mark.parametrize("space_name", sorted(SPACES))
@pytest.mark.parametrize("encoder_name", sorted(ENCODERS))
def test_fixed_shapes_and_determinism(space_name, encoder_name):
    space = SPACES[space_name]
    if encoder_name == "path" and space.cell is None:
        with pytest.raises(PredictNASError, match="needs a cell space"):
            ENCODERS[encoder_name]().fit(space)
        return
    archs = space.sample(20, rng=np.random.default_rng(0))
    enc = ENCODERS[encoder_name]().fit(space)
    X1, X2 = _array(enc.transform(archs)), _array(enc.transform(list(reversed(archs))))
    assert X1.shape[0] == 20 and X1.ndim == 2
    np.testing.assert_array_equal(X1, X2[::-1])
    assert np.isfinite(X1).all()
    if encoder_name == "tabular":
        assert X1.shape[1] == enc.n_features_ == len(enc.feature_names_)
    # Different architectures get different encodings (except truly equal ones).
    strings = [space.to_string(a) for a in archs]
    if encoder_name != "path":
        assert len({row.tobytes() for row in X1}) == len(set(strings))


def test_not_fitted_and_bad_input():
    with pytest.raises(NotFittedError, match="call fit"):
        TabularEncoder().transform([])
    enc = TabularEncoder().fit(SPACES["nb201"])
    with pytest.raises(TypeError, match="list of architectures"):
        enc.transform(ALL_SKIP)


def test_tabular_one_hot_and_inactive_flags():
    space = SPACES["digits_cnn"]
    enc = TabularEncoder().fit(space)
    arch = space.sample(1, rng=np.random.default_rng(0))[0].to_dict()
    arch.update(s1_depth=1)
    x = enc.transform([space.make_arch(arch)])[0]
    names = enc.feature_names_
    assert x[names.index("s1_l1_kernel:active")] == 0 and x[names.index("s1_l1_kernel:rank")] == 0
    assert x[names.index("s1_l0_kernel:rank")] in (0.0, 1.0)
    assert "s1_l0_kernel:active" not in names  # always active: no flag
    nb = TabularEncoder().fit(SPACES["nb201"])
    row = nb.transform([ALL_SKIP])[0]
    assert row[: nb.n_params_features_].sum() == 6 and row[nb.feature_names_.index("op_0_1=skip_connect")] == 1
    # cell structure: 6 skip edges of 6, all live, connected, 4 input -> output paths of 4, no op on any
    stats = dict(zip(nb.feature_names_[nb.n_params_features_:], row[nb.n_params_features_:]))
    assert stats == {"cell:ops[skip_connect]": 1.0, "cell:ops[nor_conv_1x1]": 0.0, "cell:ops[nor_conv_3x3]": 0.0,
                     "cell:ops[avg_pool_3x3]": 0.0,
                     "cell:live[skip_connect]": 1.0, "cell:live[nor_conv_1x1]": 0.0, "cell:live[nor_conv_3x3]": 0.0,
                     "cell:live[avg_pool_3x3]": 0.0, "cell:connected": 1.0, "cell:paths": 1.0, "cell:longest": 0.0,
                     "cell:shortest": 0.0}
    dead = nb.transform([{**ALL_SKIP, "op_0_3": "none", "op_1_3": "none", "op_2_3": "none"}])[0]
    dead_stats = dict(zip(nb.feature_names_[nb.n_params_features_:], dead[nb.n_params_features_:]))
    assert dead_stats.pop("cell:ops[skip_connect]") == 0.5  # 3 skip edges remain, and cost what they cost
    assert sum(dead_stats.values()) == 0  # but the output is cut off: nothing is live
    assert OneHotEncoder().fit(SPACES["nb201"]).transform([ALL_SKIP]).shape == (1, nb.n_params_features_)


def test_graph_encoding_of_nb201():
    enc = GraphEncoder().fit(SPACES["nb201"])
    arch = {**ALL_SKIP, "op_0_1": "none", "op_2_3": "nor_conv_3x3"}
    g = enc.transform([arch])
    assert g.adjacency.shape == (1, 4, 4) and g.edge_features.shape == (1, 4, 4, 6)
    assert g.adjacency[0].sum() == 5 and g.adjacency[0, 0, 1] == 0
    assert g.edge_features[0, 2, 3, enc.ops_.index("nor_conv_3x3")] == 1
    assert g.global_features.shape == (1, 0)


def test_graph_encoding_of_macro_space_is_a_chain_over_active_layers():
    space = SPACES["digits_cnn"]
    enc = GraphEncoder().fit(space)
    arch = space.sample(1, rng=np.random.default_rng(2))[0]
    g = enc.transform([arch])
    n_layers = sum(int(arch[s.depth_param]) for s in space.stages)
    assert g.adjacency[0].sum() == n_layers + 1  # input -> layers -> output
    assert g.global_features.shape == (1, 3)  # the three stage widths


def test_path_encoding_counts_nb201_paths():
    enc = PathEncoder().fit(SPACES["nb201"])
    assert enc.n_features_ == 4 + 16 + 64
    x = enc.transform([ALL_SKIP])[0]
    on = {enc.feature_names_[i] for i in np.flatnonzero(x)}
    assert on == {"skip_connect", "skip_connect->skip_connect", "skip_connect->skip_connect->skip_connect"}
    dead = {**ALL_SKIP, "op_0_3": "none", "op_1_3": "none", "op_2_3": "none"}
    assert enc.transform([dead]).sum() == 0


def test_sequence_tokens_and_vocabulary():
    space = SPACES["digits_cnn"]
    enc = SequenceEncoder().fit(space)
    arch = space.sample(1, rng=np.random.default_rng(0))[0]
    tokens = enc.transform([arch])
    assert tokens.shape == (1, len(space.params)) and tokens.dtype == np.int64
    decoded = enc.decode(tokens)[0]
    for p, tok in zip(space.params, decoded):
        assert tok == (f"{p.name}={arch[p.name]}" if p.name in arch else "<inactive>")
    assert enc.vocabulary_size_ == 2 + sum(p.n_choices for p in space.params)


@pytest.mark.parametrize("name", pn.list_spaces())
def test_tabular_fast_path_equals_its_definition(name):
    space = pn.load_space(name)
    enc = make_encoder("tabular").fit(space)
    archs = space.sample(300, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(enc.transform(archs), enc._transform_slow(archs))
    plain = [a.to_dict() for a in archs]  # not yet validated: go through make_arch
    np.testing.assert_array_equal(enc.transform(plain), enc._transform_slow(archs))
