"""Malformed specs raise one InvalidSpecError naming the file, the key path and the fix."""

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError

BASE = {"schema_version": 1, "kind": "space", "name": "t"}

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def spec(**extra):
    return {**BASE, **extra}


def write(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "bad, key, words",
    [
        (spec(params={"a": {"type": "categorical", "choices": [1, 2]}}, colour="red"), None, "unknown key(s) ['colour']"),
        (spec(params={"a": {"type": "categorical", "choices": []}}), "params.a.choices", "empty list"),
        (spec(params={"a": {"type": "categorical", "choices": "abc"}}), "params.a.choices", "must be a list"),
        (spec(params={"a": {"type": "float", "choices": [1]}}), "params.a.type", "unknown type 'float'"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "b > 1"}}), "params.a.active_if", "unknown parameter 'b'"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "__import__('os')"}}), "params.a.active_if", "unknown function"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "9 ** 9 ** 9 > 1"}}), "params.a.active_if", "too large for a condition"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "len('x' * 10 ** 10) > 1"}}), "params.a.active_if", "unknown function"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "'x' * 10 ** 10 == 'y'"}}), "params.a.active_if", "too large"),
        (spec(params={"a": {"choices": [1, 2], "active_if": "1 " + "+ 1 " * 600 + "> 2"}}), "params.a.active_if", "at most 1000"),
        (spec(params={"a": {"type": "integer", "low": 5, "high": 1}}), "params.a", "low <= high"),
        (spec(cell={"nodes": 3, "ops": ["a", "b"], "edges": [[0, 1], [2, 1], [1, 2]]}), "cell.edges[1]", "cycle"),
        (spec(cell={"nodes": 3, "ops": ["a"], "edges": [[0, 1]]}), "cell.edges", "no edge path"),
        (spec(cell={"nodes": 60, "ops": ["a", "b"], "edges": "all"}), "cell.nodes", "at most 16 nodes"),
        (spec(params={"a": {"type": "integer", "low": 0, "high": 10 ** 6}}), "params.a", "at most 1,000"),
        (spec(params={"a": {"choices": list(range(5000))}}), "params.a.choices", "at most 1,000"),
        (spec(cell={"nodes": 3, "ops": ["a"], "edges": "all", "zero_ops": ["z"]}), "cell.zero_ops", "not in ops"),
        (spec(macro={"stages": 2, "depth": [1, 2]}), "macro.layer", "per-layer choices"),
        (spec(macro={"stages": 2, "depth": [1, 2], "layer": {"k": [3, 5]}, "widht": 3}), "macro", "unknown key(s) ['widht']"),
        (spec(params={"a": {"choices": [1, 2]}}, constraints=[{"expr": "a > 5"}]), "constraints", "no architecture satisfies"),
        (spec(params={"a": {"choices": [1, 2]}}, constraints=[{"params": ["a"], "allowed": [[3]]}]), "constraints[0].allowed[0]", "not a choice"),
        ({**BASE, "schema_version": 9, "params": {"a": {"choices": [1]}}}, "schema_version", "not supported"),
        ({"kind": "space", "name": "t"}, None, "missing required key 'schema_version'"),
        (spec(), None, "defines no parameters"),
    ],
)
def test_bad_spec_gives_one_clear_error(bad, key, words):
    with pytest.raises(InvalidSpecError) as info:
        pn.space_from_spec(bad, source="bad.toml")
    message = str(info.value)
    assert message.startswith("bad.toml")
    assert words in message
    if key is not None:
        assert info.value.key == key


def test_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "schema_version = 1\nkind = \n")
    with pytest.raises(InvalidSpecError, match="bad.toml: is not valid TOML"):
        pn.load_space(path)


def test_typo_in_a_shipped_spec_is_reported_with_its_key(tmp_path):
    
    text = (REPO / "encodings" / "ofa_mbv3.toml").read_text().replace("expand = [3, 4, 6]", "expnad = []")
    with pytest.raises(InvalidSpecError) as info:
        pn.load_space(write(tmp_path, text))
    assert info.value.key == "macro.layer.expnad" and "empty list" in str(info.value)


def test_unknown_space_name_lists_the_builtin_ones():
    with pytest.raises(InvalidSpecError, match="built-in spaces: .*nb201"):
        pn.load_space("nb202")
    with pytest.raises(InvalidSpecError, match="does not exist"):
        pn.load_space("missing/dir/space.toml")
