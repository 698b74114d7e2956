"""The first run in the window, against the loopback Hub stand-in (tests/support/hub_stub.py): a model that is not
downloaded shows its size and a Download button instead of loading; Download shows progress and then loads it;
cancel keeps the partial file and Download resumes; offline and not cached offers a local folder; a load that fails
because the model is missing offers the same; Model → Choose model… loads through the same path; closing the window
mid-download stops the download thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QPushButton

from llmdesk.core.settings import ModelSettings, Settings
from llmdesk.engine import download as dl
from llmdesk.engine.errors import EngineError
from llmdesk.gui.app import build_window
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.window import ChatWindow
from tests.support.hub_stub import REPO, WEIGHTS, HubStub, serve_tiny_model
from tests.gui.test_gui_chat import backend_for


@pytest.fixture
def hub(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """The stand-in Hub, also for transformers on the model thread: huggingface_hub read HF_ENDPOINT and HF_HOME
    when it was first imported (an earlier test's), while the downloader reads them at each call."""
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(dl.hub_cache_dir()))
    for stub in serve_tiny_model(monkeypatch, tiny_model_dir):
        monkeypatch.setattr(hub_constants, "ENDPOINT", stub.url)
        monkeypatch.setattr(hub_constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                            stub.url + "/{repo_id}/resolve/{revision}/{filename}")
        yield stub


def _start(qtbot, window: ChatWindow) -> ChatWindow:
    qtbot.addWidget(window)
    window.resize(1000, 720)
    window.show()
    window.start()
    return window


def real_window(qtbot, model: str) -> ChatWindow:
    settings = Settings()
    settings.decoding.max_new_tokens = 3
    window = build_window(settings, initial_model=ModelSettings(model=model, device="cpu", dtype="float32"),
                          open_default_store=False, save=None, remember_geometry=False, hub_timeout=5.0)
    return _start(qtbot, window)


def scripted_window(qtbot, engine: ScriptedEngine, model: str = REPO) -> ChatWindow:
    settings = Settings()
    settings.model.model = model
    controller = ChatController(backend_factory=backend_for(engine))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False, check_downloads=True,
                        hub_timeout=5.0)
    return _start(qtbot, window)


def _wait_state(qtbot, window: ChatWindow, state: str, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: window.first_run is not None and window.first_run.panel is not None
                    and window.first_run.panel.state == state, timeout=timeout)


def _close(window: ChatWindow) -> None:
    window.close()
    assert not window.controller.running
    assert window.first_run is None or not window.first_run.running


@pytest.mark.slow
def test_first_run_shows_the_size_downloads_with_progress_then_loads_and_chats(qtbot, hub: HubStub) -> None:
    window = real_window(qtbot, REPO)
    _wait_state(qtbot, window, "needs_download")
    panel = window.first_run.panel
    frame = window.first_run.frame
    assert frame.isVisible() and "not downloaded" in frame.heading.text()
    avail = panel.availability
    assert avail is not None and avail.missing_bytes > 0
    assert dl.format_bytes(avail.missing_bytes) in panel.message_label.text()
    assert panel.download_button.isVisible() and panel.download_button.isEnabled()
    assert window.controller.model_info is None and not window.controller.loading  # nothing loads before Download
    assert window.model_label.text() == "Model not downloaded"

    details: list[str] = []
    panel.service.progress.connect(lambda _rid, p: details.append(p.describe()))
    hub.delay_s = 0.001
    panel.download_button.click()
    qtbot.waitUntil(lambda: window.controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert window.controller.model_info is not None, window.banner.label.text()
    assert window.controller.model_info.model_id == REPO
    assert any(" of " in d and "/s" in d for d in details), details[-3:]
    assert not frame.isVisible()
    assert dl.cached_snapshot(REPO) is not None
    with qtbot.waitSignal(window.controller.reply_finished, timeout=120_000) as finished:
        window.send("Hello")
    assert finished.args[0].stop_reason in ("length", "eos"), finished.args[0].meta
    _close(window)


def test_cached_model_loads_without_the_panel(qtbot, hub: HubStub) -> None:
    dl.download_model(REPO)  # already downloaded before the window starts
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine)
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=20_000)
    assert window.controller.model_info.model_id == REPO
    assert not window.first_run.frame.isVisible()
    _close(window)


def test_cancel_mid_download_keeps_the_partial_file_and_download_resumes(qtbot, hub: HubStub) -> None:
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine)
    _wait_state(qtbot, window, "needs_download")
    panel = window.first_run.panel
    size = len(hub.repos[REPO].files[WEIGHTS])
    hub.delay_s = 0.003
    halfway = threading.Event()
    panel.service.progress.connect(
        lambda _rid, p: halfway.set() if p.file == WEIGHTS and p.done_bytes > p.total_bytes - size // 2 else None)
    panel.download_button.click()
    assert window.model_label.text() == "Downloading the model…"
    qtbot.waitUntil(halfway.is_set, timeout=30_000)
    panel.cancel_button.click()
    _wait_state(qtbot, window, "cancelled")
    qtbot.waitUntil(lambda: panel.availability is not None and panel.availability.resumable_bytes > 0,
                    timeout=10_000)
    partial = panel.availability.resumable_bytes
    assert window.first_run.frame.isVisible() and window.controller.model_info is None
    assert panel.download_button.text() == "Resume download"

    hub.delay_s = 0
    panel.download_button.click()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=30_000)
    assert window.controller.model_info.model_id == REPO
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={partial}-"]
    assert not window.first_run.frame.isVisible()
    _close(window)


def test_offline_and_not_cached_says_so_and_a_local_folder_loads(qtbot, tiny_model_dir: Path, monkeypatch) -> None:
    # conftest: HF_HUB_OFFLINE=1 and an empty cache; the real engine loads the folder
    window = real_window(qtbot, "some-org/some-model")
    _wait_state(qtbot, window, "offline")
    panel = window.first_run.panel
    assert window.first_run.frame.isVisible()
    assert "HF_HUB_OFFLINE" in panel.message_label.text()
    assert panel.folder_button.isVisible() and window.first_run.frame.choose_button.isVisible()
    assert window.controller.model_info is None and not window.controller.loading
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tiny_model_dir))
    panel.folder_button.click()
    qtbot.waitUntil(lambda: window.controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert window.controller.model_info is not None, window.banner.label.text()
    assert window.controller.model_info.model_id == str(tiny_model_dir)
    assert not window.first_run.frame.isVisible()
    _close(window)


def test_load_failing_for_a_missing_model_offers_a_folder_and_the_picker(qtbot, tiny_model_dir: Path,
                                                                          monkeypatch) -> None:
    engine = ScriptedEngine()
    engine.load_error = EngineError("offline", "No network and the model is not in the cache.", "")
    window = scripted_window(qtbot, engine, model=str(tiny_model_dir))  # a folder: no check, the load fails
    qtbot.waitUntil(window.banner.isVisible, timeout=10_000)
    buttons = {b.text(): b for b in window.banner.findChildren(QPushButton)}
    assert "Choose a local folder…" in buttons and "Choose model…" in buttons
    engine.load_error = None
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tiny_model_dir))
    buttons["Choose a local folder…"].click()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=10_000)
    assert not window.banner.isVisible()
    _close(window)


def test_choose_model_dialog_loads_and_remembers_the_model(qtbot, tiny_model_dir: Path) -> None:
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine, model=str(tiny_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=10_000)
    window.choose_model_action.trigger()
    dialog = window.model_picker_dialog
    assert dialog is not None and dialog.isVisible()
    picker = dialog.picker
    picker.model_edit.setText(str(tiny_model_dir))
    qtbot.waitUntil(picker.load_button.isEnabled, timeout=10_000)
    qtbot.waitUntil(lambda: "est" in picker.estimate_label.text(), timeout=10_000)  # the window's estimator
    picker.dtype_combo.setCurrentIndex(picker.dtype_combo.findData("bfloat16"))
    with qtbot.waitSignal(window.controller.model_loaded, timeout=10_000):
        picker.load_button.click()
    assert window.model_picker_dialog is None
    assert window.settings.model.model == str(tiny_model_dir) and window.settings.model.dtype == "bfloat16"
    assert dl.load_recent_models()[0] == str(tiny_model_dir)
    _close(window)


def test_loading_a_hub_id_that_is_not_cached_goes_through_the_panel(qtbot, hub: HubStub,
                                                                               tiny_model_dir: Path) -> None:
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine, model=str(tiny_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=10_000)
    # a Hub id typed in Load from settings: not cached, so the panel asks first
    window.load_model(ModelSettings(model=REPO, device="cpu", dtype="float32"))
    _wait_state(qtbot, window, "needs_download")
    assert window.controller.model_info.model_id == str(tiny_model_dir)  # the loaded model stays until then
    with qtbot.waitSignal(window.controller.model_loaded, timeout=30_000):
        window.first_run.panel.download_button.click()
    assert window.controller.model_info.model_id == REPO
    _close(window)


def test_closing_mid_download_stops_the_download_thread(qtbot, hub: HubStub) -> None:
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine)
    _wait_state(qtbot, window, "needs_download")
    panel = window.first_run.panel
    hub.delay_s = 0.005
    started = threading.Event()
    panel.service.progress.connect(lambda _rid, p: started.set() if p.done_bytes > 0 else None)
    panel.download_button.click()
    qtbot.waitUntil(started.is_set, timeout=30_000)
    assert panel.service.downloading
    window.close()
    assert not window.first_run.running and not window.controller.running
    assert dl.cached_snapshot(REPO) is None  # cancelled, not finished
    storage = dl.hub_cache_dir() / ("models--" + REPO.replace("/", "--")) / "blobs"
    assert any(p.name.endswith(".incomplete") for p in storage.iterdir())  # kept for the next run


def test_choosing_a_local_folder_mid_download_stops_the_download_and_loads_the_folder(
        qtbot, hub: HubStub, tiny_model_dir: Path, monkeypatch) -> None:
    engine = ScriptedEngine()
    window = scripted_window(qtbot, engine)
    _wait_state(qtbot, window, "needs_download")
    panel = window.first_run.panel
    hub.delay_s = 0.005
    started = threading.Event()
    panel.service.progress.connect(lambda _rid, p: started.set() if p.done_bytes > 0 else None)
    panel.download_button.click()
    qtbot.waitUntil(started.is_set, timeout=30_000)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tiny_model_dir))
    panel.folder_button.click()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=10_000)
    assert window.controller.model_info.model_id == str(tiny_model_dir)
    _wait_state(qtbot, window, "cancelled")
    qtbot.wait(200)
    assert not window.first_run.frame.isVisible() and not panel.service.downloading
    _close(window)
