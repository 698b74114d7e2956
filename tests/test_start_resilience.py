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
    files["recent"].unlink()
    os.mkfifo(files["recent"])
    assert dl.load_recent_models() == []  # returns at once instead of waiting for a writer
    assert not files["recent"].exists()


def test_ask_starts_with_damaged_settings(tiny_model_dir):
    _damage_everything()
    done = subprocess.run([sys.executable, "-m", "llmdesk", "ask", "--model", str(tiny_model_dir), "--device", "cpu",
                           "--max-new-tokens", "3", "--greedy", "Hi"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "decoding: must be an object, not None" in done.stderr


def test_font_database_warnings_stay_off_the_terminal():
    script = (
        "from llmdesk.gui.app import quiet_qt_messages\n"
        "quiet_qt_messages()\n"
        "from PySide6.QtCore import QLoggingCategory, qWarning\n"
        "qWarning('QFontDatabase: Cannot find font directory /x/lib/fonts.')\n"
        "qWarning('Note that Qt no longer ships fonts. Deploy some or switch to fontconfig.')\n"
        "qWarning('This plugin does not support propagateSizeHints()')\n"
        "qWarning('a message that matters')\n"
        "print(QLoggingCategory('qt.qpa.fonts').isWarningEnabled())\n")
    env = {k: v for k, v in _env().items() if k != "QT_LOGGING_RULES"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "a message that matters"
    assert done.stdout.strip() == "False"


def test_offline_ask_with_an_uncached_model_fails_at_once_without_retries(monkeypatch, capsys):
    """No network (an address that refuses connections, and a name that does not resolve): the clear message,
    and none of huggingface_hub's "Retrying in 8s" lines (the time is measured by hand, see the README)."""
    from llmdesk.__main__ import main

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for endpoint in ("http://127.0.0.1:9", "https://hub.invalid"):
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        rc = main(["ask", "--model", "someone/not-cached-model", "hi"])
        _, err = capsys.readouterr()
        assert rc == 1
        assert "'someone/not-cached-model' is not in the local Hugging Face cache" in err, err
        assert f"the Hub ({endpoint}) cannot be reached" in err and "local model folder" in err
        assert "Retrying" not in err


def test_engine_load_of_an_uncached_model_offline_is_an_offline_error(monkeypatch):
    from llmdesk.core.settings import ModelSettings
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.session import ChatEngine

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    try:
        ChatEngine().load(ModelSettings(model="someone/not-cached-model", device="cpu"))
    except EngineError as exc:
        assert exc.kind == "offline" and "cannot be reached" in str(exc)
    else:
        raise AssertionError("loading an uncached model offline must fail")


def test_every_command_that_reads_the_settings_says_when_the_file_was_moved_aside(tiny_model_dir, capsys):
    """``llmdesk prompt`` (like ``ask`` and the window) tells the user that a bad settings file was moved aside:
    a later start cannot, since the file is gone by then."""
    from llmdesk.__main__ import main
    from llmdesk.core import paths

    settings_file = paths.config_dir() / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text("not json")
    assert main(["prompt", "--model", str(tiny_model_dir), "Hi"]) == 0
    err = capsys.readouterr().err
    assert "moved to" in err and "settings.json.corrupt-" in err
