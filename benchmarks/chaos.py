"""Reliability suite: kills, corrupted files, fuzzed input, faulty evaluators, two writers, forged files, faults.

    python benchmarks/chaos.py [--data-dir ../shared/benchdata] [--kills 24] [--fuzz 300] [--out results.json]

Every case runs the real command line or API on a real study file. The table is NAS-Bench-201
(``DIR/nb201_core.csv``: ``cifar10_test_acc`` vs ``cifar10_flops_m``) when it is there, else a
synthetic 15,625-row table of the same shape (the JSON says which). Prints one table and writes
JSON with ``kills``, ``completed_lost``, ``duplicate_evaluations``, ``final_equals_uninterrupted``,
``corruption_cases``, ``corruption_clear_errors``, ``fuzz_cases``, ``fuzz_internal_tracebacks``,
... The fast cases also run as tests (``tests/reliability``), which import this file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

import predictnas as pn
from predictnas.exceptions import PredictNASError

NB201_METRICS = {"acc": "cifar10_test_acc", "flops": "cifar10_flops_m"}

# -- the table and the study under test ---------------------------------------------------------

EVALUATOR_MODULE = textwrap.dedent('''
    """Table evaluator that logs every evaluation it starts (to count duplicates caused by kills)."""
    import json, os, time
    import predictnas as pn

    _TABLE = None

    def evaluate(arch):
        global _TABLE
        if _TABLE is None:
            _TABLE = pn.TableEvaluator(os.environ["CHAOS_TABLE"], pn.load_space("nb201"), json.loads(os.environ["CHAOS_METRICS"]))
        with open(os.environ["CHAOS_LOG"], "a") as log:
            log.write(json.dumps(arch.to_dict(), sort_keys=True) + "\\n")
        time.sleep(float(os.environ.get("CHAOS_DELAY", "0")))  # stands in for training
        return _TABLE.evaluate(arch)
''')

DEFINITION = textwrap.dedent('''
    schema_version = 1
    kind = "study"
    name = "chaos"
    seed = {seed}
    space = "nb201"
    storage = "{storage}"
    budget = {budget}
    batch_size = 4
    [objectives]
    acc = "maximize"
    flops = "minimize"
    [evaluator]
    type = "function"
    entry_point = "chaos_eval:evaluate"
    [proposer]
    name = "nsga2"
    options = {{ pop_size = 16 }}
''')


def synthetic_table(path: Path) -> Path:
    """A deterministic NB201-shaped table: more convolutions -> more accurate and more FLOPs."""
    space = pn.load_space("nb201")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*space.param_names, "acc", "flops"])
        for arch in space.enumerate():
            conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
            noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
            writer.writerow([arch[p] for p in space.param_names] + [f"{60 + 2 * conv + 3 * noise:.4f}", f"{5 + 1.5 * conv + noise:.4f}"])
    return path


def find_table(data_dir: Path | None, work: Path) -> tuple[Path, dict[str, str], str]:
    """``(csv, metrics, label)``: NB201 from ``data_dir`` when present, else a synthetic table."""
    if data_dir is not None and (data_dir / "nb201_core.csv").is_file():
        return data_dir / "nb201_core.csv", NB201_METRICS, "nb201_core.csv (CIFAR-10)"
    return synthetic_table(work / "nb201_synthetic.csv"), {"acc": "acc", "flops": "flops"}, "synthetic NB201-shaped"


class Workbench:
    """A folder with the evaluator module, the table and study definitions; runs the CLI there."""

    def __init__(self, root: Path, table: Path, metrics: dict[str, str], *, delay: float = 0.0) -> None:
        self.root, self.table, self.metrics = root, table, metrics
        root.mkdir(parents=True, exist_ok=True)
        (root / "chaos_eval.py").write_text(EVALUATOR_MODULE)
        self.env = {**os.environ, "PYTHONPATH": str(root), "CHAOS_TABLE": str(table), "CHAOS_METRICS": json.dumps(metrics),
                    "CHAOS_DELAY": str(delay)}

    def definition(self, name: str, *, seed: int, budget: int) -> Path:
        path = self.root / f"{name}.toml"
        path.write_text(DEFINITION.format(seed=seed, storage=f"{name}.db", budget=budget))
        return path

    def popen(self, *args: str, log: str) -> subprocess.Popen[str]:
        env = {**self.env, "CHAOS_LOG": str(self.root / log)}
        return subprocess.Popen([sys.executable, "-m", "predictnas", *args], env=env, cwd=self.root, text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def cli(self, *args: str, log: str = "cli.log", honour_permissions: bool = False, limits: Callable[[], None] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "CHAOS_LOG": str(self.root / log)}
        pre = limits or _honour_permissions(honour_permissions)
        return subprocess.run([sys.executable, "-m", "predictnas", *args], env=env, cwd=self.root, text=True,
                              capture_output=True, preexec_fn=pre, timeout=timeout)


def _honour_permissions(enabled: bool) -> Callable[[], None] | None:
    """For root: run the command without the capabilities that bypass file permissions."""
    if not enabled or os.getuid() != 0:
        return None

    def drop() -> None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: gone after exec
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP failed")

    return drop


def trial_signature(path: Path) -> list[tuple[Any, ...]]:
    """What must survive: every trial's number, architecture, state and values."""
    with pn.load_study(path, readonly=True) as study:
        return [(t.number, t.key, t.state.value, tuple(sorted(t.values.items()))) for t in study.trials]


def clear_error(res: subprocess.CompletedProcess[str]) -> bool:
    """Exit code 2 and one line on stderr starting with ``predictnas: error:``, no traceback."""
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    return res.returncode == 2 and len(lines) == 1 and lines[0].startswith("predictnas: error:") and "Traceback" not in res.stderr


# -- 1. kill and resume -------------------------------------------------------------------------

def kill_and_resume(bench: Workbench, *, kills: int, budget: int = 200, seed0: int = 11) -> dict[str, Any]:
    """SIGKILL the study process at random moments, resume until the budget is spent; compare."""
    rng = random.Random(0)
    runs, total_kills, lost, duplicates, equal, mid_run = [], 0, 0, 0, True, 0
    run = 0
    while total_kills < kills:
        seed, name = seed0 + run, f"kill{run}"
        ref = bench.definition(f"ref{run}", seed=seed, budget=budget)
        start = time.perf_counter()
        res = bench.cli("run", str(ref), "--no-progress", log=f"ref{run}.log")
        duration = time.perf_counter() - start
        assert res.returncode == 0, res.stderr
        bench.definition(name, seed=seed, budget=budget)
        db = bench.root / f"{name}.db"
        proc = bench.popen("run", f"{name}.toml", "--no-progress", log=f"{name}.log")
        seen: dict[int, tuple[Any, ...]] = {}
        run_kills, events_before = 0, 0
        while True:
            time.sleep(rng.uniform(0.05, duration))
            if proc.poll() is not None:
                assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            run_kills += 1
            if db.exists():
                now = {sig[0]: sig for sig in trial_signature(db) if sig[2] == "complete"}
                lost += sum(1 for n, sig in seen.items() if now.get(n) != sig)
                seen = now
                events = _event_count(db)
                mid_run += events > events_before
                events_before = events
                proc = bench.popen("resume", str(db), "--no-progress", log=f"{name}.log")
            else:  # killed before the study file appeared: start again
                proc = bench.popen("run", f"{name}.toml", "--no-progress", log=f"{name}.log")
        final, reference = trial_signature(db), trial_signature(bench.root / f"ref{run}.db")
        evaluated = _lines(bench.root / f"{name}.log")
        distinct = sum(1 for sig in final if sig[2] != "running") - _cache_hits(db)
        run_duplicates = evaluated - distinct
        equal &= final == reference
        duplicates += run_duplicates
        total_kills += run_kills
        runs.append({"seed": seed, "kills": run_kills, "trials": len(final), "duplicate_evaluations": run_duplicates,
                     "equals_uninterrupted": final == reference, "uninterrupted_s": round(duration, 2)})
        run += 1
    return {"kills": total_kills, "kills_after_first_write": mid_run, "completed_lost": lost,
            "duplicate_evaluations": duplicates, "final_equals_uninterrupted": equal, "kill_runs": runs}


def _event_count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _cache_hits(db: Path) -> int:
    with pn.load_study(db, readonly=True) as study:
        return sum(t.cache_of is not None for t in study.trials)


# -- 2. corruption ------------------------------------------------------------------------------

def corruption_cases(bench: Workbench) -> list[dict[str, Any]]:
    """Damaged, foreign, future, read-only and full-disk study files: one clear error each, and
    ``predictnas export`` still returns every intact trial (those a damaged event touched are
    missing, or running when only their result was lost)."""
    source = bench.definition("intact", seed=3, budget=120)
    res = bench.cli("run", str(source), "--no-progress")
    assert res.returncode == 0, res.stderr
    intact = bench.root / "intact.db"
    rows = _export_rows(bench, intact)
    cases: list[dict[str, Any]] = []

    def case(name: str, mutate: Callable[[Path], None], *, expect_error: bool = True, expect_rows: bool = True) -> None:
        path = bench.root / f"c_{len(cases)}.db"
        shutil.copyfile(intact, path)
        mutate(path)
        exported = bench.cli("export", str(path))  # first: what survived, before anything else runs
        survived = _parse_csv(exported.stdout) if exported.returncode == 0 else []
        status = bench.cli("status", str(path))
        resume = bench.cli("resume", str(path), "--no-progress", "--trust", "--budget", "130")
        refused = status.returncode != 0 and resume.returncode != 0
        errors_clear = all(clear_error(r) for r in (exported, status, resume) if r.returncode != 0)
        intact_rows = _same_finished(survived, rows)
        ok = errors_clear and (refused or not expect_error) and intact_rows and (bool(survived) or not expect_rows)
        cases.append({"case": name, "refused": refused, "clear_error": errors_clear, "export_ok": exported.returncode == 0,
                      "rows_recovered": sum(r["state"] != "running" for r in survived), "rows_total": len(rows),
                      "recovered_rows_intact": intact_rows, "passed": ok,
                      "error": (status.stderr.strip().splitlines() or [""])[-1][:160]})

    size = intact.stat().st_size
    for fraction in (0.9, 0.6, 0.3):
        case(f"truncated to {fraction:.0%}", lambda p, f=fraction: _truncate(p, int(size * f)))
    case("truncated to the header", lambda p: _truncate(p, 100), expect_rows=False)
    for i, offset in enumerate(_payload_offsets(intact, 4)):
        case(f"flipped byte in event data #{i + 1}", lambda p, o=offset: _flip(p, o))
    for i in range(4):
        offset = random.Random(i).randrange(100, size)
        # a flip in unused page space changes nothing: then the file must open with all its data
        case(f"flipped byte at random offset {offset}", lambda p, o=offset: _flip(p, o), expect_error=False)
    case("schema from the future", lambda p: _pragma(p, "PRAGMA user_version=99"), expect_rows=False)
    case("empty file", lambda p: p.write_bytes(b""), expect_rows=False)
    case("text file", lambda p: p.write_text("trial,acc\n1,0.9\n"), expect_rows=False)
    case("random bytes", lambda p: p.write_bytes(np.random.default_rng(0).bytes(8192)), expect_rows=False)
    case("another SQLite database", _foreign_sqlite, expect_rows=False)
    cases.append(_read_only_case(bench, intact, rows, folder_too=False))
    cases.append(_read_only_case(bench, intact, rows, folder_too=True))
    cases.append(_full_disk_case(bench, intact, rows))
    return cases


def _export_rows(bench: Workbench, path: Path) -> list[dict[str, str]]:
    res = bench.cli("export", str(path))
    assert res.returncode == 0, res.stderr
    return _parse_csv(res.stdout)


def _same_finished(survived: list[dict[str, str]], rows: list[dict[str, str]]) -> bool:
    """Every finished trial that survived equals the original trial of the same number (a trial
    whose result was lost shows as running; trials lost with a damaged event are missing)."""
    original = {r["number"]: r for r in rows}
    return all(s["number"] in original and (s["state"] == "running" or s == original[s["number"]]) for s in survived)


def _parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text))) if text else []


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x5A]))


def _payload_offsets(path: Path, n: int) -> list[int]:
    """Offsets of digits inside stored event payloads (the values of told trials)."""
    data = path.read_bytes()
    hits = [i for i in range(len(data)) if data.startswith(b'"values": {"acc": ', i)]
    picks = np.linspace(0, len(hits) - 1, n).astype(int)
    return [hits[i] + len('"values": {"acc": ') + 1 for i in picks]


def _pragma(path: Path, statement: str) -> None:
    con = sqlite3.connect(path)
    con.execute(statement)
    con.commit()
    con.close()


def _foreign_sqlite(path: Path) -> None:
    path.unlink()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (x)")
    con.commit()
    con.close()


def _read_only_case(bench: Workbench, intact: Path, rows: list[dict[str, str]], *, folder_too: bool) -> dict[str, Any]:
    """A study file (and maybe its folder) the user may not write: resume refused clearly; reading works."""
    folder = bench.root / ("readonly_folder" if folder_too else "readonly_file")
    folder.mkdir()
    path = folder / "ro.db"
    shutil.copyfile(intact, path)
    os.chmod(path, 0o444)
    if folder_too:
        os.chmod(folder, 0o555)
    try:
        before = path.read_bytes()
        resume = bench.cli("resume", str(path), "--no-progress", "--trust", "--budget", "130", honour_permissions=True)
        status = bench.cli("status", str(path), honour_permissions=True)
        exported = bench.cli("export", str(path), honour_permissions=True)
        unchanged = path.read_bytes() == before
    finally:
        os.chmod(folder, 0o755)
    survived = _parse_csv(exported.stdout)
    ok = clear_error(resume) and status.returncode == 0 and survived == rows and unchanged
    return {"case": "read-only file and folder" if folder_too else "read-only file", "refused": resume.returncode != 0,
            "clear_error": clear_error(resume), "export_ok": exported.returncode == 0, "rows_recovered": len(survived),
            "rows_total": len(rows), "recovered_rows_intact": survived == rows, "passed": ok,
            "error": resume.stderr.strip()[:160]}


def _full_disk_case(bench: Workbench, intact: Path, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Writes fail part-way (RLIMIT_FSIZE: the process may not grow any file past a few KB more)."""
    path = bench.root / "full.db"
    shutil.copyfile(intact, path)
    limit = path.stat().st_size + 24_000

    def limits() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write() instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    resume = bench.cli("resume", str(path), "--no-progress", "--trust", "--budget", "400", limits=limits)
    survived = _export_rows(bench, path)
    grew = len(survived) > len(rows)
    after = bench.cli("resume", str(path), "--no-progress", "--trust", "--budget", "400")  # space again: finishes the study
    finished = after.returncode == 0 and len(_export_rows(bench, path)) >= 400
    ok = clear_error(resume) and survived[: len(rows)] == rows and finished
    return {"case": "disk full part-way (file size limit)", "refused": resume.returncode != 0,
            "clear_error": clear_error(resume), "export_ok": True, "rows_recovered": len(survived),
            "rows_total": len(rows), "recovered_rows_intact": survived[: len(rows)] == rows, "passed": ok and grew,
            "error": resume.stderr.strip().splitlines()[-1][:160] if resume.stderr.strip() else ""}


# -- 3. fuzzing ---------------------------------------------------------------------------------

class FuzzLog:
    """Counts fuzz cases; keeps the first few inputs that raised something other than a predictnas error."""

    def __init__(self) -> None:
        self.cases: dict[str, int] = {}
        self.outcomes = {"accepted": 0, "clear_error": 0, "internal": 0}
        self.internal: list[dict[str, str]] = []

    def run(self, target: str, fn: Callable[[], Any], shown: Any) -> None:
        self.cases[target] = self.cases.get(target, 0) + 1
        try:
            fn()
            self.outcomes["accepted"] += 1
        except PredictNASError:
            self.outcomes["clear_error"] += 1
        except Exception as exc:  # an internal traceback: what this suite hunts for
            self.outcomes["internal"] += 1
            self.internal.append({"target": target, "error": f"{type(exc).__name__}: {exc}"[:300], "input": repr(shown)[:300]})


def fuzz(n_examples: int, work: Path, *, table: Path, metrics: dict[str, str]) -> FuzzLog:
    """Hypothesis-generated space specs, study definitions, ``tell`` values and architectures."""
    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st

    log = FuzzLog()
    config = settings(max_examples=n_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=12), st.sampled_from(["", "none", "nb201", "maximize", "acc", "op_0_1", "x <= 1",
                                                               "nor_conv_3x3", "${HOME}", "../x", "random", "nsga2"]))
    values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=8)
    from predictnas.spaces._spec import spec_dirs

    texts = {p.stem: p.read_text() for d in reversed(spec_dirs()) for p in sorted(d.glob("*.toml"))}
    specs = {name: tomllib.loads(text) for name, text in texts.items()}

    def mutate(doc: Any, data: Any) -> Any:
        for _ in range(data.draw(st.integers(1, 3))):
            paths = list(_paths(doc))
            path = data.draw(st.sampled_from(paths))
            action = data.draw(st.sampled_from(["delete", "replace", "add", "retype"]))
            doc = _apply(doc, path, action, data.draw(values), data.draw(st.text(min_size=1, max_size=10)))
        return doc

    @config
    @seed(1)
    @given(st.data())
    def space_specs(data: Any) -> None:
        name = data.draw(st.sampled_from(sorted(specs)))
        doc = mutate(json.loads(json.dumps(specs[name])), data)
        log.run("space spec", lambda: pn.load_space(doc), doc)

    @config
    @seed(2)
    @given(st.data())
    def spec_text(data: Any) -> None:
        name = data.draw(st.sampled_from(sorted(specs)))
        text = texts[name]
        pos = data.draw(st.integers(0, max(0, len(text) - 1)))
        junk = data.draw(st.sampled_from(["", "=", "[", "]", "\"", "\n", "x", "0", "-", ".", "{", ","]))
        cut = data.draw(st.integers(0, 3))
        broken = text[:pos] + junk + text[pos + cut:]
        path = work / "fuzz_space.toml"
        path.write_text(broken)
        log.run("space spec file", lambda: pn.load_space(path), broken[max(0, pos - 20):pos + 20])

    table_def = {"schema_version": 1, "kind": "study", "name": "fz", "seed": 0, "space": "nb201", "budget": 10,
                 "objectives": {"acc": "maximize", "flops": "minimize"}, "constraints": ["flops <= 100"],
                 "evaluator": {"type": "table", "path": str(table), "metrics": metrics},
                 "proposer": {"name": "nsga2", "options": {"pop_size": 8}}}
    counter = iter(range(10**9))

    @config
    @seed(3)
    @given(st.data())
    def definitions(data: Any) -> None:
        doc = mutate(json.loads(json.dumps(table_def)), data)
        if isinstance(doc, dict) and isinstance(doc.get("evaluator"), dict) and doc["evaluator"].get("type") == "supernet":
            return  # would train a supernet
        i = next(counter)
        path = work / f"fuzz_def_{i}.toml"
        try:
            path.write_text(_toml_of(doc))
        except (TypeError, ValueError):
            return  # not representable as TOML (e.g. None): nothing a user could write
        from predictnas.study import run_definition

        def go() -> None:
            study, _ = run_definition(path, storage=work / f"fuzz_def_{i}.db")
            study.close()

        log.run("study definition", go, doc)

    names = ["acc", "flops", "latency", "", "ACC"]

    @config
    @seed(4)
    @given(st.data())
    def tells(data: Any) -> None:
        study = pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"})
        trial = study.ask()[0]
        told = data.draw(st.one_of(st.dictionaries(st.sampled_from(names) | st.text(max_size=5), scalars, max_size=4),
                                   values))
        number = data.draw(st.one_of(st.just(trial.number), st.integers(-3, 5), st.text(max_size=3), st.none()))
        state = data.draw(st.sampled_from(["complete", "failed", "running", "bogus", None]))
        kwargs = {"state": state} if state is not None else {}
        log.run("tell values", lambda: study.tell(number, told, **kwargs), (number, told, state))
        # whatever happened, the study still works
        log.run("tell values", lambda: study.tell(study.ask()[0], {"acc": 1.0, "flops": 2.0}), "follow-up tell")

    @config
    @seed(5)
    @given(st.data())
    def archs(data: Any) -> None:
        study = pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"})
        base = pn.load_space("nb201").sample(1, rng=np.random.default_rng(0))[0].to_dict()
        arch = mutate(base, data)
        log.run("ask(archs=...)", lambda: study.ask(archs=[arch]), arch)

    for target in (space_specs, spec_text, definitions, tells, archs):
        target()
    return log


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Any:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _apply(doc: Any, path: tuple[Any, ...], action: str, value: Any, key: str) -> Any:
    if not path:
        return value if action in ("replace", "retype") else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "retype":
        old = parent[last]
        parent[last] = str(old) if not isinstance(old, str) else [old]
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = value
    return doc


def _toml_of(doc: Any) -> str:
    """A minimal TOML writer (dicts of scalars/lists/tables); raises TypeError for ``None``."""
    if not isinstance(doc, dict):
        raise TypeError("a TOML document is a table")
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for k, v in doc.items():
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append(f"{json.dumps(k)} = {_toml_value(v)}")
    for k, v in tables:
        lines.append(f"\n[{json.dumps(k)}]")
        lines.append(_toml_of(v) if not any(isinstance(x, dict) for x in v.values()) else
                     "\n".join(f"{json.dumps(kk)} = {_toml_value(vv)}" for kk, vv in v.items()))
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if v is None:
        raise TypeError("TOML has no null")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
    if isinstance(v, (int, str)):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML form for {type(v).__name__}")


# -- 4. evaluator faults, 5. two writers --------------------------------------------------------

class FaultyEvaluator(pn.Evaluator):
    """By architecture hash: 1 in 5 raises, 1 in 5 returns NaN, 1 in 9 hangs; others answer from the table."""

    def __init__(self, table: pn.TableEvaluator) -> None:
        self.table = table

    def evaluate(self, arch: Any) -> Any:
        h = zlib.crc32(repr(sorted(arch.items())).encode())
        if h % 5 == 0:
            raise RuntimeError("simulated out-of-memory in training")
        if h % 9 == 1:
            time.sleep(120)
        result = self.table.evaluate(arch)
        return {"acc": float("nan"), "flops": 1.0} if h % 5 == 1 else result


def fault_kind(arch: Any) -> str:
    h = zlib.crc32(repr(sorted(arch.items())).encode())
    return "raise" if h % 5 == 0 else "hang" if h % 9 == 1 else "nan" if h % 5 == 1 else "ok"


def evaluator_faults(table: Path, metrics: dict[str, str], *, n_trials: int = 40) -> list[dict[str, Any]]:
    """Exceptions, NaN values and hangs (timeout) fail their trial; the study reaches its budget."""
    space = pn.load_space("nb201")
    evaluator = FaultyEvaluator(pn.TableEvaluator(table, space, metrics))
    rows = []
    for label, options in (("in-process", {"timeout": 1.0}), ("2 worker processes", {"n_workers": 2, "timeout": 1.0})):
        study = pn.create_study(proposer="random", space=space, objectives={"acc": "maximize", "flops": "minimize"}, seed=21)
        start = time.perf_counter()
        study.optimize(evaluator, n_trials, **options)
        kinds = [fault_kind(t.arch) for t in study.trials]
        right = sum((t.state.value == "complete") == (k == "ok") for t, k in zip(study.trials, kinds))
        rows.append({"executor": label, "trials": len(study.trials), "raised": kinds.count("raise"), "nan": kinds.count("nan"),
                     "hung": kinds.count("hang"), "states_right": right, "passed": right == len(study.trials) == n_trials,
                     "seconds": round(time.perf_counter() - start, 1)})
    return rows


def two_writers(bench: Workbench) -> dict[str, Any]:
    """Two processes resume one study at once: one is refused with a clear error; the file stays whole."""
    source = bench.definition("twice", seed=5, budget=40)
    assert bench.cli("run", str(source), "--no-progress").returncode == 0
    db = bench.root / "twice.db"
    first = bench.popen("resume", str(db), "--no-progress", "--budget", "400", log="twice.log")
    time.sleep(0.3)
    second_results = []
    while first.poll() is None and len(second_results) < 5:
        second_results.append(bench.cli("resume", str(db), "--no-progress", "--budget", "400", log="twice.log"))
    first.wait()
    refused = [r for r in second_results if r.returncode != 0]
    clear = all(clear_error(r) and "open for writing by another process" in r.stderr for r in refused)
    con = sqlite3.connect(db)
    check = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    sig = trial_signature(db)
    return {"attempts": len(second_results), "refused": len(refused), "clear_errors": clear, "integrity": check,
            "trials": len(sig), "passed": bool(refused) and clear and check == "ok" and first.returncode == 0}


# -- 5. files someone else wrote, and ordinary faults that used to lose data or hang -------------

EVIL_MODULE = 'import pathlib\npathlib.Path("IMPORTED").write_text("x")\nclass Evil: pass\ndef evaluate(a): return {}\n'


def _forge(db: Path, mutate: Callable[[dict[str, Any]], None]) -> None:
    """Edits the study definition the way anyone can: change the JSON, recompute the CRC-32."""
    con = sqlite3.connect(db)
    seq, op, payload = con.execute("SELECT seq, op, payload FROM events WHERE seq = 1").fetchone()
    data = json.loads(payload)
    mutate(data["definition"])
    text = json.dumps(data)
    con.execute("UPDATE events SET payload = ?, crc = ? WHERE seq = 1", (text, zlib.crc32(f"{seq}\x00{op}\x00{text}".encode())))
    con.commit()
    con.close()


def adversarial_cases(bench: Workbench) -> list[dict[str, Any]]:
    """Forged study files: reading never imports what they name; resuming without approval refuses
    with one line and runs nothing; a condition bomb is one line, not a hang."""
    source = bench.definition("victim", seed=3, budget=8)
    assert bench.cli("run", str(source), "--no-progress").returncode == 0
    (bench.root / "evilmod.py").write_text(EVIL_MODULE)
    forged = {
        "proposer entry point": lambda d: d.update(proposer={"name": "evilmod:Evil", "options": {}}),
        "evaluator os:abort": lambda d: d.update(evaluator={"type": "function", "entry_point": "os:abort", "options": {},
                                                            "folder": str(bench.root)}),
        "supernet factory os:abort": lambda d: d.update(evaluator={"type": "supernet", "supernet": "os:abort",
                                                                   "checkpoint": None, "training": {}, "options": {}}),
        "checkpoint outside the folder": lambda d: d.update(evaluator={
            "type": "supernet", "supernet": "digits_cnn", "checkpoint": str(bench.root.parent / "elsewhere" / "ck.pt"),
            "training": {}, "options": {}}),
        "condition 9 ** 9 ** 9": lambda d: d.update(space={
            "schema_version": 1, "kind": "space", "name": "bomb",
            "params": {"a": {"choices": [1, 2]}, "b": {"choices": [1, 2], "active_if": "9 ** 9 ** 9 > 1"}}}),
    }
    cases = []
    for i, (name, mutate) in enumerate(forged.items()):
        path = bench.root / f"forged_{i}.db"
        shutil.copyfile(bench.root / "victim.db", path)
        _forge(path, mutate)
        started = time.perf_counter()
        reads = [bench.cli(cmd, str(path), timeout=60) for cmd in ("status", "export")]
        resume = bench.cli("resume", str(path), "--no-progress", "--budget", "12", timeout=60)
        seconds = time.perf_counter() - started
        ran = (bench.root / "IMPORTED").exists() or (bench.root.parent / "elsewhere").exists()
        reads_ok = all(r.returncode == 0 or clear_error(r) for r in reads)
        cases.append({"case": name, "code_ran": ran, "resume_refused_clearly": clear_error(resume), "reads_ok": reads_ok,
                      "seconds": round(seconds, 1), "passed": not ran and clear_error(resume) and reads_ok and seconds < 60})
    return cases


def fault_cases(bench: Workbench) -> list[dict[str, Any]]:
    """An exhausted space, a study file replaced mid-run, a second writer through a hard link or symlink."""
    cases = []
    tiny = {"schema_version": 1, "kind": "space", "name": "tiny", "params": {"a": {"choices": [1, 2, 3, 4]},
                                                                              "b": {"choices": [1, 2, 3]}, "c": {"choices": [1, 2]}}}
    for proposer in ("random", "bo", "nsga2"):
        study = pn.create_study(space=pn.space_from_spec(tiny), objectives={"acc": "maximize", "flops": "minimize"},
                                proposer=proposer, budget=40, batch_size=4)
        started = time.perf_counter()
        study.optimize(pn.FunctionEvaluator(lambda a: {"acc": float(a["a"] * 3 + a["b"]), "flops": float(a["a"] + a["c"])}))
        distinct = len({t.key for t in study.trials})
        cases.append({"case": f"budget 40 on a 24-architecture space ({proposer})", "trials": len(study.trials),
                      "distinct": distinct, "seconds": round(time.perf_counter() - started, 1),
                      "passed": distinct == 24 and len(study.trials) == 24})
    db = bench.root / "replaced.db"
    table = pn.TableEvaluator(bench.table, pn.load_space("nb201"), bench.metrics)
    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, storage=db, proposer="random")
    calls: list[int] = []

    def evaluate(arch: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:
            db.unlink()
        return table.evaluate(arch)

    try:
        study.optimize(pn.FunctionEvaluator(evaluate), 12)
        stopped, saved = False, 0
    except PredictNASError:
        stopped = True
        with pn.load_study(bench.root / "replaced.recovered.db", readonly=True) as kept:
            saved = sum(t.state.value == "complete" for t in kept.trials)
    study.close()
    cases.append({"case": "study file deleted mid-run", "stopped": stopped, "trials_saved": saved, "trials_told": 4,
                  "passed": stopped and saved == 4})
    for route in ("hard link", "symlink"):
        first = pn.create_study(space="nb201", objectives={"acc": "maximize"}, storage=bench.root / f"held_{route[0]}.db",
                                proposer="random")
        other = bench.root / f"other_{route[0]}.db"
        (os.link if route == "hard link" else os.symlink)(first.path, other)
        res = bench.cli("resume", str(other), "--no-progress", "--budget", "3")
        first.close()
        cases.append({"case": f"second writer through a {route}", "refused": clear_error(res) and "open for writing" in res.stderr,
                      "passed": clear_error(res) and "open for writing" in res.stderr})
    return cases


# -- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("PREDICTNAS_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "benchdata")))
    parser.add_argument("--kills", type=int, default=24, help="SIGKILLs in all (default 24)")
    parser.add_argument("--eval-delay", type=float, default=0.01, help="seconds each evaluation sleeps in the kill runs "
                        "(stands in for training; default 0.01)")
    parser.add_argument("--fuzz", type=int, default=300, help="hypothesis examples per fuzz target (default 300)")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="predictnas-chaos-"))
    os.chmod(work, 0o755)
    data_dir = Path(args.data_dir)
    table, metrics, label = find_table(data_dir, work)
    if label.startswith("synthetic"):
        print(f"note: {data_dir / 'nb201_core.csv'} not found; using a synthetic NB201-shaped table", file=sys.stderr)
    bench = Workbench(work / "bench", table, metrics)
    slow_bench = Workbench(work / "kills", table, metrics, delay=args.eval_delay)
    started = time.perf_counter()

    kills = kill_and_resume(slow_bench, kills=args.kills)
    corruption = corruption_cases(bench)
    log = fuzz(args.fuzz, work, table=table, metrics=metrics)
    faults = evaluator_faults(table, metrics)
    writers = two_writers(bench)
    adversarial = adversarial_cases(bench)
    ordinary = fault_cases(bench)

    results = {
        "table": label, **{k: v for k, v in kills.items()},
        "corruption_cases": len(corruption), "corruption_clear_errors": sum(c["clear_error"] for c in corruption),
        "corruption_passed": sum(c["passed"] for c in corruption), "corruption": corruption,
        "fuzz_cases": sum(log.cases.values()), "fuzz_cases_by_target": log.cases,
        "fuzz_internal_tracebacks": len(log.internal), "fuzz_outcomes": log.outcomes, "fuzz_internal_examples": log.internal[:10],
        "evaluator_faults": faults, "two_writers": writers, "adversarial_files": adversarial,
        "adversarial_passed": sum(c["passed"] for c in adversarial), "fault_cases": ordinary,
        "fault_cases_passed": sum(c["passed"] for c in ordinary), "seconds": round(time.perf_counter() - started, 1),
    }
    print(f"\npredictnas chaos suite ({label} table)\n")
    print(f"{'check':44s} {'result':>30s}")
    rows = [
        ("SIGKILLs (after the first write)", f"{kills['kills']} ({kills['kills_after_first_write']})"),
        ("completed trials lost", kills["completed_lost"]),
        ("duplicate evaluations caused by kills", kills["duplicate_evaluations"]),
        ("final trials == uninterrupted run", kills["final_equals_uninterrupted"]),
        ("corruption cases: clear error / passed", f"{results['corruption_clear_errors']}/{len(corruption)} / {results['corruption_passed']}/{len(corruption)}"),
        ("fuzz cases: accepted / clear error / internal", f"{results['fuzz_cases']}: {log.outcomes['accepted']} / "
                                                           f"{log.outcomes['clear_error']} / {log.outcomes['internal']}"),
        ("evaluator faults handled", " ".join(f"{f['executor']}: {f['states_right']}/{f['trials']}" for f in faults)),
        ("two writers: refused clearly, file intact", f"{writers['refused']}/{writers['attempts']}, {writers['integrity']}"),
        ("forged files: nothing ran, resume refused", f"{results['adversarial_passed']}/{len(adversarial)}"),
        ("exhaustion, deleted file, lock bypass", f"{results['fault_cases_passed']}/{len(ordinary)}"),
    ]
    for name, value in rows:
        print(f"{name:44s} {str(value):>30s}")
    print("\ncorruption cases:")
    for c in corruption:
        print(f"  {'ok ' if c['passed'] else 'BAD'} {c['case']:40s} refused={c['refused']!s:5s} rows {c['rows_recovered']}/{c['rows_total']}")
    for c in adversarial + ordinary:
        print(f"  {'ok ' if c['passed'] else 'BAD'} {c['case']}")
    for example in log.internal[:5]:
        print(f"  internal traceback in {example['target']}: {example['error']}\n    input: {example['input']}")
    print(f"\n{results['seconds']} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))
        print(f"wrote {args.out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
