"""Bad study files give one clear error and are never modified."""

import sqlite3
import subprocess
import sys

import pytest

import predictnas as pn
from predictnas.exceptions import IncompatibleStudyFileError, StudyLockedError, StudyNotFoundError

OBJ = {"acc": "maximize", "flops": "minimize"}


def _study(tmp_path, nb201, evaluator, n=12):
    path = tmp_path / "s.db"
    study = pn.create_study(proposer="random", space=nb201, objectives=OBJ, storage=path, seed=0)
    study.optimize(evaluator, n_trials=n, batch_size=3)
    study.close()
    return path


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "predictnas", *map(str, args)], capture_output=True, text=True)


def test_not_a_study_file(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("hello")
    with pytest.raises(IncompatibleStudyFileError, match="not a predictnas study file"):
        pn.load_study(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    before = other.read_bytes()
    with pytest.raises(IncompatibleStudyFileError, match="not a predictnas study file"):
        pn.load_study(other)
    assert other.read_bytes() == before
    with pytest.raises(StudyNotFoundError):
        pn.load_study(tmp_path / "missing.db")
    res = _cli("status", text)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "not a predictnas study file" in res.stderr


def test_newer_schema_is_refused(tmp_path, nb201, evaluator):
    path = _study(tmp_path, nb201, evaluator)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version=99")
    con.commit()
    con.close()
    with pytest.raises(IncompatibleStudyFileError, match="newer predictnas"):
        pn.load_study(path)


def test_truncated_file_is_refused_without_changes(tmp_path, nb201, evaluator):
    path = _study(tmp_path, nb201, evaluator, n=300)
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    before = path.read_bytes()
    with pytest.raises(IncompatibleStudyFileError, match="corrupt|truncated|not a predictnas"):
        pn.load_study(path)
    assert path.read_bytes() == before


def test_second_writer_is_refused_readers_are_not(tmp_path, nb201, evaluator):
    path = _study(tmp_path, nb201, evaluator)
    writer = pn.load_study(path)
    with pytest.raises(StudyLockedError, match="open for writing by another process"):
        pn.load_study(path)
    res = _cli("resume", path)
    assert res.returncode == 2 and "open for writing" in res.stderr
    reader = pn.load_study(path, readonly=True)
    assert len(reader.trials) == 12
    writer.close()
    pn.load_study(path).close()  # lock released


def test_cli_run_status_export_resume(tmp_path, nb201_table):
    definition = tmp_path / "nb.toml"
    definition.write_text(
        'schema_version = 1\nkind = "study"\nname = "nb"\nspace = "nb201"\nbudget = 30\nbatch_size = 5\n'
        '[objectives]\nacc = "maximize"\nflops = "minimize"\n'
        '[evaluator]\ntype = "table"\npath = "${PREDICTNAS_TEST_TABLE:-missing.csv}"\n'
        'metrics = { acc = "acc", flops = "flops" }\n[proposer]\nname = "nsga2"\noptions = { pop_size = 10 }\n'
    )
    res = _cli("run", definition, "--no-progress", "--storage", tmp_path / "unused.db")
    assert res.returncode == 2 and "missing.csv' does not exist" in res.stderr
    res = _cli("run", definition, "--table", nb201_table, "--no-progress", "--budget", "20")
    assert res.returncode == 0, res.stderr
    assert "Pareto front (" in res.stdout
    assert "report: " in res.stderr and (tmp_path / "nb.html").stat().st_size > 100_000  # a run ends with its report
    db = tmp_path / "nb.db"
    res = _cli("run", definition, "--table", nb201_table)
    assert res.returncode == 2 and "already exists" in res.stderr
    res = _cli("resume", db, "--budget", "30", "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "| trial | acc | flops |" in _cli("report", db, "--format", "md").stdout
    status = _cli("status", db)
    assert "30 / 30: 30 complete" in status.stdout
    export = _cli("export", db, "--format", "csv")
    header, *rows = export.stdout.strip().splitlines()
    assert header.startswith("number,state,op_0_1,op_0_2,op_1_2,op_0_3,op_1_3,op_2_3,acc,flops")
    assert len(rows) == 30
    assert _cli("export", db, "--format", "jsonl", "-o", tmp_path / "t.jsonl").returncode == 0
    assert len((tmp_path / "t.jsonl").read_text().splitlines()) == 30
    bad = tmp_path / "bad.toml"
    bad.write_text(definition.read_text().replace("budget = 30", "budjet = 30"))
    res = _cli("run", bad)
    assert res.returncode == 2 and "missing required key 'budget' (found 'budjet': a typo?)" in res.stderr and res.stderr.count("\n") == 1


def test_flipped_byte_is_detected_and_salvage_reads_the_intact_prefix(tmp_path, nb201, evaluator):
    from predictnas.exceptions import StudyFileDamagedError

    path = _study(tmp_path, nb201, evaluator, n=60)
    original = pn.load_study(path, readonly=True)
    data = bytearray(path.read_bytes())
    at = data.index(b'"values": {"acc": ', len(data) // 2) + 20
    data[at] ^= 0x01  # one digit of one stored value changes: a silent lie without checksums
    path.write_bytes(bytes(data))
    with pytest.raises(StudyFileDamagedError, match="fails its checksum"):
        pn.load_study(path, readonly=True)
    salvaged = pn.load_study(path, salvage=True)
    assert "fails its checksum" in salvaged.damage
    done = [t for t in salvaged.trials if t.state.value == "complete"]
    assert 0 < len(done) < 60
    assert all(t.values == original.trials[t.number].values for t in done)
    assert path.read_bytes() == bytes(data)  # salvage never writes


def test_schema_1_files_without_checksums_still_load_and_grow(tmp_path, nb201, evaluator):
    path = _study(tmp_path, nb201, evaluator, n=6)
    con = sqlite3.connect(path)  # rewrite it as a schema-1 file: no crc column
    con.executescript("CREATE TABLE old AS SELECT seq, op, payload, ts FROM events; DROP TABLE events; "
                      "CREATE TABLE events (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, payload TEXT NOT NULL, ts REAL NOT NULL); "
                      "INSERT INTO events SELECT * FROM old; DROP TABLE old; PRAGMA user_version=1;")
    con.close()
    study = pn.load_study(path)
    study.optimize(evaluator, n_trials=4)
    study.close()
    assert len(pn.load_study(path, readonly=True).trials) == 10


def test_output_into_a_closed_pipe_ends_quietly(tmp_path, nb201, evaluator):
    path = _study(tmp_path, nb201, evaluator, n=20)
    # the reader closes its end at once (like `| head` after its lines): the write fails with EPIPE
    res = subprocess.run(f"{sys.executable} -m predictnas export {path} | (exec 0<&-; sleep 0.5)", shell=True,
                         capture_output=True, text=True)
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr, res.stderr


def test_a_read_only_status_leaves_no_wal_or_shm_files_and_still_follows_a_writer(tmp_path):
    import predictnas as pn
    from predictnas.report import format_status

    path = tmp_path / "s.db"
    study = pn.create_study(space="nb201", objectives={"acc": "maximize"}, storage=path, seed=0, proposer="random")
    study.optimize(lambda arch: {"acc": 1.0}, 3)
    study.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pn.load_study(path, readonly=True) as reader:
        assert "3 / -: 3 complete" in format_status(reader)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no s.db-wal / s.db-shm left behind
    writer = pn.load_study(path)
    writer.optimize(lambda arch: {"acc": 2.0}, 2)  # still open: its -wal holds the new trials
    with pn.load_study(path, readonly=True) as reader:
        assert len(reader.trials) == 5
    writer.close()
