"""The study file as a checked protocol: event replay, defects that once made files unloadable,
salvage and repair of damaged files, and a frozen file of the current schema."""

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, InvalidValuesError, StudyError, StudyFileDamagedError
from predictnas.study import EventKind, StudyState, replay

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "study_schema2.db"
OBJ = {"acc": "maximize", "flops": "minimize"}


def _study(path, n=6, **kwargs):
    study = pn.create_study(space="nb201", objectives=OBJ, storage=path, seed=1, proposer="random", budget=40, **kwargs)
    for i, trial in enumerate(study.ask(n)):
        study.tell(trial, {"acc": 80.0 + i, "flops": 5.0 + i})
    return study


def _events(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "predictnas", *map(str, args)], capture_output=True, text=True, timeout=120)


# -- replay ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, message", [
    ((EventKind.ATTR.value, {"number": 99, "key": "k", "value": 1}), "event 9 (attr) names trial 99, which does not exist"),
    ((EventKind.TELL.value, {"number": 0, "state": "complete", "values": {"acc": 1.0, "flops": 1.0}}),
     "event 9 (tell) tells trial 0, which is already complete"),
    (("rename", {"name": "x"}), "event 9 (rename) is of an unknown kind"),
    ((EventKind.ASK.value, {"step": 9, "trials": [{"number": 2, "params": {}, "key": "k"}]}),
     "event 9 (ask) creates trial 2; the next trial number is 6"),
    ((EventKind.BUDGET.value, {"budget": -3}), "event 9 (budget) holds budget -3, not a positive integer"),
])
def test_replay_refuses_an_event_the_protocol_does_not_allow_and_names_it(tmp_path, bad, message):
    study = _study(tmp_path / "s.db")
    study._file.append([bad])  # bypasses the study's check, as an old or foreign writer could
    study.close()
    with pytest.raises(StudyFileDamagedError, match=re.escape(message)):
        pn.load_study(tmp_path / "s.db", readonly=True)
    res = _cli("status", tmp_path / "s.db")
    assert res.returncode == 2 and "Traceback" not in res.stderr and message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_every_write_is_checked_before_it_reaches_the_file(tmp_path):
    study = _study(tmp_path / "s.db")
    before = _events(tmp_path / "s.db")
    with pytest.raises(StudyError, match="refused to write an invalid event.*names trial 7"):
        study._write([(EventKind.TELL.value, {"number": 7, "state": "failed", "error": "x"})])
    assert _events(tmp_path / "s.db") == before


def test_replay_is_a_pure_function_of_the_events():
    events = [(1, "create", {"definition": {"name": "x", "seed": 0, "space": {}, "objectives": []}}, 10.0),
              (2, "ask", {"step": 0, "trials": [{"number": 0, "params": {"a": 1}, "key": "k0"}]}, 11.0),
              (3, "tell", {"number": 0, "state": "complete", "values": {"acc": np.float32(0.5)}}, 12.0),
              (4, "ask", {"step": 1, "trials": [{"number": 1, "params": {"a": 2}, "key": "k1"}]}, 900.0)]
    state = replay(events)
    assert isinstance(state, StudyState) and state.step == 2 and state.next_number == 2
    assert state.trials[0].state.value == "complete" and state.trials[1].state.value == "running"
    assert state.busy_s == 2.0  # the 888 s gap before the last event is a pause, not work
    assert replay(events).trials == state.trials


def _index_by_scan(state):
    """What :class:`TrialIndex` keeps, recomputed by a full scan of the trials."""
    trials = [state.trials[n] for n in sorted(state.trials)]
    by_state = {s: [t.number for t in trials if t.state is s and not (t.cache_of is not None and s.value == "complete")]
                for s in {t.state for t in trials} | set(state.index.by_state)}
    done = {}
    for t in trials:
        if t.state.value == "complete" and t.cache_of is None:
            done[t.key] = t.number
    return (set(t.key for t in trials), by_state, [t.number for t in trials if t.cache_of is not None], done,
            sum("retry_of" in t.user_attrs for t in trials))


def _index(state):
    i = state.index
    return i.keys, {s: g.numbers for s, g in i.by_state.items()}, i.cached.numbers, i.done_by_key, i.n_retries


def test_the_trial_index_agrees_with_a_full_scan_live_after_resume_and_after_salvage(tmp_path):
    """Appending stays flat because ask/tell read an index instead of scanning all trials; the
    index must agree with a scan after asks, tells (complete and failed), cache hits, retries,
    attributes, a resume and a salvaging replay."""
    path = tmp_path / "s.db"
    study = _study(path, n=12)
    calls = {"n": 0}

    def flaky(arch):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise RuntimeError("flaky")
        return {"acc": float(calls["n"]), "flops": 1.0}

    study.optimize(pn.evaluators.FunctionEvaluator(flaky), n_trials=10, retries=1, show_progress=False)
    again = study.ask(archs=[t.arch for t in study.trials[:3]])  # cache hits of trials 0-2
    study.set_user_attr(again[0].number, "note", 1)
    running = study.ask(2)
    study.tell(running[1], {"acc": 1.0, "flops": 2.0})
    state = study._state
    assert state.index.cached.numbers and state.index.n_retries and state.index.by_state[running[0].state].numbers
    assert _index(state) == _index_by_scan(state)
    assert [t.number for t in study.trials] == sorted(state.trials) and study._complete() == sorted(
        (t for t in study.trials if t.state.value == "complete"), key=lambda t: t.number)
    study.close()
    resumed = pn.load_study(path, readonly=True)
    assert _index(resumed._state) == _index(state) and resumed.trials == study.trials
    _flip_digit_of_told_value(path, 5)
    salvaged = pn.load_study(path, salvage=True)
    assert _index(salvaged._state) == _index_by_scan(salvaged._state) != _index(state)


# -- defects that once broke files or left debris (each failed before its fix) --------------------
@pytest.mark.parametrize("number", [99, -1, True, "0"])
def test_set_user_attr_on_a_trial_that_does_not_exist_is_refused_and_stores_nothing(tmp_path, number):
    study = _study(tmp_path / "s.db")
    before = _events(tmp_path / "s.db")
    with pytest.raises(InvalidValuesError, match="does not exist"):
        study.set_user_attr(number, "note", 1)
    assert _events(tmp_path / "s.db") == before
    study.close()
    assert len(pn.load_study(tmp_path / "s.db", readonly=True).trials) == 6


def test_a_failed_create_leaves_nothing_behind(tmp_path):
    from predictnas.spaces import Param, SearchSpace

    hand_made = SearchSpace(name="hand", params=[Param("a", "categorical", (1, 2))])  # built in Python: no spec to store
    with pytest.raises(InvalidSpecError, match="has no spec"):
        pn.create_study(space=hand_made, objectives=OBJ, storage=tmp_path / "s.db")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidSpecError, match="no option"):
        pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", proposer_options={"pop_size": 3})
    assert list(tmp_path.iterdir()) == []
    pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db").close()  # the retry works


@pytest.mark.parametrize("make", ["foreign", "truncated", "future"])
def test_a_refused_file_leaves_its_folder_as_it_was(tmp_path, make):
    path = tmp_path / "s.db"
    if make == "foreign":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
    else:
        _study(path).close()
        for extra in tmp_path.glob("s.db?*"):
            extra.unlink()
        if make == "truncated":
            with open(path, "r+b") as f:
                f.truncate(path.stat().st_size // 2)
        else:
            con = sqlite3.connect(path)
            con.execute("PRAGMA user_version=99")
            con.commit()
            con.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    for readonly in (False, True):
        with pytest.raises(StudyError):
            pn.load_study(path, readonly=readonly)
        assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- damaged files: salvage and repair ------------------------------------------------------------
def _flip_digit_of_told_value(path, which):
    data = bytearray(path.read_bytes())
    marker = b'"values": {"acc": '
    hits = [i for i in range(len(data)) if data.startswith(marker, i)]
    at = hits[which] + len(marker) + 1
    data[at] = ord("7") if data[at] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


def test_one_flipped_digit_loses_only_the_trial_it_touches(tmp_path):
    path = tmp_path / "s.db"
    _study(path, n=40).close()
    original = pn.load_study(path, readonly=True).trials
    _flip_digit_of_told_value(path, 5)
    with pytest.raises(StudyFileDamagedError):
        pn.load_study(path, readonly=True)
    salvaged = pn.load_study(path, salvage=True)
    assert len(salvaged.trials) == 40
    changed = [t.number for t, o in zip(salvaged.trials, original) if t != o]
    assert len(changed) == 1 and salvaged.trials[changed[0]].state.value == "running"
    assert any("fails its checksum" in line for line in salvaged.lost)
    res = _cli("export", path)
    assert res.returncode == 0
    assert sum(line.split(",")[1] == "complete" for line in res.stdout.splitlines()[1:]) == 39
    assert "exporting the 40 intact trials" in res.stderr and "lost: " in res.stderr and "checksum" in res.stderr


def test_repair_writes_a_study_that_resume_continues(tmp_path):
    path = tmp_path / "s.db"
    _study(path, n=30).close()
    _flip_digit_of_told_value(path, 3)
    before = path.read_bytes()
    res = _cli("repair", path, "-o", tmp_path / "fixed.db")
    assert res.returncode == 0, res.stderr
    assert "left out: " in res.stderr and "30 trials (29 finished)" in res.stderr
    assert path.read_bytes() == before  # the damaged file is never changed
    fixed = pn.load_study(tmp_path / "fixed.db")
    assert len(fixed.trials) == 30 and sum(t.state.value == "running" for t in fixed.trials) == 1
    fixed.optimize(pn.FunctionEvaluator(lambda a: {"acc": 1.0, "flops": 2.0}), n_trials=5)
    assert len(fixed.trials) == 35 and all(t.state.value == "complete" for t in fixed.trials)
    assert _cli("repair", path, "-o", tmp_path / "fixed.db").returncode == 2  # never overwrites


# -- a frozen file of the current schema ----------------------------------------------------------
def test_the_frozen_schema2_study_file_still_loads_and_resumes(tmp_path):
    study = pn.load_study(FIXTURE, readonly=True)
    assert [t.state.value for t in study.trials] == ["complete"] * 4 + ["failed", "complete", "complete", "running"]
    assert study.trials[0].values == {"acc": 90.0, "flops": 10.0} and study.trials[3].cheap == {"params": 3.5}
    assert study.trials[6].cache_of == 0 and study.trials[1].user_attrs == {"note": "kept"}
    assert study.budget == 10 and study.constraints[0].bound == 30 and study.trials[4].error == "RuntimeError: out of memory"
    copy = tmp_path / "copy.db"
    shutil.copyfile(FIXTURE, copy)
    resumed = pn.load_study(copy)
    resumed.optimize(pn.FunctionEvaluator(lambda a: {"acc": 50.0, "flops": 20.0}))
    assert len(resumed.trials) == 10 and resumed.trials[7].state.value == "complete"
