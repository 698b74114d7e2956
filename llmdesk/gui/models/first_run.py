"""The first run in the window: before a Hub model is loaded, find out (off the GUI thread) whether it is in the
Hugging Face cache; when it is not, show what must be downloaded and how big it is, download it on request with
progress, cancel and resume, then load it. Offline and not cached: say so and offer a local folder or another model.

:class:`FirstRunGate` owns a :class:`~llmdesk.gui.models.download_panel.DownloadPanel` (made on first use, with its own
:class:`~llmdesk.gui.models.download_panel.HubService` threads) shown in a frame above the chat. The window asks the gate
before every load; the gate calls the window's loader back once the model is local or cached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from llmdesk.core.settings import ModelSettings
from llmdesk.engine import download as dl
from llmdesk.gui.models.download_panel import SHUTDOWN_TIMEOUT_MS, DownloadPanel

#: panel states in which the frame is shown (the user has something to read or do)
VISIBLE_STATES = ("needs_download", "downloading", "cancelled", "failed", "offline")


class FirstRunFrame(QFrame):
    """The frame above the chat that holds the download panel and a "Choose model…" button.

    Signals:
        choose_model(): the user wants the model picker.
    """

    choose_model = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunFrame")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.heading = QLabel(self.tr("This model is not on this computer yet"))
        self.heading.setObjectName("firstRunHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.choose_button = QPushButton(self.tr("Choose model…"))
        self.choose_button.setToolTip(self.tr("Pick another model: recent, already downloaded, a Hub id or a folder"))
        self.choose_button.clicked.connect(self.choose_model)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignTop)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(14, 10, 14, 12)
        self._layout.addLayout(top)
        self.panel: DownloadPanel | None = None
        self.hide()

    def set_panel(self, panel: DownloadPanel) -> None:
        self.panel = panel
        self._layout.addWidget(panel)

    def set_heading(self, state: str) -> None:
        self.heading.setText({
            "needs_download": self.tr("This model is not downloaded yet"),
            "downloading": self.tr("Downloading the model"),
            "cancelled": self.tr("Download paused"),
            "offline": self.tr("Offline, and this model is not downloaded"),
            "failed": self.tr("The model cannot be found"),
            "checking": self.tr("Looking for the model"),
        }.get(state, self.tr("Model")))


class FirstRunGate(QObject):
    """Checks a model before it is loaded and downloads it when needed.

    Args:
        frame: where the download panel is shown.
        load: called with (settings, remember) once the model is local or cached.
        timeout: network timeout in seconds for the Hub look-up and the download.

    Signals:
        state_changed(str): the panel's state ("checking", "needs_download", "downloading", "ready", ...).
    """

    state_changed = Signal(str)

    def __init__(self, frame: FirstRunFrame, load: Callable[[ModelSettings, bool], None], *,
                 timeout: float = dl.DEFAULT_TIMEOUT_S) -> None:
        super().__init__(frame)
        self.frame = frame
        self._load = load
        self._timeout = timeout
        self.panel: DownloadPanel | None = None
        self.pending: ModelSettings | None = None
        self._remember = False
        self._quiet = False  # a download was given up for a local folder: its cancel need not be shown

    @staticmethod
    def needs_check(model: ModelSettings) -> bool:
        """True for a Hub id (a folder is loaded directly: the loader says what is wrong with it; a remote server,
        ``remote:NAME``, is connected to directly)."""
        name = model.model.strip()
        return bool(name) and not dl.looks_like_path(name) and not name.startswith("remote:")

    def _ensure_panel(self) -> DownloadPanel:
        if self.panel is None:
            self.panel = DownloadPanel(timeout=self._timeout)
            self.frame.set_panel(self.panel)
            self.panel.state_changed.connect(self._on_state)
            self.panel.model_ready.connect(self._on_ready)
            self.panel.local_folder_chosen.connect(self._on_folder)
        return self.panel

    @property
    def downloading(self) -> bool:
        return self.panel is not None and self.panel.service.downloading

    def request(self, model: ModelSettings, remember: bool) -> None:
        """Load ``model`` once it is here: checks it now, and shows the panel when a download is needed.

        While a download runs, a request for another model waits (the frame says so); the same model is picked up
        when its download ends.
        """
        panel = self._ensure_panel()
        self.pending = dataclasses.replace(model)
        self._remember = remember
        self._quiet = False
        if panel.service.downloading:
            self.frame.show()
            return
        panel.check(model.model)

    def prefetch(self, model: ModelSettings) -> None:
        """Look ``model`` up now, before anyone asked to load it (at start, while the engine imports torch), so a
        model that must be downloaded shows its panel at once; nothing is loaded until :meth:`request`."""
        panel = self._ensure_panel()
        if not panel.service.downloading and self.pending is None:
            panel.check(model.model)

    def hide(self) -> None:
        self.frame.hide()

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self.frame.set_heading(state)
        if self._quiet and state in ("cancelled", "needs_download", "checking"):
            return
        if state != "checking":  # a quick look-up neither shows nor hides the frame (no flicker)
            self.frame.setVisible(state in VISIBLE_STATES)
        self.state_changed.emit(state)

    @Slot(str, str)
    def _on_ready(self, model: str, _path: str) -> None:
        pending = self.pending
        if pending is None or model != pending.model.strip():
            return  # a check for a model nobody waits for any more
        self.pending = None
        self.frame.hide()
        self._load(pending, self._remember)

    @Slot(str)
    def _on_folder(self, folder: str) -> None:
        base = self.pending or ModelSettings()
        self.pending = dataclasses.replace(base, model=folder)
        self._remember = True
        if self.panel is not None and self.panel.service.downloading:
            # the panel does not check while it downloads: stop the download (its partial file is kept) and load
            # the folder now
            self._quiet = True
            self.panel.cancel()
            chosen, self.pending = self.pending, None
            self.frame.hide()
            self._load(chosen, True)

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Cancel a running download (its partial file is kept) and stop the Hub threads."""
        return self.panel.shutdown(timeout_ms) if self.panel is not None else True

    @property
    def running(self) -> bool:
        return self.panel is not None and self.panel.service.running

