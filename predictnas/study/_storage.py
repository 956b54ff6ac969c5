"""The study file: one SQLite database (WAL) holding an append-only event log.

Layout (schema version 1):

- ``PRAGMA application_id`` = ``0x504E4153`` ("PNAS") marks a predictnas study file;
  ``PRAGMA user_version`` holds the schema version.
- ``events(seq INTEGER PRIMARY KEY, op TEXT, payload TEXT, ts REAL)``: every change is one row,
  ``payload`` is JSON. Rows are only ever appended, never updated or deleted; the study state is
  the replay of the log. Each ``append`` is one transaction, so a SIGKILL leaves either all or none
  of a batch.

One process at a time may open a file for writing: an advisory ``flock`` on ``<file>.lock`` (held
until the process exits, released by the OS even on SIGKILL). A second writer gets
``StudyLockedError``; readers (``status``, ``export``, reports) never take the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from predictnas.exceptions import IncompatibleStudyFileError, StudyLockedError, StudyNotFoundError

APPLICATION_ID = 0x504E4153
SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StudyFile:
    """Append/read access to one study file (or an in-memory study when ``path`` is ``None``).

    Args:
        path: The ``.db`` file, or ``None`` for a throw-away in-memory study.
        create: Create a new file (it must not exist yet). It appears atomically, already holding
            the ``initial`` events: a crash during creation leaves no half-made study.
        readonly: Open without the writer lock and refuse ``append``.
        initial: Events written into a new file (e.g. the study definition).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        create: bool = False,
        readonly: bool = False,
        initial: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.readonly = readonly
        self._lock_fd: int | None = None
        if self.path is None:
            self._conn = sqlite3.connect(":memory:", isolation_level=None)
            self._init_schema()
            self.append(initial)
            return
        if create:
            if self.path.exists():
                raise IncompatibleStudyFileError(f"{self.path}: already exists; load it or choose another path.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock()
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                self._conn = sqlite3.connect(tmp, isolation_level=None)
                self._init_schema()
                self.append(initial)
                self._conn.close()
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
            self._conn = self._connect()
            self._start_wal()
        else:
            self._check_header()
            if not readonly:
                self._lock()
            self._conn = self._connect()
            self._check_schema()  # before any write: a foreign file is never touched
            if not readonly:
                self._start_wal()

    # -- opening --------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        uri = f"file:{self.path}?mode=ro" if self.readonly else f"file:{self.path}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        except sqlite3.DatabaseError as exc:
            self._release()
            raise self._corrupt(exc) from None
        return conn

    def _start_wal(self) -> None:
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")

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

    def _check_schema(self) -> None:
        assert self.path is not None
        try:
            if self._conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise IncompatibleStudyFileError(
                    f"{self.path}: is an SQLite database but not a predictnas study file (application id differs)."
                )
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise IncompatibleStudyFileError(
                    f"{self.path}: was written by a newer predictnas (study schema {version}; this version reads "
                    f"up to {SCHEMA_VERSION}); upgrade predictnas to open it."
                )
            check = self._conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise IncompatibleStudyFileError(f"{self.path}: is corrupt (sqlite quick_check: {check}).")
            self._conn.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self._corrupt(exc) from None
        except IncompatibleStudyFileError:
            self.close()
            raise

    def _corrupt(self, exc: Exception) -> IncompatibleStudyFileError:
        return IncompatibleStudyFileError(
            f"{self.path}: is corrupt or truncated ({exc}); nothing was changed. `predictnas export` may still "
            "read the intact part."
        )

    def _init_schema(self) -> None:
        self._conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, payload TEXT NOT NULL, ts REAL NOT NULL)"
        )

    def _lock(self) -> None:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StudyLockedError(
                f"{self.path}: is open for writing by another process (pid {holder}); wait for it to finish, "
                "or read it with `predictnas status` / `export`."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- the log --------------------------------------------------------------------------------
    def append(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Appends ``(op, payload)`` events in one transaction (all or nothing)."""
        if self.readonly:
            raise IncompatibleStudyFileError(f"{self.path}: was opened read-only.")
        now = time.time()
        rows = [(op, json.dumps(payload, allow_nan=False), now) for op, payload in events]
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT INTO events (op, payload, ts) VALUES (?, ?, ?)", rows)
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise IncompatibleStudyFileError(f"{self.path}: could not be written ({exc}); nothing of this step was stored.") from None

    def read(self, since: int = 0) -> Iterator[tuple[int, str, dict[str, Any], float]]:
        """Yields ``(seq, op, payload, ts)`` for events with ``seq > since``."""
        try:
            rows = self._conn.execute(
                "SELECT seq, op, payload, ts FROM events WHERE seq > ? ORDER BY seq", (since,)
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from None
        for seq, op, payload, ts in rows:
            try:
                yield seq, op, json.loads(payload), ts
            except json.JSONDecodeError:
                raise IncompatibleStudyFileError(f"{self.path}: event {seq} is not valid JSON; the file is corrupt.") from None

    def close(self) -> None:
        try:
            self._conn.close()
        except (sqlite3.Error, AttributeError):
            pass
        self._release()
