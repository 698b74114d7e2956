"""Who is writing a streaming reply, so that crash recovery touches only replies whose writer is gone.

A process that streams replies into the conversation database holds a lock file for as long as its store is open:
``<database>-writers/<pid>-<random>.lock``, locked with :mod:`filelock` (``flock`` on POSIX, ``LockFileEx`` on
Windows). The operating system drops the lock when the process ends in any way (exit, crash, ``SIGKILL``, power
loss), so "the lock can be taken" means "the writer is gone" — also after its process id was reused by another
program, which a bare pid check would get wrong. The lock's name (the *token*) is recorded on each reply the
process starts, until the reply ends.

Plain Python: no Qt, no torch.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from filelock import FileLock, Timeout

_TOKEN = re.compile(r"[0-9]+-[0-9a-f]{8}")
SUFFIX = ".lock"


def _lock(path: Path) -> FileLock:
    # thread_local=False: the lock belongs to the process, whichever thread releases it.
    return FileLock(path, thread_local=False)


class ReplyWriters:
    """The writer locks next to one database.

    Args:
        folder: where the lock files live (created on first use).

    Attributes:
        folder: the lock folder.
        token: this process's token once :meth:`claim` was called, else None.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.token: str | None = None
        self._lock: FileLock | None = None

    def claim(self) -> str:
        """This store's token, taking its lock on first use (before any reply carries it, so a reply that shows a
        token whose lock is free really has no writer).

        Raises:
            OSError: the lock folder cannot be created or the lock file cannot be written.
        """
        if self.token is not None:
            return self.token
        self.folder.mkdir(parents=True, exist_ok=True)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        lock = _lock(self.folder / f"{token}{SUFFIX}")
        try:
            # A fresh name: at most another store's clean-up probes it for a moment (and, if it removed the file
            # meanwhile, filelock notices the unlinked file and makes a new one).
            lock.acquire(timeout=2)
        except Timeout as exc:  # pragma: no cover - only with a clash of random names
            raise OSError(f"cannot lock {lock.lock_file}") from exc
        self._lock, self.token = lock, token
        return token

    def is_alive(self, token: object) -> bool:
        """True when the process that holds ``token`` still runs (always True for this store's own token).

        None, a malformed token, or one whose lock file is missing or can be locked, has no writer."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return False
        if token == self.token:
            return True
        path = self.folder / f"{token}{SUFFIX}"
        if not path.exists():
            return False
        probe = _lock(path)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        except OSError:
            return False  # cannot even open it: nobody is writing through it either
        probe.release()
        return False

    def remove_dead(self) -> int:
        """Delete the lock files of writers that are gone (their replies have been closed); returns how many."""
        removed = 0
        try:
            names = [p for p in self.folder.iterdir() if p.name.endswith(SUFFIX)]
        except OSError:
            return 0
        for path in names:
            token = path.name[: -len(SUFFIX)]
            if _TOKEN.fullmatch(token) and not self.is_alive(token):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed

    def release(self) -> None:
        """Drop this store's lock and delete its file (safe to call twice). Replies still carrying the token count
        as cut off from then on."""
        lock, self._lock, self.token = self._lock, None, None
        if lock is None:
            return
        with contextlib.suppress(OSError):
            lock.release()
        with contextlib.suppress(OSError):
            Path(lock.lock_file).unlink(missing_ok=True)
