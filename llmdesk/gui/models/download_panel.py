"""The first-run download: a panel that says whether the chosen model is here, how much must be downloaded, and
downloads it on request with a progress bar (bytes, speed, time left), cancel, and resume.

All network and disk work runs in :class:`HubService`, which owns two long-lived QThreads: one for quick lookups
(availability checks, cache scans, memory estimates) and one for downloads, so a look-up never waits behind a
multi-gigabyte download. The GUI thread only sends requests and receives plain data through queued signals; every
request ends in exactly one result or ``failed`` signal, carrying its request id, and stale results are ignored.
A cancel sets a ``threading.Event`` that the downloader checks between network reads.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from llmdesk.engine import download as dl
from llmdesk.engine.errors import EngineError
from llmdesk.gui.engine_text import translate_engine_text
from llmdesk.gui.i18n import format_bytes, format_duration

SHUTDOWN_TIMEOUT_MS = 15_000


class HubWorker(QObject):
    """Runs look-ups and downloads on the thread it was moved to; knows no widgets.

    Signals:
        checked(int, object): request id, :class:`~llmdesk.engine.download.ModelAvailability`.
        progress(int, object): request id, :class:`~llmdesk.engine.download.DownloadProgress`.
        downloaded(int, str): request id, the folder to load the model from.
        cached_listed(int, list): request id, list of :class:`~llmdesk.engine.download.CachedModel`.
        estimated(int, object): request id, the estimator's result (``.message``, ``.fits``).
        failed(int, str, str, str): request id, kind ("cancelled" for a cancel), message, hint.
    """

    checked = Signal(int, object)
    progress = Signal(int, object)
    downloaded = Signal(int, str)
    cached_listed = Signal(int, list)
    estimated = Signal(int, object)
    failed = Signal(int, str, str, str)

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def _fail(self, rid: int, exc: BaseException) -> None:
        if isinstance(exc, dl.DownloadCancelled):
            self.failed.emit(rid, "cancelled", str(exc), "Download again to continue where it stopped.")
        elif isinstance(exc, EngineError):
            self.failed.emit(rid, exc.kind, exc.args[0] if exc.args else str(exc), exc.hint)
        else:
            traceback.print_exc()
            self.failed.emit(rid, "error", f"{type(exc).__name__}: {exc}", "")

    @Slot(int, str, str)
    def run_check(self, rid: int, model: str, revision: str) -> None:
        try:
            self.checked.emit(rid, dl.check_model(model, revision, timeout=self._timeout))
        except Exception as exc:  # noqa: BLE001 - every request ends in a signal
            self._fail(rid, exc)

    @Slot(int, object, object)
    def run_download(self, rid: int, availability: dl.ModelAvailability, cancel: threading.Event) -> None:
        try:
            path = dl.download_model(availability.model, availability.revision, availability=availability,
                                     cancel=cancel, timeout=self._timeout,
                                     progress=lambda p: self.progress.emit(rid, p))
            self.downloaded.emit(rid, str(path))
        except Exception as exc:  # noqa: BLE001 - every request ends in a signal
            self._fail(rid, exc)

    @Slot(int)
    def run_list_cached(self, rid: int) -> None:
        try:
            self.cached_listed.emit(rid, dl.list_cached_models())
        except Exception as exc:  # noqa: BLE001 - every request ends in a signal
            self._fail(rid, exc)

    @Slot(int, object, object)
    def run_estimate(self, rid: int, settings: Any, estimator: Callable[[Any], Any]) -> None:
        try:
            self.estimated.emit(rid, estimator(settings))
        except Exception as exc:  # noqa: BLE001 - every request ends in a signal
            self._fail(rid, exc)


class HubService(QObject):
    """Owns the look-up and download threads and routes requests to them.

    Call :meth:`shutdown` before the application quits (the widgets below do it when they close).

    Signals:
        checked(int, object): an availability check finished (ModelAvailability).
        progress(int, object): download progress (DownloadProgress), about 10 times a second at most.
        downloaded(int, str): a download finished; the folder to load from.
        cached_listed(int, list): the models in the local Hugging Face cache.
        estimated(int, object): a memory estimate.
        failed(int, str, str, str): a request failed or was cancelled: id, kind, message, hint.
    """

    checked = Signal(int, object)
    progress = Signal(int, object)
    downloaded = Signal(int, str)
    cached_listed = Signal(int, list)
    estimated = Signal(int, object)
    failed = Signal(int, str, str, str)

    _check = Signal(int, str, str)
    _download = Signal(int, object, object)
    _list_cached = Signal(int)
    _estimate = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None, *, timeout: float = dl.DEFAULT_TIMEOUT_S) -> None:
        super().__init__(parent)
        self._next_id = 0
        self._download_rid: int | None = None
        self._cancel: threading.Event | None = None
        self._threads: list[QThread] = []
        self._workers: list[HubWorker] = []
        lookup = self._spawn("llmdesk-hub-lookup", timeout)
        loader = self._spawn("llmdesk-hub-download", timeout)
        self._check.connect(lookup.run_check)
        self._list_cached.connect(lookup.run_list_cached)
        self._estimate.connect(lookup.run_estimate)
        self._download.connect(loader.run_download)
        self.downloaded.connect(self._download_ended)
        self.failed.connect(self._download_ended)

    def _spawn(self, name: str, timeout: float) -> HubWorker:
        thread = QThread()
        thread.setObjectName(name)
        worker = HubWorker(timeout)
        worker.moveToThread(thread)
        thread.finished.connect(worker.deleteLater)
        for signal in ("checked", "progress", "downloaded", "cached_listed", "estimated", "failed"):
            getattr(worker, signal).connect(getattr(self, signal))
        thread.start()
        self._threads.append(thread)
        self._workers.append(worker)
        return worker

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def downloading(self) -> bool:
        return self._download_rid is not None

    def check(self, model: str, revision: str = "main") -> int:
        """Ask where ``model`` is and what a download would take; answered by ``checked`` or ``failed``."""
        rid = self._new_id()
        self._check.emit(rid, model, revision)
        return rid

    def download(self, availability: dl.ModelAvailability) -> int:
        """Download what ``availability`` says is missing; answered by ``downloaded`` or ``failed``.

        Raises:
            RuntimeError: a download is already running.
        """
        if self.downloading:
            raise RuntimeError("a download is already running")
        rid = self._new_id()
        self._download_rid = rid
        self._cancel = threading.Event()
        self._download.emit(rid, availability, self._cancel)
        return rid

    def cancel_download(self) -> bool:
        """Stop the running download after its current network read; False when none runs."""
        if self._cancel is None or not self.downloading:
            return False
        self._cancel.set()
        return True

    def list_cached(self) -> int:
        rid = self._new_id()
        self._list_cached.emit(rid)
        return rid

    def estimate(self, settings: Any, estimator: Callable[[Any], Any]) -> int:
        """Run ``estimator(settings)`` on the look-up thread (it may import torch there)."""
        rid = self._new_id()
        self._estimate.emit(rid, settings, estimator)
        return rid

    @Slot(int)
    def _download_ended(self, rid: int, *_: Any) -> None:
        if rid == self._download_rid:
            self._download_rid = None
            self._cancel = None

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Cancel a running download and stop both threads; True when they stopped within ``timeout_ms``."""
        if self._cancel is not None:
            self._cancel.set()
        stopped = True
        for thread in self._threads:
            thread.quit()
        for thread in self._threads:
            stopped = thread.wait(timeout_ms) and stopped
        return stopped

    @property
    def running(self) -> bool:
        return any(t.isRunning() for t in self._threads)


class DownloadPanel(QWidget):
    """Says whether a model is here and downloads it on request.

    States (:attr:`state`): "idle", "checking", "ready" (local or cached), "needs_download", "downloading",
    "cancelled" (resumable), "failed", "offline" (not cached and no network: pick a local folder).

    Signals:
        availability_changed(object): a check finished (ModelAvailability), or None when it failed or restarted.
        model_ready(str, str): the model (as asked) and the folder to load it from, after a check or download.
        local_folder_chosen(str): the user picked a local model folder instead.
        state_changed(str): the new state.
    """

    availability_changed = Signal(object)
    model_ready = Signal(str, str)
    local_folder_chosen = Signal(str)
    state_changed = Signal(str)

    def __init__(self, service: HubService | None = None, parent: QWidget | None = None, *,
                 timeout: float = dl.DEFAULT_TIMEOUT_S) -> None:
        """``service``: share one with other widgets (its owner shuts it down); without one the panel makes its
        own, with network ``timeout`` seconds, and stops it in :meth:`shutdown` or when closed."""
        super().__init__(parent)
        self._owns_service = service is None
        self.service = service or HubService(self, timeout=timeout)
        self.state = "idle"
        self.availability: dl.ModelAvailability | None = None
        self._model = ""
        self._revision = "main"
        self._check_rid: int | None = None
        self._download_rid: int | None = None
        self._after_cancel = False

        self.title_label = QLabel("")
        self.title_label.setObjectName("downloadTitle")
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel("")
        self.hint_label.setWordWrap(True)
        self.hint_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hint_label.setProperty("role", "muted")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.detail_label = QLabel("")
        self.detail_label.setProperty("role", "muted")
        self.file_label = QLabel("")
        self.file_label.setProperty("role", "muted")
        self.file_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setProperty("role", "primary")
        self.download_button.setToolTip(self.tr("Download the model into the Hugging Face cache"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the download; the next download continues where it stopped"))
        self.retry_button = QPushButton(self.tr("Check again"))
        self.folder_button = QPushButton(self.tr("Choose local folder…"))
        self.folder_button.setToolTip(self.tr("Load a model from a folder with config.json, tokenizer and weights"))

        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.retry_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.progress_bar)
        row = QHBoxLayout()
        row.addWidget(self.detail_label)
        row.addStretch(1)
        row.addWidget(self.file_label, 1, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(row)
        layout.addLayout(buttons)

        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button.clicked.connect(lambda: self.check(self._model, self._revision))
        self.folder_button.clicked.connect(self._choose_folder)
        self.service.checked.connect(self._on_checked)
        self.service.progress.connect(self._on_progress)
        self.service.downloaded.connect(self._on_downloaded)
        self.service.failed.connect(self._on_failed)
        self._set_state("idle")

    # ----------------------------------------------------------------------------------------------- requests

    def check(self, model: str, revision: str = "main") -> None:
        """Find out whether ``model`` is here (answer from disk) or how much must be downloaded (one Hub request)."""
        if self.service.downloading:
            return  # the download's own result decides what comes next
        self._model, self._revision = model.strip(), revision
        self._after_cancel = False
        self.availability = None
        self.availability_changed.emit(None)
        if not self._model:
            self._set_state("idle")
            return
        self._check_rid = self.service.check(self._model, revision)
        self.title_label.setText(self._model)
        self.message_label.setText(self.tr("Looking for the model…"))
        self.hint_label.setText("")
        self._set_state("checking")

    @Slot()
    def start_download(self) -> None:
        if self.availability is None or not self.availability.needs_download or self.service.downloading:
            return
        self._download_rid = self.service.download(self.availability)
        done = self.availability.total_bytes - self.availability.missing_bytes
        self._show_progress(done, self.availability.total_bytes)
        self.detail_label.setText(self.tr("Connecting…"))
        self.message_label.setText(self.tr("Downloading {model} into {folder}…").format(
            model=self.availability.model, folder=self.availability.cache_dir))
        self.hint_label.setText("")
        self._set_state("downloading")

    @Slot()
    def cancel(self) -> None:
        if self.service.cancel_download():
            self.detail_label.setText(self.tr("Cancelling…"))
            self.cancel_button.setEnabled(False)

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Stop the service's threads if this panel made the service; True when stopped."""
        return self.service.shutdown(timeout_ms) if self._owns_service else True

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    # ----------------------------------------------------------------------------------------------- results

    @Slot(int, object)
    def _on_checked(self, rid: int, avail: dl.ModelAvailability) -> None:
        if rid != self._check_rid:
            return
        self._check_rid = None
        after_cancel, self._after_cancel = self._after_cancel, False
        self.availability = avail
        self.availability_changed.emit(avail)
        self.message_label.setText(self.describe_availability(avail))
        if avail.needs_download:
            self._show_progress(avail.total_bytes - avail.missing_bytes, avail.total_bytes)
            self.detail_label.setText(self.tr("{size} to download").format(size=format_bytes(avail.missing_bytes)))
            self.hint_label.setText(self.tr("Files go into the standard Hugging Face cache, shared with other tools."))
            if after_cancel:
                self.message_label.setText(self.tr("Download cancelled.") + " " + self.describe_availability(avail))
                self.detail_label.setText(self.tr("What was downloaded is kept; the download continues from there."))
                self.hint_label.setText("")
            self._set_state("cancelled" if after_cancel else "needs_download")
        else:
            self._set_state("ready")
            self.model_ready.emit(avail.model, str(avail.path))

    @Slot(int, object)
    def _on_progress(self, rid: int, progress: dl.DownloadProgress) -> None:
        if rid != self._download_rid:
            return
        self._show_progress(progress.done_bytes, progress.total_bytes)
        self.detail_label.setText(describe_progress(progress))
        self.file_label.setText(f"{progress.file} ({progress.file_index}/{progress.file_count})")

    @Slot(int, str)
    def _on_downloaded(self, rid: int, path: str) -> None:
        if rid != self._download_rid:
            return
        self._download_rid = None
        avail = self.availability
        model = avail.model if avail else self._model
        self.availability = dl.ModelAvailability(model, "cached", Path(path), self._revision,
                                                 avail.commit if avail else None,
                                                 total_bytes=avail.total_bytes if avail else 0,
                                                 cache_dir=avail.cache_dir if avail else None)
        self.availability_changed.emit(self.availability)
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.message_label.setText(self.tr("{model} is downloaded ({size}).").format(
            model=model, size=format_bytes(self.availability.total_bytes)))
        self.detail_label.setText(self.tr("Done"))
        self.file_label.setText("")
        self._set_state("ready")
        self.model_ready.emit(model, path)

    @Slot(int, str, str, str)
    def _on_failed(self, rid: int, kind: str, message: str, hint: str) -> None:
        if rid == self._check_rid:
            self._check_rid = None
            self.message_label.setText(translate_engine_text(message))
            self.hint_label.setText(translate_engine_text(hint))
            self._set_state("offline" if kind == "offline" else "failed")
        elif rid == self._download_rid:
            self._download_rid = None
            self.file_label.setText("")
            if kind == "cancelled":
                self.message_label.setText(self.tr("Download cancelled."))
                self.detail_label.setText(self.tr("What was downloaded is kept; the download continues from there."))
                self.hint_label.setText("")
                self._set_state("cancelled")
                # refresh what is missing (the partial file counts) without leaving the cancelled state
                self._after_cancel = True
                self._check_rid = self.service.check(self._model, self._revision)
            else:
                self.message_label.setText(translate_engine_text(message))
                self.hint_label.setText(translate_engine_text(hint))
                self.detail_label.setText("")
                self._set_state("offline" if kind == "offline" else "failed")

    # ----------------------------------------------------------------------------------------------- view

    def _show_progress(self, done: int, total: int) -> None:
        self.progress_bar.setValue(int(1000 * done / total) if total else 0)

    def _set_state(self, state: str) -> None:
        self.state = state
        downloadable = state in ("needs_download", "cancelled") and bool(self.availability
                                                                         and self.availability.needs_download)
        self.download_button.setVisible(state in ("needs_download", "cancelled"))
        self.download_button.setEnabled(downloadable)
        self.download_button.setText(self.tr("Resume download") if downloadable and self.availability
                                     and self.availability.resumable_bytes else self.tr("Download"))
        self.cancel_button.setVisible(state == "downloading")
        self.cancel_button.setEnabled(state == "downloading")
        self.retry_button.setVisible(state in ("failed", "offline"))
        self.progress_bar.setVisible(state in ("needs_download", "downloading", "cancelled"))
        self.detail_label.setVisible(state in ("needs_download", "downloading", "cancelled"))
        self.file_label.setVisible(state == "downloading")
        self.hint_label.setVisible(bool(self.hint_label.text()))
        self.message_label.setProperty("role", "error" if state in ("failed", "offline") else "")
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)
        self.folder_button.setProperty("role", "primary" if state == "offline" else "")
        self.folder_button.style().unpolish(self.folder_button)
        self.folder_button.style().polish(self.folder_button)
        self.state_changed.emit(state)

    def describe_availability(self, avail: dl.ModelAvailability) -> str:
        """One sentence in the interface language: where the model is, or how much must be downloaded
        (:meth:`ModelAvailability.describe` in English)."""
        if avail.status == "local":
            return self.tr("Local folder {folder} ({size}).").format(folder=avail.path,
                                                                     size=format_bytes(avail.total_bytes))
        if avail.status == "cached":
            return self.tr("{model} is in the Hugging Face cache ({size}).").format(
                model=avail.model, size=format_bytes(avail.total_bytes))
        missing = sum(1 for f in avail.files if not f.cached)
        text = self.tr("{model} is not downloaded yet: {size} to download (%n file(s)) into {folder}.", "",
                       missing).format(model=avail.model, size=format_bytes(avail.missing_bytes),
                                       folder=avail.cache_dir)
        if avail.resumable_bytes:
            text += " " + self.tr("{size} from an interrupted download will be reused.").format(
                size=format_bytes(avail.resumable_bytes))
        return text

    @Slot()
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder (with config.json)"))
        if folder:
            self.local_folder_chosen.emit(folder)
            self.check(folder)


def describe_progress(progress: dl.DownloadProgress) -> str:
    """How a download goes, in the interface language: ``1.2 GiB of 7.1 GiB · 45.3 MiB/s · 2 min 11 s left``."""
    parts = [QCoreApplication.translate("DownloadPanel", "{done} of {total}").format(
        done=format_bytes(progress.done_bytes), total=format_bytes(progress.total_bytes))]
    if progress.bytes_per_s > 0:
        parts.append(f"{format_bytes(progress.bytes_per_s)}/s")
    if progress.eta_s is not None:
        parts.append(QCoreApplication.translate("DownloadPanel", "{time} left").format(
            time=format_duration(progress.eta_s)))
    return " · ".join(parts)
