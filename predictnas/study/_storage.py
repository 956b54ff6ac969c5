"""The study file: one SQLite database (WAL) holding an append-only event log.

Layout (schema version 2):

- ``PRAGMA application_id`` = ``0x504E4153`` ("PNAS") marks a predictnas study file;
  ``PRAGMA user_version`` holds the schema version.
- ``events(seq INTEGER PRIMARY KEY, op TEXT, payload TEXT, ts REAL, crc INTEGER)``: every change
  is one row, ``payload`` is JSON, ``crc`` the CRC-32 of ``seq``, ``op`` and ``payload`` (schema 1
  files have no ``crc`` and are read as they are). Rows are only ever appended, never updated or
  deleted; the study state is the replay of the log. Each ``append`` is one transaction, so a
  SIGKILL leaves either all or none of a batch.
- A damaged file (truncated, a flipped byte) is refused with one error naming the first bad
  event; ``salvage=True`` (read-only) replays the intact events before it.

One process at a time may open a file for writing (:class:`~predictnas.study._lock.WriterLock`);
readers (``status``, ``export``, reports) never take the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from predictnas.exceptions import (
    IncompatibleStudyFileError,
    StudyError,
    StudyFileDamagedError,
    StudyNotFoundError,
    StudyWriteError,
)
from predictnas.study._lock import WriterLock

APPLICATION_ID = 0x504E4153
SCHEMA_VERSION = 2
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StudyFile:
    """Append/read access to one study file (or an in-memory study when ``path`` is ``None``).

    Args:
        path: The ``.db`` file, or ``None`` for a throw-away in-memory study.
        create: Create a new file (it must not exist yet). It appears atomically, already holding
            the ``initial`` events: a crash during creation leaves no half-made study.
        readonly: Open without the writer lock and refuse ``append``.
        initial: Events written into a new file (e.g. the study definition).
        salvage: Read-only, for exporting what survived: read a private copy of the file (and its
            WAL), with a truncated file's page count repaired, event by event up to the first
            damaged one (``damage`` then says where). The file itself is never touched.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        create: bool = False,
        readonly: bool = False,
        initial: Sequence[tuple[str, dict[str, Any]]] = (),
        salvage: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.readonly = readonly or salvage
        self.salvage = salvage
        self.damage: str | None = None  # the first damage found (salvage)
        self.lost: list[str] = []  # every damaged event a salvaging read skipped
        self._has_crc = True
        self._writer = WriterLock(self.path) if self.path is not None else None
        self._recovered: Path | bool | None = None  # where a deleted or replaced file's content was saved
        self._salvage_dir: tempfile.TemporaryDirectory[str] | None = None
        if self.path is None:
            self._conn = sqlite3.connect(":memory:", isolation_level=None)
            self._init_schema()
            self.append(initial)
            return
        if create:
            if self.path.exists():
                raise IncompatibleStudyFileError(f"{self.path}: already exists; load it or choose another path.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer.acquire()  # type: ignore[union-attr]
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                self._conn = sqlite3.connect(tmp, isolation_level=None)
                self._init_schema()
                self.append(initial)
                self._conn.close()
                self._writer.lock_file(tmp)  # type: ignore[union-attr]
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)
            self._conn = self._connect()
            self._start_wal()
        else:
            self._check_header()
            beside = [self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm", ".lock")]
            existed = {p for p in beside if p.exists()}
            try:
                self._probe()  # a foreign or damaged file is refused before anything is created beside it
                if not self.readonly:
                    self._writer.acquire()  # type: ignore[union-attr]
                    self._writer.lock_file(self.path)  # type: ignore[union-attr]
                self._conn = self._connect()
                self._check_schema()
                if not self.readonly:
                    self._start_wal()
            except BaseException:
                self.close()
                for p in beside:  # a refused file's folder is left as it was
                    if p not in existed:
                        with contextlib.suppress(OSError):  # e.g. a read-only mount: nothing was made
                            p.unlink(missing_ok=True)
                raise

    # -- opening --------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        if self.salvage:
            return sqlite3.connect(self._salvage_copy(), isolation_level=None)
        uri = f"file:{self.path}?mode=ro" if self.readonly else f"file:{self.path}"
        if self.readonly and not Path(f"{self.path}-wal").exists():
            # no writer has the file open (a writer keeps its -wal file until it closes): read it as it
            # is, so a read leaves no -wal / -shm files behind (SQLite cannot remove them read-only)
            uri += "&immutable=1"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
            if self.readonly:
                try:
                    conn.execute("PRAGMA application_id").fetchone()
                except sqlite3.OperationalError:  # a read-only folder: no -shm file can be made, so no writer is active
                    conn.close()
                    conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            if self._writer is not None:
                self._writer.release()
            raise self._corrupt(exc) from None
        return conn

    def _salvage_copy(self) -> Path:
        """A private copy of the file and its WAL; a truncated copy gets its header's page count repaired."""
        assert self.path is not None
        self._salvage_dir = tempfile.TemporaryDirectory(prefix="predictnas-salvage-")
        copy = Path(self._salvage_dir.name) / "study.db"
        data = bytearray(self.path.read_bytes())
        page_size = int.from_bytes(data[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if len(data) >= 100 and page_size >= 512:
            pages = len(data) // page_size
            data = data[: pages * page_size]
            if pages < int.from_bytes(data[28:32], "big"):
                data[28:32] = pages.to_bytes(4, "big")
        copy.write_bytes(bytes(data))
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        return copy

    def _start_wal(self) -> None:
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("BEGIN IMMEDIATE")  # a read-only file fails here, before any evaluation
            self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            self.close()
            raise self._write_error(exc) from None

    def _check_header(self) -> None:
        assert self.path is not None
        if not self.path.exists():
            raise StudyNotFoundError(f"{self.path}: no such study file.")
        try:
            with open(self.path, "rb") as f:
                head = f.read(100)
        except OSError as exc:
            raise IncompatibleStudyFileError(f"{self.path}: cannot be read ({exc.strerror}).") from None
        if not head.startswith(_SQLITE_MAGIC):
            raise IncompatibleStudyFileError(f"{self.path}: is not a predictnas study file (not an SQLite database).")

    def _probe(self) -> None:
        """Checks the application id and schema version through an immutable read-only
        connection, which creates no ``-wal`` / ``-shm`` file (salvage reads a copy instead)."""
        assert self.path is not None
        if self.salvage:
            return
        try:
            self._probe_with(f"file:{self.path}?mode=ro&immutable=1")
        except sqlite3.DatabaseError as exc:
            if not self.path.with_name(self.path.name + "-wal").exists():
                raise self._corrupt(exc) from None
            try:  # the main file alone is behind its WAL (e.g. a checkpoint cut short by a full disk)
                self._probe_with(f"file:{self.path}?mode=ro")
            except sqlite3.DatabaseError as exc2:
                raise self._corrupt(exc2) from None

    def _probe_with(self, uri: str) -> None:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        try:
            self._check_identity(conn)
        finally:
            conn.close()

    def _check_identity(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise IncompatibleStudyFileError(
                f"{self.path}: is an SQLite database but not a predictnas study file (application id differs)."
            )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise IncompatibleStudyFileError(
                f"{self.path}: was written by a newer predictnas (study schema {version}; this version reads "
                f"up to {SCHEMA_VERSION}); upgrade predictnas to open it."
            )

    def _check_schema(self) -> None:
        assert self.path is not None
        try:
            self._check_identity(self._conn)
            if not self.salvage:
                check = self._conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise self._corrupt(f"sqlite quick_check: {check}")
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(events)")}
            if not columns:
                raise self._corrupt("no events table")
            self._has_crc = "crc" in columns
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self._corrupt(exc) from None
        except IncompatibleStudyFileError:
            self.close()
            raise

    def _corrupt(self, detail: object) -> StudyError:
        if isinstance(detail, sqlite3.Error) and not _is_damage(detail):
            return self._write_error(detail) if not self.readonly else StudyWriteError(
                f"{self.path}: cannot be read ({detail}): check the disk and the permissions; nothing was changed.")
        return StudyFileDamagedError(
            f"{self.path}: is corrupt or truncated ({detail}); nothing was changed. `predictnas export` reads every "
            "intact event, and `predictnas repair` writes them into a new study file you can resume."
        )

    def _write_error(self, exc: Exception) -> StudyWriteError:
        hint = {"readonly": "the file or its folder is read-only; fix the permissions, or open it read-only",
                "full": "the disk is full; free some space"}
        reason = next((h for k, h in hint.items() if k in str(exc).replace(" ", "")), "check the disk and the permissions")
        return StudyWriteError(
            f"{self.path}: could not be written ({exc}): {reason}, then `predictnas resume` it. Nothing stored "
            "before was changed."
        )

    def _init_schema(self) -> None:
        self._conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, payload TEXT NOT NULL, "
            "ts REAL NOT NULL, crc INTEGER NOT NULL)"
        )

    def check_same_file(self) -> None:
        """Refuses to go on when the study file was deleted or replaced while this process held it:
        what this process wrote is saved to a recovery file beside it first."""
        if self._writer is None or self._writer.same_file():
            return
        if self._recovered is None:  # saved once, however often the check runs afterwards
            self._recovered = self._save_recovery() or False
        recovered = self._recovered
        saved = (f"everything this run held is saved in {recovered}; check it with `predictnas status` and resume that file"
                 if recovered else "what this run held could not be saved")
        raise StudyWriteError(f"{self.path}: was deleted or replaced by another file while this process was writing it; "
                              f"stopping before anything else is written ({saved}).")

    def _save_recovery(self) -> Path | None:
        assert self.path is not None
        for i in range(100):
            target = self.path.with_name(f"{self.path.stem}.recovered{'' if i == 0 else f'-{i}'}{self.path.suffix}")
            if not os.path.lexists(target):
                try:
                    self._conn.execute("VACUUM INTO ?", (str(target),))
                    return target
                except sqlite3.Error:
                    return None
        return None

    # -- the log --------------------------------------------------------------------------------
    def append(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Appends ``(op, payload)`` events in one transaction (all or nothing).

        Raises:
            StudyWriteError: the write failed (disk full, read-only file, ...); nothing was stored.
        """
        if self.readonly:
            raise IncompatibleStudyFileError(f"{self.path}: was opened read-only.")
        self.check_same_file()
        now = time.time()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            last = self._conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            rows = []
            for seq, (op, payload) in enumerate(events, start=last + 1):
                text = json.dumps(payload, allow_nan=False)
                rows.append((seq, op, text, now, _crc(seq, op, text)))
            if self._has_crc:
                self._conn.executemany("INSERT INTO events (seq, op, payload, ts, crc) VALUES (?, ?, ?, ?, ?)", rows)
            else:
                self._conn.executemany("INSERT INTO events (seq, op, payload, ts) VALUES (?, ?, ?, ?)", [r[:4] for r in rows])
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise self._write_error(exc) from None

    def read(self, since: int = 0) -> Iterator[tuple[int, str, dict[str, Any], float]]:
        """Yields ``(seq, op, payload, ts)`` for events with ``seq > since``.

        Raises:
            StudyFileDamagedError: at the first damaged event. With ``salvage`` a damaged event
                is skipped instead (``lost`` says which) and the intact ones after it are read.
        """
        if self.salvage:
            yield from self._salvage_read(since)
            return
        columns = "seq, op, payload, ts, crc" if self._has_crc else "seq, op, payload, ts, NULL"
        expected = since + 1
        try:
            for seq, op, payload, ts, crc in self._conn.execute(f"SELECT {columns} FROM events WHERE seq > ? ORDER BY seq", (since,)):
                if seq != expected:
                    raise self._damaged(f"event {expected} is missing")
                data = self._decode(seq, op, payload, crc)
                expected += 1
                yield seq, op, data, ts
        except sqlite3.DatabaseError as exc:
            raise self._damaged(f"after event {expected - 1}: {exc}") from None

    def _decode(self, seq: int, op: str, payload: str, crc: int | None) -> dict[str, Any]:
        if crc is not None and crc != _crc(seq, op, payload):
            raise self._damaged(f"event {seq} fails its checksum")
        try:
            return json.loads(payload)
        except (json.JSONDecodeError, TypeError):
            raise self._damaged(f"event {seq} is not valid JSON") from None

    def _salvage_read(self, since: int) -> Iterator[tuple[int, str, dict[str, Any], float]]:
        """Every intact event after ``since``, one lookup each: a damaged event or page is skipped
        (and noted in ``lost``), the events after it are still read."""
        columns = "seq, op, payload, ts, crc" if self._has_crc else "seq, op, payload, ts, NULL"
        try:
            last = int(self._conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            last = None  # the index is damaged too: probe until many events in a row are missing
        seq, misses = since, 0
        while (last is None and misses < 1000) or (last is not None and seq < last):
            seq += 1
            try:
                row = self._conn.execute(f"SELECT {columns} FROM events WHERE seq = ?", (seq,)).fetchone()
                if row is None:
                    misses += 1
                    if last is not None:
                        self._note_lost(self._damaged(f"event {seq} is missing"))
                    continue
                misses = 0
                yield seq, row[1], self._decode(*row[:3], row[4]), row[3]
            except sqlite3.DatabaseError as exc:
                misses += 1
                self._note_lost(self._damaged(f"event {seq} cannot be read ({exc})"))
            except StudyFileDamagedError as exc:
                self._note_lost(exc)

    def _note_lost(self, exc: StudyFileDamagedError) -> None:
        self.lost.append(str(exc.detail))

    def _damaged(self, detail: str) -> StudyFileDamagedError:
        self.damage = self.damage or detail
        error = self._corrupt(detail)
        error.detail = detail
        return error

    def close(self) -> None:
        try:
            self._conn.close()
        except (sqlite3.Error, AttributeError):
            pass
        if self._writer is not None:
            self._writer.release()
        if self._salvage_dir is not None:
            self._salvage_dir.cleanup()
            self._salvage_dir = None


def _is_damage(exc: sqlite3.Error) -> bool:
    """SQLite's own verdict: a damaged file (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``), not a disk that is
    full, failing or read-only (those leave the file as it was)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_FORMAT"))
    return any(w in str(exc) for w in ("malformed", "not a database", "file is encrypted"))


def _crc(seq: int, op: str, payload: str) -> int:
    return zlib.crc32(f"{seq}\x00{op}\x00{payload}".encode())
