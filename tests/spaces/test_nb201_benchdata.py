"""Data-backed: our canonical keys give NAS-Bench-201's published isomorphism partition."""

import csv

import pytest

import predictnas as pn

pytestmark = pytest.mark.data


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_canonical_keys_match_the_published_isomorph_key(data_dir):
    path = data_dir / "nb201_test_acc_200ep.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    space = pn.load_space("nb201")
    rows = _rows(path)
    assert "isomorph_key" in rows[0], f"{path} has no isomorph_key column: {list(rows[0])}"
    ours, theirs = {}, {}
    for row in rows:
        if all(p in row for p in space.param_names):
            arch = space.make_arch({p: row[p] for p in space.param_names})
        else:
            text = next(v for k, v in row.items() if k.startswith("arch") and v.startswith("|"))
            arch = space.from_string(text)
        ours.setdefault(space.canonical_key(arch), set()).add(row["isomorph_key"])
        theirs.setdefault(row["isomorph_key"], set()).add(space.canonical_key(arch))
    assert len(rows) == 15625
    assert len(ours) == 6466 == len(theirs)
    assert all(len(v) == 1 for v in ours.values()) and all(len(v) == 1 for v in theirs.values())


def test_core_table_rows_match_the_space(data_dir):
    path = data_dir / "nb201_core.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    space = pn.load_space("nb201")
    rows = _rows(path)
    archs = {space.make_arch({p: row[p] for p in space.param_names}) for row in rows}
    assert len(archs) == len(rows) == 15625
