"""A database that cannot be used is moved aside with its -wal/-shm/-journal files, never overwritten."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"


def _is_busy(exc: sqlite3.Error) -> bool:
    """True for "database is locked/busy": another connection holds it; the file itself is fine."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` and its -wal/-shm/-journal files to ``<name>.<label>-<stamp>[-n]`` (never over an existing
    file) and return the new path of the database file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        suffix = f".{label}-{stamp}" + (f"-{n}" if n > 1 else "")
        target = path.with_name(path.name + suffix)
        if not target.exists() and not any(p.exists() for p in _sidecars(target)):
            break
        n += 1
    moves = [(path, target)] + [(src, dst) for src, dst in zip(_sidecars(path), _sidecars(target)) if src.exists()]
    for src, dst in moves:
        if src.exists():
            os.rename(src, dst)  # the loop above made sure that no file is at dst, so nothing is replaced
    return target
