"""A study file is data: reading one never imports, calls or writes what it names, and resuming one
runs only code the user approved for it. Each case forges a file the way anyone can (edit the
definition event, recompute its CRC-32) and runs the commands a receiver would."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import zlib

import pytest

import predictnas as pn
from predictnas.exceptions import StudyError, UntrustedStudyError

OBJ = {"acc": "maximize", "flops": "minimize"}

EVIL = textwrap.dedent("""
    import pathlib
    pathlib.Path("IMPORTED").write_text("the module a study file named was imported")

    class Evil:
        pass

    def evaluate(arch):
        return {"acc": float(len(str(arch))), "flops": 1.0}

    def evaluate2(arch):
        return {"acc": 1.0, "flops": 1.0}
""")


def _cli(cwd, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "predictnas", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _forge(db, mutate):
    """Rewrites the study definition as anyone can: edit the JSON, recompute the CRC-32."""
    con = sqlite3.connect(db)
    seq, op, payload = con.execute("SELECT seq, op, payload FROM events WHERE seq = 1").fetchone()
    data = json.loads(payload)
    mutate(data["definition"])
    text = json.dumps(data)
    con.execute("UPDATE events SET payload = ?, crc = ? WHERE seq = 1", (text, zlib.crc32(f"{seq}\x00{op}\x00{text}".encode())))
    con.commit()
    con.close()


@pytest.fixture
def received(tmp_path, nb201_table):
    """A study of 4 trials someone else made, in a folder that also holds a module of theirs."""
    db = tmp_path / "received.db"
    config = {"type": "table", "path": str(nb201_table), "metrics": {"acc": "acc", "flops": "flops"}, "cheap": [],
              "arch_column": None}
    study = pn.create_study(space="nb201", objectives=OBJ, storage=db, proposer="random", budget=4, evaluator=config)
    study.optimize(pn.TableEvaluator(nb201_table, study.space, {"acc": "acc", "flops": "flops"}))
    study.close()
    (tmp_path / "evilmod.py").write_text(EVIL)
    return db


def _trials(db):
    with pn.load_study(db, readonly=True) as study:
        return [(t.number, t.state.value, t.values) for t in study.trials]


def test_reading_a_received_file_imports_nothing_it_names(received):
    folder = received.parent

    def forge(d):
        d["proposer"] = {"name": "evilmod:Evil", "options": {}}
        d["evaluator"] = {"type": "function", "entry_point": "evilmod:evaluate", "options": {}, "folder": str(folder)}

    _forge(received, forge)
    status = _cli(folder, "status", str(received))
    exported = _cli(folder, "export", str(received))
    report = _cli(folder, "report", str(received), "-o", str(folder / "r.html"))
    markdown = _cli(folder, "report", str(received), "--format", "md")
    repaired = _cli(folder, "repair", str(received), "-o", str(folder / "repaired.db"))
    for res in (status, exported, report, markdown, repaired):
        assert res.returncode == 0, res.stderr
    assert not (folder / "IMPORTED").exists()
    assert "NOT approved" in status.stdout and "'evilmod:Evil'" in status.stdout and "'evilmod:evaluate'" in status.stdout
    assert len(exported.stdout.strip().splitlines()) == 5
    with pn.load_study(received, readonly=True) as study:  # the Python reader does not build the proposer either
        with pytest.raises(StudyError, match="read-only"):
            study.proposer  # noqa: B018


@pytest.mark.parametrize("evaluator, named", [
    ({"type": "function", "entry_point": "os:abort", "options": {}, "folder": "/tmp"}, "'os:abort'"),
    ({"type": "supernet", "supernet": "os:abort", "checkpoint": None, "training": {}, "options": {}}, "'os:abort'"),
    ({"type": "supernet", "supernet": "digits_cnn", "checkpoint": "/tmp/predictnas-elsewhere/ck.pt", "training": {},
      "options": {}}, "writes '/tmp/predictnas-elsewhere/ck.pt'"),
    ({"type": "supernet", "supernet": "digits_cnn", "checkpoint": None, "training": {},
      "options": {"proxies": ["evilmod:evaluate"]}}, "'evilmod:evaluate'"),
])
def test_resuming_a_received_file_refuses_code_it_names(received, evaluator, named):
    before = _trials(received)
    _forge(received, lambda d: d.update(evaluator=evaluator))
    res = _cli(received.parent, "resume", str(received), "--budget", "8", "--no-progress")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "--trust" in lines[0] and "not approved" in lines[0]
    assert not (received.parent / "IMPORTED").exists() and not os.path.exists("/tmp/predictnas-elsewhere")
    assert _trials(received) == before
    with pytest.raises(UntrustedStudyError, match="trust=True"):
        pn.load_study(received)


def test_trust_runs_it_once_approved_and_an_edit_voids_the_approval(received):
    folder = received.parent
    _forge(received, lambda d: d.update(
        evaluator={"type": "function", "entry_point": "evilmod:evaluate", "options": {}, "folder": str(folder)}))
    assert _cli(folder, "resume", str(received), "--budget", "6", "--no-progress").returncode == 2
    trusted = _cli(folder, "resume", str(received), "--budget", "6", "--no-progress", "--trust")
    assert trusted.returncode == 0, trusted.stderr
    assert (folder / "IMPORTED").exists() and len(_trials(received)) == 6
    again = _cli(folder, "resume", str(received), "--budget", "7", "--no-progress")  # the approval is remembered
    assert again.returncode == 0, again.stderr
    assert "approved here" in _cli(folder, "status", str(received)).stdout
    _forge(received, lambda d: d["evaluator"].update(entry_point="evilmod:evaluate2"))
    edited = _cli(folder, "resume", str(received), "--budget", "8", "--no-progress")
    assert edited.returncode == 2 and "'evilmod:evaluate2'" in edited.stderr and len(_trials(received)) == 7


def test_the_users_own_definition_resumes_without_asking(tmp_path):
    (tmp_path / "mymetrics.py").write_text("def evaluate(arch):\n    return {'acc': float(len(str(arch)) % 7), 'flops': 1.0}\n")
    (tmp_path / "own.toml").write_text(textwrap.dedent("""
        schema_version = 1
        kind = "study"
        name = "own"
        space = "nb201"
        budget = 3
        [objectives]
        acc = "maximize"
        flops = "minimize"
        [evaluator]
        type = "function"
        entry_point = "mymetrics:evaluate"
        [proposer]
        name = "random"
    """))
    assert _cli(tmp_path, "run", "own.toml", "--no-progress").returncode == 0
    res = _cli(tmp_path, "resume", "own.db", "--budget", "5", "--no-progress")
    assert res.returncode == 0, res.stderr
    assert len(_trials(tmp_path / "own.db")) == 5
    assert "approved here" in _cli(tmp_path, "status", "own.db").stdout


@pytest.mark.parametrize("condition", ["9 ** 9 ** 9 > 1", "'x' * (a * 10 ** 10) == 'y'", "a ** a ** a ** a > 1"])
def test_a_condition_in_a_received_file_cannot_hang_or_exhaust_memory(received, condition):
    spec = {"schema_version": 1, "kind": "space", "name": "bomb",
            "params": {"a": {"type": "categorical", "choices": [9, 10]},
                       "b": {"type": "categorical", "choices": [1, 2], "active_if": condition}}}

    def forge(d):
        d["space"] = spec
        d["evaluator"] = {"type": "function", "entry_point": "evilmod:evaluate", "options": {}, "folder": str(received.parent)}

    con = sqlite3.connect(received)  # trials of the forged space, so that reading evaluates the condition
    for seq, op, payload in con.execute("SELECT seq, op, payload FROM events WHERE seq > 1").fetchall():
        data = json.loads(payload)
        for entry in data.get("trials", []):
            entry["params"] = {"a": 9, "b": 1}
        text = json.dumps(data)
        con.execute("UPDATE events SET payload = ?, crc = ? WHERE seq = ?", (text, zlib.crc32(f"{seq}\x00{op}\x00{text}".encode()), seq))
    con.commit()
    con.close()
    _forge(received, forge)
    outcomes = {}
    for command in (["status"], ["export"], ["report", "--format", "md"], ["resume", "--no-progress", "--trust"]):
        started = time.perf_counter()
        res = _cli(received.parent, command[0], str(received), *command[1:], timeout=60)
        assert time.perf_counter() - started < 30 and "Traceback" not in res.stderr, res.stderr
        outcomes[command[0]] = res.returncode
        if res.returncode != 0:
            assert res.returncode == 2 and "too large for a condition" in res.stderr, res.stderr
            assert len(res.stderr.strip().splitlines()) == 1
    assert outcomes["resume"] == 2  # it evaluates the condition for every candidate
