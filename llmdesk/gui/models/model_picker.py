"""The model picker: recent models, models found in the local Hugging Face cache, any Hub id, any local folder;
device and precision; before loading, whether the model is here (or how much must be downloaded) and how much
memory it needs.

The picker knows no engine. It embeds a :class:`~llmdesk.gui.models.download_panel.DownloadPanel` for the availability
check and the download, and asks for a memory estimate in one of two ways: with an ``estimator`` callable (e.g.
``llmdesk.engine.devices.estimate_memory``), run on the hub service's look-up thread, never on the GUI thread; or,
without one, by emitting ``estimate_requested`` so the window can route it to the model worker and answer with
:meth:`ModelPicker.set_estimate`. When no estimate can be made (no estimator, or the config is not on disk yet),
the download size is what it shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from llmdesk.core.settings import DEVICE_AUTO, DTYPES, PRECISION_NOTES, ModelSettings
from llmdesk.engine import download as dl
from llmdesk.engine.types import DeviceInfo
from llmdesk.gui.engine_text import describe_estimate, translate_engine_text
from llmdesk.gui.i18n import format_bytes, setting_text
from llmdesk.gui.models.download_panel import SHUTDOWN_TIMEOUT_MS, DownloadPanel, HubService

MODEL_ROLE = Qt.ItemDataRole.UserRole + 1
CHECK_DELAY_MS = 400


class ModelPicker(QWidget):
    """Pick a model, a device and a precision, see what it takes, and ask for it to be loaded.

    Signals:
        load_requested(object): the chosen :class:`ModelSettings` (the model is local or cached by then).
        estimate_requested(object): ModelSettings to estimate, when no ``estimator`` was given.
        model_changed(str): the model text changed (after the typing pause).
    """

    load_requested = Signal(object)
    estimate_requested = Signal(object)
    model_changed = Signal(str)

    def __init__(self, settings: ModelSettings | None = None, *, service: HubService | None = None,
                 recent: list[str] | None = None, devices: list[DeviceInfo] | None = None,
                 estimator: Callable[[ModelSettings], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = settings or ModelSettings()
        self._owns_service = service is None
        self.service = service or HubService(self)
        self._estimator = estimator
        self._estimate_rid: int | None = None
        self._cache_rid: int | None = None
        self._ready_path: str | None = None

        self.model_edit = QLineEdit(self._base.model)
        self.model_edit.setPlaceholderText(self.tr("Hub id (org/name) or a model folder"))
        self.model_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton(self.tr("Folder…"))
        self.browse_button.setToolTip(self.tr("Choose a local folder with config.json, tokenizer and weights"))
        self.model_list = QListWidget()
        self.model_list.setAccessibleName(self.tr("Recent and cached models"))
        self.model_list.setUniformItemSizes(True)
        self.refresh_button = QPushButton(self.tr("Rescan cache"))
        self.refresh_button.setToolTip(self.tr("Look again in the Hugging Face cache ({folder})").format(folder=dl.hub_cache_dir()))
        self.device_combo = QComboBox()
        self.dtype_combo = QComboBox()
        for dtype in DTYPES:
            self.dtype_combo.addItem(dtype, dtype)
            self.dtype_combo.setItemData(self.dtype_combo.count() - 1, setting_text(PRECISION_NOTES.get(dtype, "")),
                                         Qt.ItemDataRole.ToolTipRole)
        self.dtype_combo.setCurrentIndex(max(0, self.dtype_combo.findData(self._base.dtype)))
        self.panel = DownloadPanel(self.service)
        self.estimate_label = QLabel("")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextFormat(Qt.TextFormat.PlainText)
        self.estimate_label.setObjectName("memoryEstimate")
        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.setProperty("role", "primary")
        self.load_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.model_edit, 1)
        top.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(self.tr("Device"), self.device_combo)
        form.addRow(self.tr("Precision"), self.dtype_combo)
        bottom = QHBoxLayout()
        bottom.addWidget(self.estimate_label, 1)
        bottom.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignBottom)
        list_row = QHBoxLayout()
        list_row.addWidget(QLabel(self.tr("Recent and downloaded models")))
        list_row.addStretch(1)
        list_row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(list_row)
        layout.addWidget(self.model_list, 1)
        layout.addLayout(form)
        layout.addWidget(self.panel)
        layout.addLayout(bottom)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._check_now)

        self.model_edit.textChanged.connect(self._model_text_changed)
        self.model_edit.returnPressed.connect(self._request_load)
        self.browse_button.clicked.connect(self._browse)
        self.refresh_button.clicked.connect(self.refresh_cache)
        self.model_list.itemClicked.connect(self._item_chosen)
        self.model_list.itemActivated.connect(self._item_activated)
        self.device_combo.currentIndexChanged.connect(self._precision_or_device_changed)
        self.dtype_combo.currentIndexChanged.connect(self._precision_or_device_changed)
        self.load_button.clicked.connect(self._request_load)
        self.panel.model_ready.connect(self._model_ready)
        self.panel.availability_changed.connect(self._availability_changed)
        self.panel.local_folder_chosen.connect(self.model_edit.setText)
        self.service.cached_listed.connect(self._cached_listed)
        self.service.estimated.connect(self._estimated)
        self.service.failed.connect(self._failed)

        self.set_devices(devices or [DeviceInfo("cpu", "CPU")])
        self._recent = list(recent) if recent is not None else dl.load_recent_models()
        self._cached: list[dl.CachedModel] = []
        self._fill_list()
        self.refresh_cache()
        self._check_now()

    # ----------------------------------------------------------------------------------------------- API

    def model_settings(self) -> ModelSettings:
        """The chosen settings (fields the picker does not show are kept from the settings it was given)."""
        return dataclasses.replace(self._base, model=self.model_edit.text().strip(),
                                   device=self.device_combo.currentData() or DEVICE_AUTO,
                                   dtype=self.dtype_combo.currentData() or "auto")

    def set_devices(self, devices: list[DeviceInfo]) -> None:
        """Offer "auto" and ``devices``; keep the current (or saved) choice when it is still there."""
        current = self.device_combo.currentData() or self._base.device
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        self.device_combo.addItem(self.tr("auto (best available)"), DEVICE_AUTO)
        for device in devices:
            self.device_combo.addItem(device.label(), device.id)
        index = self.device_combo.findData(current)
        self.device_combo.setCurrentIndex(index if index >= 0 else 0)
        self.device_combo.blockSignals(False)

    def set_estimate(self, message: str, fits: bool | None = None) -> None:
        """Show a memory estimate (from the window's worker when no estimator was given)."""
        self.estimate_label.setText(message)
        self.estimate_label.setProperty("role", "error" if fits is False else "")
        self.estimate_label.style().unpolish(self.estimate_label)
        self.estimate_label.style().polish(self.estimate_label)

    @Slot()
    def refresh_cache(self) -> None:
        """Scan the Hugging Face cache again (on the look-up thread)."""
        self._cache_rid = self.service.list_cached()

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Stop the hub threads if this picker made the service."""
        self._check_timer.stop()
        return self.service.shutdown(timeout_ms) if self._owns_service else True

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    # ----------------------------------------------------------------------------------------------- list

    def _fill_list(self) -> None:
        self.model_list.clear()
        cached_ids = {m.repo_id for m in self._cached}
        if self._recent:
            self._add_header(self.tr("Recent"))
            for model in self._recent:
                note = self.tr("in cache") if model in cached_ids else (self.tr("folder") if dl.looks_like_path(model) else "")
                self._add_model(model, model, note)
        if self._cached:
            self._add_header(self.tr("In the Hugging Face cache"))
            for m in self._cached:
                self._add_model(m.repo_id, m.repo_id, format_bytes(m.size_bytes))
        if not self._recent and not self._cached:
            self._add_header(self.tr("No models yet: type a Hub id above (e.g. {model}) or choose a folder").format(
                model="microsoft/Phi-3-mini-4k-instruct"))

    def _add_header(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a section title: shown normally, never selected
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.model_list.addItem(item)

    def _add_model(self, model: str, text: str, note: str) -> None:
        item = QListWidgetItem(f"{text}    {note}" if note else text)
        item.setData(MODEL_ROLE, model)
        item.setToolTip(model)
        self.model_list.addItem(item)

    @Slot(QListWidgetItem)
    def _item_chosen(self, item: QListWidgetItem) -> None:
        model = item.data(MODEL_ROLE)
        if model:
            self.model_edit.setText(model)
            self._check_now()

    @Slot(QListWidgetItem)
    def _item_activated(self, item: QListWidgetItem) -> None:
        self._item_chosen(item)

    @Slot(int, list)
    def _cached_listed(self, rid: int, models: list) -> None:
        if rid != self._cache_rid:
            return
        self._cache_rid = None
        self._cached = models
        self._fill_list()

    # ----------------------------------------------------------------------------------------------- checks

    @Slot(str)
    def _model_text_changed(self, _: str) -> None:
        self._ready_path = None
        self.load_button.setEnabled(False)
        self.estimate_label.setText("")
        self._check_timer.start()

    @Slot()
    def _check_now(self) -> None:
        self._check_timer.stop()
        model = self.model_edit.text().strip()
        self.model_changed.emit(model)
        self.panel.check(model)

    @Slot(str, str)
    def _model_ready(self, model: str, path: str) -> None:
        if model != self.model_edit.text().strip():
            return
        self._ready_path = path
        self.load_button.setEnabled(True)
        self.set_estimate(self.tr("Estimating the memory it needs…") if self._estimator else "")
        self._ask_estimate()
        if self._cache_rid is None and not any(m.repo_id == model for m in self._cached) \
                and not dl.looks_like_path(model):
            self.refresh_cache()  # it was just downloaded: list it with the cached models

    @Slot(object)
    def _availability_changed(self, avail: dl.ModelAvailability | None) -> None:
        if avail is not None and avail.needs_download:
            self.set_estimate(self.tr("Download size {size}; the memory it needs is shown once its config is "
                                      "here.").format(size=format_bytes(avail.missing_bytes)))
            self._ask_estimate()  # the config may be cached already, or reachable through the engine's loader

    @Slot(int)
    def _precision_or_device_changed(self, _: int) -> None:
        self._ask_estimate()

    def _ask_estimate(self) -> None:
        settings = self.model_settings()
        if not settings.model:
            return
        if self._estimator is None:
            self.estimate_requested.emit(settings)
        else:
            self._estimate_rid = self.service.estimate(settings, self._estimator)

    @Slot(int, object)
    def _estimated(self, rid: int, estimate: Any) -> None:
        if rid != self._estimate_rid:
            return
        self._estimate_rid = None
        self.set_estimate(describe_estimate(estimate),
                          getattr(estimate, "fits", None))

    @Slot(int, str, str, str)
    def _failed(self, rid: int, kind: str, message: str, hint: str) -> None:
        if rid == self._estimate_rid:
            self._estimate_rid = None
            avail = self.panel.availability
            if avail is not None and avail.needs_download:
                return  # keep showing the download size
            self.set_estimate(self.tr("No memory estimate: {reason}").format(reason=translate_engine_text(message)), None)

    # ----------------------------------------------------------------------------------------------- actions

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder (with config.json)"))
        if folder:
            self.model_edit.setText(folder)
            self._check_now()

    @Slot()
    def _request_load(self) -> None:
        if not self.load_button.isEnabled():
            return
        settings = self.model_settings()
        try:
            self._recent = dl.remember_model(settings.model)
        except OSError:
            pass  # the recent list is a convenience; loading must not fail for it
        self._fill_list()
        self.load_requested.emit(settings)


class ModelPickerDialog(QDialog):
    """The picker in a dialog (Model → Choose model…): accepted when the user asks to load; :attr:`chosen` holds
    the settings then. Closing it cancels a running download (the partial file is kept for next time).

    Signals:
        estimate_requested(object): forwarded from the picker (ModelSettings), when no estimator was given.
    """

    estimate_requested = Signal(object)

    def __init__(self, settings: ModelSettings | None = None, *, devices: list[DeviceInfo] | None = None,
                 estimator: Callable[[ModelSettings], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Choose a model"))
        self.chosen: ModelSettings | None = None
        self.picker = ModelPicker(settings, devices=devices, estimator=estimator)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addWidget(buttons)
        self.resize(640, 600)
        self.picker.load_requested.connect(self._load_requested)
        self.picker.estimate_requested.connect(self.estimate_requested)
        self.finished.connect(lambda _result: self.picker.shutdown())

    def set_estimate(self, message: str, fits: bool | None = None) -> None:
        self.picker.set_estimate(message, fits)

    @Slot(object)
    def _load_requested(self, settings: ModelSettings) -> None:
        self.chosen = settings
        self.accept()
