"""A real ``llmdesk`` window process (``tests/support/window_child.py``: the real main with the scripted engine)
whose stdout report lines are collected as they come; for the process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "support" / "window_child.py"


def env(**extra: str) -> dict[str, str]:
    """The test's own profile (conftest points XDG_* at tmp_path), offscreen, this checkout first."""
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), **extra)


class Window:
    """A window process whose stdout lines are collected as they come."""

    def __init__(self, *argv: str, **extra_env: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(CHILD), *argv], cwd=ROOT, env=env(**extra_env),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, list[str]]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.split(maxsplit=1)))

    def find(self, kind: str) -> list[str]:
        return [words[1].strip() if len(words) > 1 else "" for _t, words in list(self.lines) if words[0] == kind]

    def wait_for(self, kind: str, value: str | None = None, timeout: float = 90.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            hits = [v for v in self.find(kind) if value is None or v == value]
            if hits:
                return hits[0]
            if self.proc.poll() is not None:
                raise AssertionError(f"the window exited ({self.proc.returncode}) before {kind} {value or ''}: "
                                     f"{self.proc.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {kind} {value or ''} in time; got {self.lines}")
            time.sleep(0.02)

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _out, err = self.proc.communicate(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(10)
        return self.proc.returncode, err
