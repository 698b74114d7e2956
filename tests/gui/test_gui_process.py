"""The real ``llmdesk`` process: it exits cleanly when told to stop while the engine starts and the model loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.2, 1.0, 4.0])
def test_sigterm_while_starting_or_loading_exits_cleanly(tiny_model_dir, delay_s):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "llmdesk", "--model", str(tiny_model_dir), "--device", "cpu"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # 0.2 s: Qt is still starting (no window yet); 1 s: the window is up and torch is being imported on the
        # worker thread; 4 s: the model is loading or loaded.
        time.sleep(delay_s)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "QThread" not in err and "Traceback" not in err, err


def test_window_shows_before_torch_is_imported():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "llmdesk", "--measure-startup"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "window shown" in done.stdout
    assert "heavy modules imported: none" in done.stdout


@pytest.mark.parametrize("argv, message", [
    (["--device", "gpu0"], "--device: must be auto, cpu"),
    (["--device", ""], "--device: must be auto, cpu"),
    (["--model", "  "], "--model: give a Hub id"),
])
def test_bad_window_flags_are_refused_before_any_window(argv, message, capsys):
    from llmdesk.__main__ import main

    assert main(argv) == 2
    assert message in capsys.readouterr().err
