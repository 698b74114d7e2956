"""The window through the real accessibility bus (AT-SPI), as a screen reader sees it: under Xvfb and a private
D-Bus session, with Qt's accessibility on, a driver that speaks only AT-SPI (tests/support/atspi_driver.py) finds
the message box, Send, Stop, the settings fields, the conversation list and the messages by their roles and
accessible names, sends a message by AT-SPI actions alone, reads both messages back and hears the finished reply
announced.

Needs ``dbus-run-session``, ``xvfb-run`` and a Python with ``pyatspi`` (Debian/Ubuntu: ``apt-get install
at-spi2-core dbus xvfb python3-pyatspi gir1.2-atspi-2.0``; the driver runs under that Python, the window under
this one). Skipped, saying which is missing, where they are not there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "tests" / "support"


def _atspi_python() -> str | None:
    """A Python interpreter that can import pyatspi: this one, or the system's."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run([candidate, "-c", "import pyatspi"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return candidate
    return None


def _missing() -> str | None:
    for tool, package in (("dbus-run-session", "dbus"), ("xvfb-run", "xvfb"), ("Xvfb", "xvfb"), ("xauth", "xauth")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {package})"
    if not any(Path(p).exists() for p in ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher")):
        return "the AT-SPI bus launcher is not installed (apt-get install at-spi2-core)"
    return None


@pytest.mark.slow
def test_a_message_is_sent_and_read_back_through_atspi_alone(tmp_path):
    missing = _missing()
    if missing:
        pytest.skip(f"AT-SPI test needs a D-Bus session and an X server: {missing}")
    python = _atspi_python()
    if python is None:
        pytest.skip("AT-SPI test needs pyatspi in this Python or the system's /usr/bin/python3 "
                    "(apt-get install python3-pyatspi gir1.2-atspi-2.0)")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
               QT_ACCESSIBILITY="1", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"), LLMDESK_CHILD_TOKENS="40", LLMDESK_CHILD_RATE="20")
    (tmp_path / "run").mkdir(mode=0o700)
    command = ["dbus-run-session", "--", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24", python,
               str(SUPPORT / "atspi_driver.py"), sys.executable, str(SUPPORT / "window_child.py")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the driver printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    result = json.loads(lines[-1])
    assert result["error"] is None, json.dumps(result, indent=1)
    assert all(result["found"].values()), result["found"]
    assert result["stop_seen"], result
    assert result["user_text"] == "Hello from the accessibility bus", result
    assert result["reply_text"].strip(), result
    assert result["reply_name"].startswith("Assistant reply, finished"), result
    # the finished reply is announced to screen readers (an AT-SPI "announcement" event from the chat view)
    assert any("Reply finished" in text for text in result["announcements"]), result["announcements"]
