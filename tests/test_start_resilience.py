"""Whatever is on disk, ``llmdesk`` and ``llmdesk ask`` start: damaged settings, recent-models list, window state
and database are moved aside or ignored, with a notice, and never end in a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llmdesk.core import paths

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT.parent / "shared" / "cases" / "09-settings-v1-null-decoding.json"


def _damage_everything() -> dict[str, Path]:
    config, data = paths.config_dir(), paths.data_dir()
    config.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    files = {
        "settings": paths.settings_path(),
        "recent": data / "recent_models.json",
        "qsettings": config / "llmdesk.conf",  # QSettings(APP_NAME, APP_NAME) on Linux
    }
    files["settings"].write_bytes(CASE.read_bytes() if CASE.exists() else b'{"temperature": 0.5, "decoding": null}')
    files["recent"].write_bytes(b"[" * 100_000 + b"]" * 100_000)
    files["qsettings"].write_bytes(b"[window]\ngeometry=@ByteArray(\x00\xff junk \x01\x02)\nstate=" + os.urandom(300)
                                   + b"\n\x00\x00[[[\n")
    return files


def _env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))


def test_window_starts_with_damaged_files_and_says_so():
    files = _damage_everything()
    done = subprocess.run([sys.executable, "-m", "llmdesk", "--measure-startup"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "window shown" in done.stdout
    assert "decoding: must be an object, not None" in done.stderr and "moved to settings.json.corrupt-" in done.stderr
    assert any(p.name.startswith("settings.json.corrupt-") for p in files["settings"].parent.iterdir())


def test_recent_models_junk_is_moved_aside():
    from llmdesk.engine import download as dl

    files = _damage_everything()
    assert dl.load_recent_models() == []
    assert not files["recent"].exists()
    assert any(p.name.startswith("recent_models.json.corrupt-") for p in files["recent"].parent.iterdir())
    files["recent"].write_bytes(bytes(range(256)))
    assert dl.load_recent_models() == []
    files["recent"].write_text(json.dumps(["ok/model", None, 3, "", {"a": 1}, "x" * 5000]))
    assert dl.load_recent_models() == ["ok/model"]


def test_ask_starts_with_damaged_settings(tiny_model_dir):
    _damage_everything()
    done = subprocess.run([sys.executable, "-m", "llmdesk", "ask", "--model", str(tiny_model_dir), "--device", "cpu",
                           "--max-new-tokens", "3", "--greedy", "Hi"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "decoding: must be an object, not None" in done.stderr
