"""Spec-language features that shape canonical keys: stage parameters of an elastic macro space."""

import pytest

from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import load_space, space_from_spec


def test_a_stage_parameter_does_not_exist_when_its_stage_is_skipped():
    """mnist1d_cnn's widths are stage parameters: a skipped stage's width changes no canonical key,
    so the front never shows the same subnet twice."""
    space = load_space("mnist1d_cnn")
    base = {"s1_depth": 1, "s1_width": 16, "s1_l0_kernel": 3, "s2_depth": 0, "s3_depth": 0}
    a = space.make_arch({**base, "s2_width": 32, "s3_width": 24})
    b = space.make_arch({**base, "s2_width": 16, "s3_width": 48})
    assert a == b and space.canonical_key(a) == space.canonical_key(b) and "s2_width" not in a
    kept = space.make_arch({**base, "s2_depth": 1, "s2_l0_kernel": 3, "s2_width": 32})
    assert kept["s2_width"] == 32 and "s3_width" not in kept
    assert space.cardinality() == 16_130_268  # was 16,386,300 with the widths of skipped stages counted
    always = load_space("digits_cnn")  # a stage that cannot be skipped keeps its width always
    assert all("s1_width" in arch for arch in always.sample(20, rng=0))
    with pytest.raises(InvalidSpecError, match="is an empty list"):
        space_from_spec({**space.spec, "macro": {"stages": [{"name": "s1", "depth": [0, 1], "params": {"width": []}}],
                                                 "layer": {"kernel": [3]}}})
