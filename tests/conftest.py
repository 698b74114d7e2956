"""Shared fixtures. Every test gets its own config, data and Hugging Face folders under tmp_path, runs offline,
and fails if it leaves a QThread running."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_PHI3 = Path(__file__).resolve().parents[1].parent / "shared" / "phi3-mini-4k-instruct"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point config, data and caches at tmp_path: no test touches the real user's files."""
    home = tmp_path / "home"
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                     ("HF_HOME", "hf")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture(autouse=True)
def _no_leftover_qthreads():
    """Fail a test that leaves a QThread running (only checked when Qt was imported)."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThread

    gc.collect()
    running = [obj for obj in gc.get_objects() if issubclass(type(obj), QThread) and _is_running(obj)]
    assert not running, f"test left {len(running)} QThread(s) running: {running}"


def _is_running(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is gone
        return False


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Phi-3 (hidden 64, 2 layers) saved with save_pretrained, with Phi-3's real tokenizer and
    chat template when ../shared/phi3-mini-4k-instruct is present, else a small tokenizer built here."""
    from tests.support.tiny import build_tiny_phi3

    return build_tiny_phi3(tmp_path_factory.mktemp("tiny-phi3"))
