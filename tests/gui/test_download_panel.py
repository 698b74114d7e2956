"""The download panel against the loopback Hub stand-in: size shown, progress (bytes, speed, time left), cancel,
resume, offline message with a way to pick a folder, and a window that never waits for the network."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from llmdesk.engine import download as dl
from llmdesk.gui.models.download_panel import DownloadPanel, HubService
from tests.support.hub_stub import REPO, WEIGHTS, HubStub, allow_network, serve_tiny_model


@pytest.fixture
def hub(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    yield from serve_tiny_model(monkeypatch, tiny_model_dir)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_network(monkeypatch)


@pytest.fixture
def panel(qtbot):
    widget = DownloadPanel(timeout=2.0)
    qtbot.addWidget(widget)
    widget.resize(640, 220)
    widget.show()
    yield widget
    assert widget.shutdown(10_000)


def _wait_state(qtbot, panel: DownloadPanel, state: str, timeout: int = 15_000) -> None:
    qtbot.waitUntil(lambda: panel.state == state, timeout=timeout)


def test_needs_download_then_downloads_with_progress(qtbot, panel: DownloadPanel, hub: HubStub) -> None:
    panel.check(REPO)
    assert panel.state == "checking"  # answered later, from the look-up thread
    _wait_state(qtbot, panel, "needs_download")
    avail = panel.availability
    assert avail is not None and avail.missing_bytes > 0
    assert dl.format_bytes(avail.missing_bytes) in panel.message_label.text()
    assert panel.download_button.isVisible() and panel.download_button.isEnabled()
    assert not panel.cancel_button.isVisible()

    hub.delay_s = 0.001
    details: list[str] = []
    panel.service.progress.connect(lambda _rid, p: details.append(panel.detail_label.text()))
    with qtbot.waitSignal(panel.model_ready, timeout=30_000) as ready:
        panel.download_button.click()
        assert panel.state == "downloading" and panel.cancel_button.isVisible()
    model, path = ready.args
    assert model == REPO
    assert (Path(path) / WEIGHTS).is_file()
    assert panel.state == "ready"
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    assert any(" of " in d and "/s" in d and "left" in d for d in details), details[-3:]
    assert not panel.download_button.isVisible()


def test_cancel_keeps_the_partial_file_and_resume_continues(qtbot, panel: DownloadPanel, hub: HubStub) -> None:
    size = len(hub.repos[REPO].files[WEIGHTS])
    panel.check(REPO)
    _wait_state(qtbot, panel, "needs_download")
    hub.delay_s = 0.003
    fraction = threading.Event()
    panel.service.progress.connect(
        lambda _rid, p: fraction.set() if p.file == WEIGHTS and p.done_bytes > p.total_bytes - size // 2 else None)
    panel.download_button.click()
    qtbot.waitUntil(fraction.is_set, timeout=30_000)
    panel.cancel_button.click()
    _wait_state(qtbot, panel, "cancelled")
    qtbot.waitUntil(lambda: panel.availability is not None and panel.availability.resumable_bytes > 0,
                    timeout=10_000)
    partial = panel.availability.resumable_bytes
    assert "cancelled" in panel.message_label.text().lower()
    assert panel.download_button.text() == "Resume download" and panel.download_button.isEnabled()

    hub.delay_s = 0
    with qtbot.waitSignal(panel.model_ready, timeout=30_000):
        panel.download_button.click()
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={partial}-"]


def test_offline_and_not_cached_offers_a_local_folder(qtbot, panel: DownloadPanel) -> None:
    panel.check("some-org/some-model")  # conftest: HF_HUB_OFFLINE=1, empty cache
    _wait_state(qtbot, panel, "offline")
    assert "HF_HUB_OFFLINE" in panel.message_label.text()
    assert "local model folder" in panel.hint_label.text()
    assert panel.folder_button.isVisible() and panel.folder_button.property("role") == "primary"
    assert panel.retry_button.isVisible() and not panel.download_button.isVisible()


def test_local_folder_is_ready_at_once(qtbot, panel: DownloadPanel, tiny_model_dir: Path) -> None:
    with qtbot.waitSignal(panel.model_ready, timeout=10_000) as ready:
        panel.check(str(tiny_model_dir))
    assert ready.args == [str(tiny_model_dir), str(tiny_model_dir.resolve())]
    assert panel.state == "ready" and not panel.progress_bar.isVisible()


def test_unresponsive_hub_does_not_block_the_window(qtbot, online: None, monkeypatch, panel) -> None:
    stub = HubStub(stall=True)
    monkeypatch.setenv("HF_ENDPOINT", stub.url)
    try:
        ticks: list[int] = []
        from PySide6.QtCore import QTimer

        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(20)
        panel.check("some-org/some-model")
        assert panel.state == "checking"
        _wait_state(qtbot, panel, "offline", timeout=15_000)  # the 2 s timeout of the panel's service
        timer.stop()
        assert len(ticks) > 10  # the event loop kept running while the look-up waited
        assert "Could not reach" in panel.message_label.text()
    finally:
        stub.close()


def test_shutdown_during_a_download_cancels_it(qtbot, panel: DownloadPanel, hub: HubStub) -> None:
    panel.check(REPO)
    _wait_state(qtbot, panel, "needs_download")
    hub.delay_s = 0.01
    with qtbot.waitSignal(panel.service.progress, timeout=10_000):
        panel.download_button.click()
    assert panel.shutdown(10_000)
    assert not panel.service.running


def test_choose_local_folder_when_offline(qtbot, panel: DownloadPanel, tiny_model_dir: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    panel.check("some-org/some-model")
    _wait_state(qtbot, panel, "offline")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tiny_model_dir))
    with qtbot.waitSignals([panel.local_folder_chosen, panel.model_ready], timeout=10_000):
        panel.folder_button.click()
    assert panel.state == "ready"


def test_shared_service_is_left_to_its_owner(qtbot) -> None:
    service = HubService(timeout=2.0)
    widget = DownloadPanel(service)
    qtbot.addWidget(widget)
    assert widget.shutdown() and service.running  # not the panel's to stop
    assert service.shutdown(10_000) and not service.running
