"""Ordinary faults that used to lose data or hang: an exhausted space, a disk that fills up, a
study file deleted or replaced mid-run, a second writer through another name, bad options found
only after the file existed, and values nested too deeply to store."""

import logging
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, StudyLockedError, StudyWriteError

OBJ = {"acc": "maximize", "flops": "minimize"}
TINY = {"schema_version": 1, "kind": "space", "name": "tiny",
        "params": {"a": {"type": "categorical", "choices": [1, 2, 3, 4]}, "b": {"type": "categorical", "choices": [1, 2, 3]},
                   "c": {"type": "categorical", "choices": [1, 2]}}}


def _tiny_metrics(arch):
    return {"acc": float(arch["a"] * 3 + arch["b"] - arch["c"]), "flops": float(arch["a"] + 2 * arch["b"] + arch["c"])}


@pytest.mark.parametrize("proposer", ["random", "bo", "nsga2"])
def test_a_budget_beyond_the_space_stops_when_it_is_exhausted(tmp_path, proposer, caplog):
    db = tmp_path / "tiny.db"
    study = pn.create_study(space=pn.space_from_spec(TINY), objectives=OBJ, storage=db, proposer=proposer, budget=40,
                            batch_size=4)
    with caplog.at_level(logging.WARNING, logger="predictnas.study"):
        study.optimize(pn.FunctionEvaluator(_tiny_metrics))
    assert len({t.key for t in study.trials}) == 24 and len(study.trials) <= 24 + 4
    assert any("is exhausted" in r.message and "short of its target 40" in r.message for r in caplog.records)
    con = sqlite3.connect(db)
    empty = [p for (p,) in con.execute("SELECT payload FROM events WHERE op = 'ask'") if '"trials": []' in p]
    con.close()
    assert empty == []  # no empty asks are written
    study.close()


def test_a_study_file_deleted_mid_run_stops_the_run_and_keeps_its_trials(tmp_path, nb201_table, nb201):
    db = tmp_path / "s.db"
    study = pn.create_study(space="nb201", objectives=OBJ, storage=db, proposer="random", budget=12)
    table = pn.TableEvaluator(nb201_table, nb201, {"acc": "acc", "flops": "flops"})
    calls = []

    def evaluate(arch):
        calls.append(1)
        if len(calls) == 5:
            os.unlink(db)
        return table.evaluate(arch)

    with pytest.raises(StudyWriteError, match="deleted or replaced") as err:
        study.optimize(pn.FunctionEvaluator(evaluate))
    study.close()
    recovered = tmp_path / "s.recovered.db"
    assert str(recovered) in str(err.value)
    with pn.load_study(recovered, readonly=True) as saved:
        assert [t.state.value for t in saved.trials] == ["complete"] * 4 + ["running"]


def test_a_study_file_replaced_by_an_older_copy_is_noticed(tmp_path, nb201_table, nb201):
    db = tmp_path / "s.db"
    study = pn.create_study(space="nb201", objectives=OBJ, storage=db, proposer="random", budget=8)
    table = pn.TableEvaluator(nb201_table, nb201, {"acc": "acc", "flops": "flops"})
    study.optimize(table, 2)
    older = tmp_path / "older.db"
    sqlite3.connect(db).execute(f"VACUUM INTO '{older}'").connection.close()
    os.replace(older, db)
    with pytest.raises(StudyWriteError, match="deleted or replaced"):
        study.optimize(table, 2)
    with pytest.raises(StudyWriteError):
        study.check_saved()
    study.close()


@pytest.mark.parametrize("route", ["symlink", "hardlink", "lock removed"])
def test_the_writer_lock_holds_through_links_and_without_its_lock_file(tmp_path, route):
    db = tmp_path / "s.db"
    first = pn.create_study(space="nb201", objectives=OBJ, storage=db, proposer="random")
    other = db
    if route == "symlink":
        other = tmp_path / "link.db"
        other.symlink_to(db)
    elif route == "hardlink":
        other = tmp_path / "hard.db"
        os.link(db, other)
    else:
        os.unlink(tmp_path / "s.db.lock")
    with pytest.raises(StudyLockedError, match="open for writing by another process"):
        pn.load_study(other)
    first.close()
    pn.load_study(other).close()  # free again once the writer is gone


def test_a_disk_that_fills_up_is_a_write_error_and_the_study_resumes_once_space_is_back(tmp_path, nb201_table):
    definition = tmp_path / "d.toml"
    definition.write_text(textwrap.dedent(f"""
        schema_version = 1
        kind = "study"
        name = "full"
        space = "nb201"
        budget = 200
        [objectives]
        acc = "maximize"
        flops = "minimize"
        [evaluator]
        type = "table"
        path = "{nb201_table}"
        metrics = {{ acc = "acc", flops = "flops" }}
        [proposer]
        name = "random"
    """))
    cli = [sys.executable, "-m", "predictnas"]
    assert subprocess.run([*cli, "run", str(definition), "--budget", "10", "--no-progress"], capture_output=True).returncode == 0
    db = tmp_path / "full.db"
    limit = db.stat().st_size + 8000

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run([*cli, "resume", str(db), "--no-progress"], capture_output=True, text=True, preexec_fn=small_disk)
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert "corrupt" not in full.stderr and "could not be written" in full.stderr, full.stderr
    again = subprocess.run([*cli, "resume", str(db), "--no-progress", "--budget", "30"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    with pn.load_study(db, readonly=True) as study:
        assert len(study.trials) == 30


@pytest.mark.parametrize("option, words", [
    ("--seed=-1", "seed must be a non-negative integer"),
    ("--workers=0", "workers must be a positive integer"),
    ("--timeout=0", "timeout must be a positive number"),
    ("--retries=-2", "retries must be a non-negative integer"),
    ("--budget=0", "budget must be a positive integer"),
])
def test_bad_run_options_are_refused_before_the_study_file_exists(tmp_path, option, words):
    definition = tmp_path / "d.toml"
    definition.write_text('schema_version = 1\nkind = "study"\nname = "opt"\nspace = "nb201"\nbudget = 5\n'
                          '[objectives]\nacc = "maximize"\n[evaluator]\ntype = "function"\nentry_point = "m:f"\n')
    (tmp_path / "m.py").write_text("def f(arch):\n    return {'acc': 1.0}\n")
    res = subprocess.run([sys.executable, "-m", "predictnas", "run", str(definition), option, "--no-progress"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".pyc" and p.name != "__pycache__") == ["d.toml", "m.py"]


def test_deeply_nested_definitions_and_values_get_one_line(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text('schema_version = 1\nkind = "study"\nname = "deep"\nx = ' + "[" * 3000 + "]" * 3000 + "\n")
    res = subprocess.run([sys.executable, "-m", "predictnas", "run", str(deep)], capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "nested too deeply" in res.stderr, res.stderr
    spec = tmp_path / "deep_space.toml"
    spec.write_text('schema_version = 1\nkind = "space"\nname = "deep"\nx = ' + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(InvalidSpecError, match="nested too deeply"):
        pn.load_space(spec)

    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    study = pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "n.db", proposer="random")
    trial = study.ask(1)[0]
    study.tell(trial, {"acc": 1.0, "flops": 1.0}, user_attrs={"deep": nested, "ok": 3})
    told = study.trials[0]
    assert told.state.value == "complete" and told.user_attrs["ok"] == 3 and "too deeply" in told.user_attrs["deep"]
    study.close()


def test_workers_end_when_the_study_process_is_killed(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        import predictnas as pn

        class Slow(pn.Evaluator):
            def evaluate(self, arch):
                with open({str(tmp_path / "pids")!r}, "a") as f:
                    f.write(f"{{os.getpid()}}\\n")
                time.sleep(60)
                return {{"acc": 1.0, "flops": 1.0}}

        if __name__ == "__main__":
            study = pn.create_study(space="nb201", objectives={{"acc": "maximize", "flops": "minimize"}}, proposer="random")
            study.optimize(Slow(), 4, n_workers=2)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    pids_file = tmp_path / "pids"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not pids_file.exists() or len(pids_file.read_text().split()) < 2):
        time.sleep(0.2)
    workers = [int(p) for p in pids_file.read_text().split()]
    assert len(workers) == 2
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_end_of_run_report_keeps_a_file_that_is_not_a_report(tmp_path, nb201_table, nb201):
    from predictnas.report import report_beside

    study = pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", proposer="random")
    study.optimize(pn.TableEvaluator(nb201_table, nb201, {"acc": "acc", "flops": "flops"}), 3)
    mine = tmp_path / "s.html"
    mine.write_text("my own notes")
    first = report_beside(study)
    assert first == tmp_path / "s-report.html" and mine.read_text() == "my own notes"
    assert report_beside(study) == first  # its own earlier report is replaced
    study.close()


@pytest.mark.parametrize("name", ["../outside", "a/b", "x\u202eexe.txt", "bell\x07", ".."])
def test_names_that_would_escape_the_folder_or_hide_text_are_refused(tmp_path, name):
    with pytest.raises(InvalidSpecError, match="study name"):
        pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", name=name)
    with pytest.raises(InvalidSpecError, match="objective name"):
        pn.create_study(space="nb201", objectives={name: "maximize"}, storage=tmp_path / "s.db")
    assert list(tmp_path.iterdir()) == []


def test_status_and_markdown_show_names_from_a_file_as_text(tmp_path):
    import json as _json
    import zlib

    study = pn.create_study(space="nb201", objectives=OBJ, storage=tmp_path / "s.db", proposer="random")
    trial = study.ask(1)[0]
    study.tell(trial, {"acc": 1.0, "flops": 1.0})
    study.close()
    con = sqlite3.connect(tmp_path / "s.db")  # a forged name, as a received file may carry
    seq, op, payload = con.execute("SELECT seq, op, payload FROM events WHERE seq = 1").fetchone()
    data = _json.loads(payload)
    data["definition"]["name"] = "<script>alert(1)</script>\u202e"
    text = _json.dumps(data)
    con.execute("UPDATE events SET payload = ?, crc = ? WHERE seq = 1", (text, zlib.crc32(f"{seq}\x00{op}\x00{text}".encode())))
    con.commit()
    con.close()
    cli = [sys.executable, "-m", "predictnas"]
    status = subprocess.run([*cli, "status", str(tmp_path / "s.db")], capture_output=True, text=True)
    markdown = subprocess.run([*cli, "report", str(tmp_path / "s.db"), "--format", "md"], capture_output=True, text=True)
    assert status.returncode == 0 and markdown.returncode == 0
    assert "\u202e" not in status.stdout and "\\u202e" in status.stdout
    assert "<script>" not in markdown.stdout and "&lt;script&gt;" in markdown.stdout and "\u202e" not in markdown.stdout
