"""The writer lock of a study file: one writing process at a time, through any name of the file.

An advisory ``flock`` on ``<real file>.lock`` (it holds the writer's pid, for the message) and on
the study file's inode itself, held until the process exits (released by the OS even on SIGKILL).
A second writer, through a symlink, a hard link or after the ``.lock`` file was removed, gets
``StudyLockedError``.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from predictnas.exceptions import StudyLockedError, StudyWriteError


class WriterLock:
    """Both locks of one study file, and the identity of the file it locked.

    Args:
        path: The study file (it may not exist yet).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = None
        self._file_fd: int | None = None
        self.identity: tuple[int, int] | None = None

    def acquire(self) -> None:
        """The writer lock: an ``flock`` on ``<real file>.lock`` (it holds the writer's pid, for the
        message), and on the study file itself once it exists (:meth:`lock_file`), so a second
        writer through a symlink, a hard link or after the ``.lock`` file was removed is refused too."""
        real = self.path.resolve()
        lock_path = real.with_name(real.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StudyWriteError(
                f"{self.path}: cannot be opened for writing ({lock_path.name}: {exc.strerror}); fix the folder's "
                "permissions, or read it with `predictnas status` / `export`."
            ) from None
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

    def lock_file(self, target: Path) -> None:
        """Locks the study file's inode (``target``: the file, or the new file before it is renamed
        into place) and remembers its identity, so that a replaced or deleted file is noticed."""
        try:
            fd = os.open(target, os.O_RDONLY)
        except OSError as exc:
            self.release()
            raise StudyWriteError(f"{self.path}: cannot be opened for writing ({exc.strerror}).") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self.release()
            raise StudyLockedError(
                f"{self.path}: is open for writing by another process (through another name: a link or a copy of its "
                "lock file); wait for it to finish, or read it with `predictnas status` / `export`.") from None
        self._file_fd = fd
        st = os.fstat(fd)
        self.identity = (st.st_dev, st.st_ino)

    def same_file(self) -> bool:
        """Whether the path still names the file this lock holds (``True`` before it holds one)."""
        if self.identity is None:
            return True
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.identity

    def release(self) -> None:
        """Drops both locks (after the SQLite connection is closed: closing any descriptor of the file
        would drop SQLite's own POSIX locks of this process)."""
        for fd in (self._file_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._file_fd = self._lock_fd = None
