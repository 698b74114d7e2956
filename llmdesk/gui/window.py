"""The main window: chat view, composer, settings dock and status bar, wired to a :class:`ChatController`.

Layout: the chat view and the composer in the centre; the settings panel in a right dock; the left dock area is
kept for a conversation sidebar (:meth:`ChatWindow.add_sidebar`); ``file_menu`` is where Export…/Import… go.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, QCoreApplication, QMargins, QRect, QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction, QCloseEvent, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from llmdesk import APP_NAME, __version__
from llmdesk.core.atomic import WriteError
from llmdesk.core.branches import BranchError, can_continue
from llmdesk.core.conversation import Conversation, Message, stop_reason_label
from llmdesk.core.settings import ModelSettings, Settings, save_settings
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo
from llmdesk.gui.chat.chat_view import ChatView, reply_stats_text
from llmdesk.gui.chat.composer import Composer
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.chat.highlight import warm_up
from llmdesk.gui.engine_text import translate_engine_text
from llmdesk.gui.i18n import format_bytes, format_number, setting_text
from llmdesk.gui.settings_panel import SettingsPanel
from llmdesk.gui.chat.worker import MemoryEstimateResult

log = logging.getLogger(__name__)

#: The engine's load stages as the progress bar names them.
STAGE_NAMES = {"resolve": QT_TRANSLATE_NOOP("engine", "reading the configuration"),
               "download": QT_TRANSLATE_NOOP("engine", "downloading"),
               "weights": QT_TRANSLATE_NOOP("engine", "loading weights"),
               "tokenizer": QT_TRANSLATE_NOOP("engine", "loading the tokenizer"),
               "quantize": QT_TRANSLATE_NOOP("engine", "quantizing"),
               "ready": QT_TRANSLATE_NOOP("engine", "ready")}

# The chat column never gets narrower than this (px): the docks give way first (see ChatWindow.fit_docks).
CHAT_MIN_WIDTH = 420
# The first window size on a large enough screen; a smaller screen gets its whole available area.
PREFERRED_SIZE = QSize(1100, 760)
# Room left for the window manager's frame (title bar, borders) when the window is sized before it has one.
FRAME_ALLOWANCE = QMargins(4, 32, 4, 4)
# Widths the docks start at (px) and the least they are given before one is closed to make room.
DOCK_WIDTHS = {"sidebarDock": (250, 180), "settingsDock": (340, 260)}


def initial_geometry(available: QRect, preferred: QSize = PREFERRED_SIZE,
                     frame: QMargins = FRAME_ALLOWANCE) -> QRect:
    """Where the window opens: ``preferred`` (client area, px) shrunk to the screen's available area less the
    window frame, centred in it.

    Args:
        available: the screen's available geometry (``QScreen.availableGeometry()``: without panels and docks).
        preferred: the size wanted on a large screen.
        frame: room for the window manager's frame around the client area.

    Returns:
        The client-area geometry, inside ``available``.
    """
    room = available.marginsRemoved(frame)
    size = preferred.boundedTo(room.size())
    rect = QRect(0, 0, size.width(), size.height())
    rect.moveCenter(room.center())
    return rect


def clip_to_screens(rect: QRect, screens: list[QRect], frame: QMargins = FRAME_ALLOWANCE) -> QRect:
    """A remembered window geometry made to fit the screens present now: moved onto the screen it overlaps most
    (the first one when it overlaps none) and shrunk to that screen's available area.

    Args:
        rect: the client-area geometry to check.
        screens: the available geometries of the screens present now (at least one).
        frame: room for the window manager's frame.
    """
    if not screens:
        return QRect(rect)

    def overlap(screen: QRect) -> int:
        part = screen.intersected(rect)
        return part.width() * part.height() if part.isValid() else 0

    best = max(screens, key=overlap)
    if overlap(best) == 0:
        best = screens[0]
    room = best.marginsRemoved(frame)
    size = rect.size().boundedTo(room.size())
    x = min(max(rect.x(), room.left()), room.right() + 1 - size.width())
    y = min(max(rect.y(), room.top()), room.bottom() + 1 - size.height())
    return QRect(x, y, size.width(), size.height())


class StatusLabel(QLabel):
    """A status-bar label that gives way when the bar is narrow: its text is elided with "…" (the whole text in
    the tooltip and the accessible name) instead of pushing into its neighbours."""

    def __init__(self, text: str = "", *, max_width: int = 360) -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMaximumWidth(max_width)
        self._tip = ""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("…") * 6), hint.height())

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setAccessibleName(text)

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class Banner(QFrame):
    """A message across the top of the chat (an error with what to do next, or a notice), with action buttons.

    Signals:
        action(str): a button was pressed; its key.
    """

    action = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self._buttons = QHBoxLayout()
        layout.addLayout(self._buttons)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, *, kind: str = "error", actions: tuple[tuple[str, str], ...] = ()) -> None:
        """Show ``text``; ``actions`` are (key, button text) pairs; a Dismiss button is always there."""
        self.kind = kind
        self.label.setText(text)
        color = "#fde7e9" if kind == "error" else "#fff4ce"
        dark = self.palette().color(self.backgroundRole()).lightness() < 128
        if dark:
            color = "#5a1d1d" if kind == "error" else "#4d3f00"
        self.setStyleSheet(f"QFrame#banner {{ background: {color}; border-radius: 4px; }}")
        while self._buttons.count():
            item = self._buttons.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for key, text_ in (*actions, ("dismiss", self.tr("Dismiss"))):
            button = QPushButton(text_)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=key: self._on_action(k))
            self._buttons.addWidget(button)
        self.show()

    def _on_action(self, key: str) -> None:
        if key == "dismiss":
            self.hide()
        self.action.emit(key)


class ChatWindow(QMainWindow):
    """The chat window.

    Args:
        settings: the user's settings (the window keeps and saves them).
        controller: the chat controller (owns the model thread); the window starts and shuts it down.
        warnings: messages from loading the settings, shown to the user.
        autoload: load ``settings.model`` once the worker is up.
        save: how to save settings (default: :func:`llmdesk.core.settings.save_settings`); None disables saving.
        initial_model: the model to load and show instead of the saved one (command-line flags); it is saved only
            when the user loads it from the settings panel.
        remember_geometry: restore and save the window's geometry (QSettings).
        check_downloads: before loading a Hub id, check (off the GUI thread) that it is in the Hugging Face cache;
            when it is not, show its download size and download it on request (:mod:`llmdesk.gui.models.first_run`).
        hub_timeout: network timeout in seconds for that check and the download.

    Signals:
        first_exposed(): the window was painted for the first time.
        closed(): the window closed; the model thread has been stopped (and any reply saved).
    """

    first_exposed = Signal()
    closed = Signal()

    def __init__(self, settings: Settings, controller: ChatController, *, warnings: list[str] | None = None,
                 autoload: bool = True, save: Callable[[Settings], Any] | None = save_settings,
                 initial_model: ModelSettings | None = None, remember_geometry: bool = True,
                 check_downloads: bool = False, hub_timeout: float | None = None) -> None:
        super().__init__()
        self.settings = settings.copy()
        self._initial_model = dataclasses.replace(initial_model or self.settings.model)
        self._remember_geometry = remember_geometry
        self.controller = controller
        self._autoload = autoload
        self._save = save
        self._loading_settings: ModelSettings | None = None
        self._exposed = False
        self._closing = False
        self.warm_thread: threading.Thread | None = None
        # set by llmdesk.gui.app.build_window when conversations are saved (None: kept in memory only)
        self.sidebar: Any = None
        self.sidebar_dock: QDockWidget | None = None
        self.conversations: Any = None
        self.transfer: Any = None
        self.export_action: QAction | None = None
        self.import_action: QAction | None = None
        self.warmed_up = False
        self.setWindowTitle(APP_NAME)
        self.setObjectName("chatWindow")

        # centre: banner, chat, composer
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = Banner()
        self.banner.action.connect(self._on_banner_action)
        banner_row = QVBoxLayout()
        banner_row.setContentsMargins(8, 6, 8, 0)
        banner_row.addWidget(self.banner)
        column.addLayout(banner_row)
        # the first-run download panel goes here; built after the window is shown (see _ensure_first_run)
        self._first_run_row = QVBoxLayout()
        self._first_run_row.setContentsMargins(8, 0, 8, 0)
        column.addLayout(self._first_run_row)
        self._check_downloads = check_downloads
        self._hub_timeout = hub_timeout
        self.first_run: Any = None  # a llmdesk.gui.models.first_run.FirstRunGate once built
        self.model_picker_dialog: Any = None
        self._devices: list = []
        self._engine_ready = False
        self.chat_view = ChatView()
        column.addWidget(self.chat_view, 1)
        self.composer = Composer()
        column.addWidget(self.composer)
        from llmdesk.gui.chat.context_meter import ContextMeter, PromptCounter

        self.context_meter = ContextMeter()
        column.addWidget(self.context_meter)
        self.prompt_counter = PromptCounter(self)
        central.setMinimumWidth(CHAT_MIN_WIDTH)
        self.setCentralWidget(central)

        # settings dock
        shown = self.settings.copy()
        shown.model = dataclasses.replace(self._initial_model)
        self.settings_panel = SettingsPanel(shown)
        self.settings_dock = QDockWidget(self.tr("Settings"), self)
        self.settings_dock.setObjectName("settingsDock")
        self.settings_dock.setWidget(self.settings_panel)
        self.settings_dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea
                                           | Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.settings_dock)
        self.settings_dock.hide()
        self._fitting_docks = False
        self._tab_order_pending = False
        self._watch_dock(self.settings_dock)

        self._build_status_bar()
        self._build_menus()
        self._build_empty_state()
        self._wire()
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_settings_now)
        self.controller.set_decoding(self.settings.decoding)
        self.controller.set_system_prompt(self.settings.system_prompt)
        self.chat_view.show_conversation(self.controller.conversation)
        self._update_branch_actions()
        self.fit_to_screen()
        if remember_geometry:
            self._restore_geometry()
        self.composer.editor.setFocus()
        if warnings:
            self.banner.show_message("\n".join(translate_engine_text(w) for w in warnings), kind="notice")

    # -- construction -----------------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setAccessibleName(self.tr("Status"))
        self.model_label = StatusLabel("No model")
        self.model_label.setObjectName("statusModel")
        self.device_label = StatusLabel("", max_width=200)
        self.memory_label = StatusLabel("", max_width=140)
        # What the app is doing now ("Writing a reply…"); each reply's speed and token counts are shown with it.
        self.activity_label = StatusLabel("", max_width=220)
        self.activity_label.setObjectName("statusActivity")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setMinimumWidth(60)
        self.progress.setTextVisible(True)
        self.progress.setAccessibleName(self.tr("Loading progress"))
        self.progress.hide()
        # All permanent and elided when narrow: temporary messages ("Copied", load steps) show on the left in what
        # room is left, never over them.
        bar.addPermanentWidget(self.activity_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.model_label)
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.memory_label)
        self.announcements: list[str] = []

    def _build_empty_state(self) -> None:
        """The buttons an empty conversation offers while no model is loaded."""
        self.empty_choose_button = QPushButton(self.tr("Choose model…"))
        self.empty_choose_button.setProperty("role", "primary")
        self.empty_choose_button.setAccessibleDescription(self.tr("A model from the Hugging Face Hub, one already "
                                                         "downloaded, or a folder on this computer"))
        self.empty_choose_button.clicked.connect(self.choose_model)
        self.empty_folder_button = QPushButton(self.tr("Use a local folder…"))
        self.empty_folder_button.setAccessibleDescription(self.tr("Load a model folder (config.json, tokenizer, weights); "
                                                         "works offline"))
        self.empty_folder_button.clicked.connect(self.choose_folder)
        for button in (self.empty_choose_button, self.empty_folder_button):
            button.setAutoDefault(False)
            button.hide()

    def _show_empty_state(self, state: str, model: str = "") -> None:
        """What an empty conversation says: ``ready`` (how to send), ``loading`` (``model`` is loading; typing
        is fine) or ``none`` (no model: how to get one)."""
        if state == "loading":
            self.chat_view.set_empty_state(self.tr("Loading {model}…\nYou can type your message now: it is sent when "
                                                   "the model is ready.").format(model=model))
        elif state == "none":
            self.chat_view.set_empty_state(
                self.tr("No model is loaded.\nChoose one from the Hugging Face Hub (the default, Phi-3-mini, is a 7.6 "
                        "GB download) or a model folder on this computer."),
                (self.empty_choose_button, self.empty_folder_button))
        else:
            self.chat_view.set_empty_state(None)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        self.file_menu = menu.addMenu(self.tr("&File"))
        self.new_action = QAction(self.tr("&New chat"), self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_chat)
        self.file_menu.addAction(self.new_action)
        self.file_menu.addSeparator()
        self._file_menu_end = self.file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.file_menu.addAction(quit_action)

        view = menu.addMenu(self.tr("&View"))
        self.settings_action = self.settings_dock.toggleViewAction()
        self.settings_action.setText(self.tr("&Settings panel"))
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        view.addAction(self.settings_action)
        focus = QAction(self.tr("&Focus message box"), self)
        focus.setShortcut(QKeySequence("Ctrl+L"))
        focus.triggered.connect(lambda: self.composer.editor.setFocus())
        view.addAction(focus)
        self.shade_tokens_action = QAction(self.tr("S&hade tokens by probability"), self)
        self.shade_tokens_action.setCheckable(True)
        self.shade_tokens_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.shade_tokens_action.setToolTip(self.tr("Shade each token of the replies by how likely the model found it; "
                                            "hover or click a token for its alternatives"))
        self.shade_tokens_action.toggled.connect(self.chat_view.set_token_shading)
        view.addAction(self.shade_tokens_action)
        self.view_menu = view

        model = menu.addMenu(self.tr("&Model"))
        self.model_menu = model  # others add e.g. "Choose model…" here
        self.load_action = QAction(self.tr("&Load model from settings"), self)
        self.load_action.setShortcut(QKeySequence("Ctrl+R"))
        self.load_action.triggered.connect(self._load_from_panel)
        model.addAction(self.load_action)
        self.choose_model_action = QAction(self.tr("C&hoose model…"), self)
        self.choose_model_action.setStatusTip(self.tr("Recent, downloaded or Hub models, or a local folder; device and "
                                              "precision with the memory estimate"))
        self.choose_model_action.triggered.connect(self.choose_model)
        model.addAction(self.choose_model_action)
        self.stop_action = QAction(self.tr("&Stop reply"), self)
        self.stop_action.triggered.connect(self.stop)
        self.stop_action.setEnabled(False)
        model.addAction(self.stop_action)
        model.addSeparator()
        self.regenerate_action = QAction(self.tr("&Regenerate last reply"), self)
        self.regenerate_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.regenerate_action.setStatusTip(self.tr("Write another reply to your last message (the current one is kept)"))
        self.regenerate_action.triggered.connect(self.regenerate_last)
        model.addAction(self.regenerate_action)
        self.continue_action = QAction(self.tr("&Continue last reply"), self)
        self.continue_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        self.continue_action.setStatusTip(self.tr("Let the model go on with a reply that stopped at the token limit"))
        self.continue_action.triggered.connect(self.continue_last)
        model.addAction(self.continue_action)
        self.compare_action = QAction(self.tr("Co&mpare decoding settings…"), self)
        self.compare_action.setToolTip(self.tr("Answer the last message again under two decoding settings, one after the "
                                       "other, side by side; both answers are kept as versions"))
        self.compare_action.triggered.connect(lambda: self.compare_last())
        model.addAction(self.compare_action)
        self.raw_action = QAction(self.tr("&Raw completion (no chat template)"), self)
        self.raw_action.setCheckable(True)
        self.raw_action.setToolTip(self.tr("The model continues your text as it is, as a pretrained base model would; "
                                   "Show the prompt shows the difference"))
        self.raw_action.toggled.connect(lambda on: setattr(self.controller, "raw_completion", on))
        model.addAction(self.raw_action)
        # Esc stops the reply from anywhere in the window (a shortcut, so it also works while the editor has focus).
        self.stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.stop_shortcut.activated.connect(self.stop)

        help_menu = menu.addMenu(self.tr("&Help"))
        about = QAction(self.tr("&About llmdesk"), self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def insert_file_action(self, action: QAction) -> None:
        """Add an action (e.g. Export…, Import…) to the File menu, above Quit."""
        self.file_menu.insertAction(self._file_menu_end, action)

    def set_new_chat_action(self, action: QAction) -> None:
        """Use ``action`` (e.g. the conversation sidebar's, with its own Ctrl+N) as File → New chat instead of the
        window's own, so the shortcut is not defined twice."""
        self.file_menu.insertAction(self.new_action, action)
        self.file_menu.removeAction(self.new_action)
        self.new_action.setShortcut(QKeySequence())
        self.new_action = action

    def add_sidebar(self, widget: QWidget, title: str | None = None) -> QDockWidget:
        """Put ``widget`` (e.g. the conversation list) in a dock on the left (``title`` default: Conversations)."""
        dock = QDockWidget(title if title is not None else self.tr("Conversations"), self)
        dock.setObjectName("sidebarDock")
        dock.setWidget(widget)
        dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        self._watch_dock(dock)
        QTimer.singleShot(0, self.fit_docks)
        self.update_tab_order()
        return dock

    def _message_focus_chain(self) -> list[QWidget]:
        """The keyboard-reachable parts of the messages shown, top to bottom, each message's in layout order
        (its header's buttons, then its text)."""
        chain: list[QWidget] = []
        for message in self.chat_view.message_widgets():
            message.layout().activate()
            parts = [w for w in message.findChildren(QWidget)
                     if w.focusPolicy() & Qt.FocusPolicy.TabFocus and not w.isHidden()]
            parts.sort(key=lambda w: (w is message.browser, w.mapTo(message, w.rect().topLeft()).y(),
                                      w.mapTo(message, w.rect().topLeft()).x()))
            chain += parts
        return chain

    @Slot()
    def _schedule_tab_order(self) -> None:
        if not self._tab_order_pending:
            self._tab_order_pending = True
            QTimer.singleShot(0, self._apply_tab_order)

    @Slot()
    def _apply_tab_order(self) -> None:
        self._tab_order_pending = False
        self.update_tab_order()

    def update_tab_order(self) -> list[QWidget]:
        """Tab follows the layout, left to right: the sidebar (search, New chat, the list), the message box and
        Send, then the settings panel's fields top to bottom; the messages' buttons and texts come between the list
        and the message box, in reading order. Returns the chain set."""
        chain: list[QWidget] = []
        if self.sidebar is not None:
            chain += [w for w in (getattr(self.sidebar, "search_field", None), getattr(self.sidebar, "new_button", None),
                                  getattr(self.sidebar, "list_view", None)) if w is not None]
        chain += self._message_focus_chain()
        chain += [self.composer.editor, self.composer.button]
        chain.append(self.settings_panel.model_edit)  # the panel's own fields follow in their top-down order
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        return chain

    # -- fitting the screen -----------------------------------------------------------------------------------
    def _screen_areas(self) -> list[QRect]:
        from PySide6.QtGui import QGuiApplication

        return [screen.availableGeometry() for screen in QGuiApplication.screens()]

    def fit_to_screen(self) -> None:
        """Give the window its first size and place: :data:`PREFERRED_SIZE` shrunk to the available area of its
        screen (so the message box, Send and the status bar are on screen on a small one), centred."""
        screen = self.screen()
        if screen is None:
            self.resize(PREFERRED_SIZE)
            return
        self.setGeometry(initial_geometry(screen.availableGeometry()))

    def _watch_dock(self, dock: QDockWidget) -> None:
        dock.visibilityChanged.connect(lambda visible, d=dock: visible and self.fit_docks(keep=d))
        dock.topLevelChanged.connect(lambda _floating: self.fit_docks())

    def _docked(self) -> list[QDockWidget]:
        docks = [self.sidebar_dock, self.settings_dock]
        return [d for d in docks if d is not None and not d.isHidden() and not d.isFloating()]

    @Slot()
    def fit_docks(self, keep: QDockWidget | None = None) -> list[QDockWidget]:
        """Keep the chat column at least :data:`CHAT_MIN_WIDTH` wide: when the docks beside it would squeeze it,
        they are narrowed to their least widths and, if that is not enough, the one not just opened (``keep``) is
        closed (View menu brings it back; the status bar says so). Returns the docks closed."""
        if self._fitting_docks:
            return []
        self._fitting_docks = True
        closed: list[QDockWidget] = []
        try:
            docks = self._docked()
            room = self.width() - CHAT_MIN_WIDTH - 12 * len(docks)
            least = {d: DOCK_WIDTHS.get(d.objectName(), (300, 200))[1] for d in docks}
            for dock in sorted(docks, key=lambda d: d is keep):
                if sum(least[d] for d in docks if d not in closed) <= room or len(docks) - len(closed) <= 1:
                    break
                dock.hide()
                closed.append(dock)
            docks = [d for d in docks if d not in closed]
            if docks:
                wanted = [DOCK_WIDTHS.get(d.objectName(), (300, 200))[0] for d in docks]
                current = [d.width() for d in docks]
                total = sum(wanted)
                if total > room:
                    wanted = [max(least[d], room * w // total) for d, w in zip(docks, wanted)]
                if keep is not None or sum(current) > room or any(c < least[d] for d, c in zip(docks, current)):
                    self.resizeDocks(docks, [max(1, w) for w in wanted], Qt.Orientation.Horizontal)
            for dock in closed:
                self.statusBar().showMessage(self.tr("{dock} closed to keep room for the chat (View menu to open "
                                                     "it)").format(dock=dock.windowTitle()), 6000)
        finally:
            self._fitting_docks = False
        return closed

    def _wire(self) -> None:
        c = self.controller
        c.engine_ready.connect(self._on_engine_ready)
        c.engine_failed.connect(self._on_engine_failed)
        c.load_started.connect(self._on_load_started)
        c.load_progress.connect(self._on_load_progress)
        c.model_loaded.connect(self._on_model_loaded)
        c.load_failed.connect(self._on_load_failed)
        c.model_unloaded.connect(self._on_model_unloaded)
        c.loading_changed.connect(self.settings_panel.set_loading)
        c.busy_changed.connect(self._on_busy)
        c.message_added.connect(self.chat_view.add_message)
        c.message_added.connect(lambda _message: self._schedule_tab_order())
        c.conversation_changed.connect(lambda _conv: self._schedule_tab_order())
        c.reply_finished.connect(lambda _message: self._schedule_tab_order())
        c.reply_resumed.connect(self.chat_view.resume_message)
        c.reply_text.connect(self.chat_view.append_text)
        c.reply_finished.connect(self._on_reply_finished)
        c.conversation_changed.connect(self.chat_view.show_conversation)
        c.conversation_changed.connect(lambda _conv: self._update_branch_actions())
        c.reply_finished.connect(lambda _message: self._update_branch_actions())
        c.estimate_ready.connect(self._on_estimate)
        c.store_error.connect(lambda text: self.banner.show_message(text, kind="notice"))
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        p = self.settings_panel
        p.decoding_changed.connect(self._on_decoding_changed)
        p.system_prompt_changed.connect(self._on_prompt_changed)
        p.language_changed.connect(self._on_language_changed)
        p.load_requested.connect(self.load_model)
        p.cancel_load_requested.connect(c.cancel_load)
        p.model_edited.connect(c.estimate)
        self.chat_view.copied.connect(self._on_copied)
        v = self.chat_view
        v.regenerate_requested.connect(lambda mid: self._branch_action(c.regenerate, mid))
        v.continue_requested.connect(lambda mid: self._branch_action(c.continue_reply, mid))
        v.edit_requested.connect(lambda mid, text: self._branch_action(c.edit_message, mid, text))
        v.switch_requested.connect(lambda mid, step: self._branch_action(c.switch_sibling, mid, step))
        self._wire_context_meter()
        v.prompt_requested.connect(self.show_prompt)
        v.continue_from_token_requested.connect(
            lambda mid, index, token: self._branch_action(c.continue_from_token, mid, index, token))

    def _wire_context_meter(self) -> None:
        """Recount the next prompt (debounced, off the GUI thread) whenever what it holds may have changed."""
        from llmdesk.gui.chat.context_meter import mark_left_out

        c = self.controller
        self.prompt_counter.counted.connect(self.context_meter.show_result)
        self.prompt_counter.counted.connect(lambda r: mark_left_out(self.chat_view, r.left_out))
        recount = lambda *_: self.request_context_count()  # noqa: E731
        self.composer.editor.textChanged.connect(recount)
        for signal in (c.conversation_changed, c.message_added, c.reply_finished, c.model_loaded):
            signal.connect(recount)
        self.settings_panel.decoding_changed.connect(recount)
        self.settings_panel.system_prompt_changed.connect(recount)

    def compare_last(self, preset: int | None = None) -> Any:
        """Compare decoding settings on the reply at the end of the shown path: pick a pair (asked when
        ``preset`` is None), then both answers stream one after the other into a side-by-side dialog."""
        from llmdesk.gui.chat.compare_dialog import PRESETS, CompareDialog, preset_settings

        reply = self._last_reply()
        if reply is None or self.controller.busy:
            self.banner.show_message(self.tr("Compare needs a finished reply at the end of the chat."), kind="notice")
            return None
        if preset is None:
            from PySide6.QtWidgets import QInputDialog

            names = [name for name, _a, _b in PRESETS]
            name, ok = QInputDialog.getItem(self, "Compare decoding settings", "Answer twice, under:", names, 0,
                                            False)
            if not ok:
                return None
            preset = names.index(name)
        self.settings_panel.flush_pending()
        first, second, title = preset_settings(self.controller.decoding, preset)
        self.compare_dialog = CompareDialog(self.controller, title, (first, second), self)
        self.compare_dialog.show()
        self._branch_action(self.controller.compare, reply.id, first, second)
        return self.compare_dialog

    def show_prompt(self, reply_id: str) -> Any:
        """Open "Show the prompt" for a reply: the exact text and tokens the model received."""
        from llmdesk.gui.chat.prompt_dialog import open_prompt_dialog

        self.prompt_dialog = open_prompt_dialog(self, reply_id)
        return self.prompt_dialog

    def request_context_count(self) -> None:
        """Ask for a count of the next prompt: system prompt, the shown branch and the draft."""
        c = self.controller
        if c.model_info is None:
            return
        path = [m for m in (c.conversation.path() if c.conversation.current_leaf_id else []) if m.content]
        turns = [ChatTurn(m.role, m.content) for m in path]
        ids = [m.id for m in path]
        draft = self.composer.editor.toPlainText().strip()
        if draft:
            turns.append(ChatTurn("user", draft))
            ids.append("")
        if not any(t.role == "user" for t in turns):
            turns.append(ChatTurn("user", ""))
            ids.append("")
        self.prompt_counter.request(c.model_info.model_id, turns, ids, c.system_prompt, c.decoding.max_new_tokens)

    def _last_reply(self) -> Message | None:
        """The reply at the end of the shown path, or None."""
        leaf_id = self.controller.conversation.current_leaf_id
        leaf = self.controller.conversation.messages.get(leaf_id) if leaf_id else None
        return leaf if leaf is not None and leaf.role == "assistant" else None

    def _update_branch_actions(self) -> None:
        reply = None if self.controller.busy else self._last_reply()
        self.regenerate_action.setEnabled(reply is not None)
        self.continue_action.setEnabled(reply is not None and can_continue(self.controller.conversation, reply.id))

    @Slot()
    def regenerate_last(self) -> Message | None:
        """Regenerate the reply at the end of the shown path (Ctrl+Shift+R)."""
        reply = self._last_reply()
        if reply is None or self.controller.busy:
            return None
        return self._branch_action(self.controller.regenerate, reply.id)

    @Slot()
    def continue_last(self) -> Message | None:
        """Continue the reply at the end of the shown path when it stopped at the token limit
        (Ctrl+Shift+Enter)."""
        reply = self._last_reply()
        if reply is None or self.controller.busy or not can_continue(self.controller.conversation, reply.id):
            return None
        return self._branch_action(self.controller.continue_reply, reply.id)

    def _branch_action(self, method: Callable[..., Any], *args: Any) -> Any:
        """Run a branch action of the controller; a refusal (BranchError) is shown, not raised."""
        self.settings_panel.flush_pending()
        if not self.controller.busy and not self._settings_usable("started"):
            return None
        try:
            result = method(*args)
        except BranchError as exc:
            self.banner.show_message(str(exc), kind="notice")
            return None
        if self.controller.busy:
            self.chat_view.scroll_to_bottom()
        return result

    def _settings_usable(self, what: str) -> bool:
        """False (and the field named in the banner, the settings panel shown with the focus in it) while a
        decoding field holds a value the panel refused: a reply never runs silently with the previous value or a
        random seed instead of what the user typed."""
        problems = self.settings_panel.invalid_fields()
        if not problems:
            return True
        label, reason = problems[0]
        more = self.tr(" (%n more field(s) to fix)", "", len(problems) - 1) if len(problems) > 1 else ""
        sentence = (self.tr("Not started: the setting {label} is not valid: {reason}{more}. Fix it in the settings "
                            "panel.") if what == "started" else
                    self.tr("Not sent: the setting {label} is not valid: {reason}{more}. Fix it in the settings panel."))
        self.banner.show_message(sentence.format(label=setting_text(label), reason=reason, more=more), kind="error")
        self.settings_dock.show()
        self.settings_panel.focus_field(label)
        return False

    def _ensure_first_run(self) -> Any:
        """The first-run gate (download check and panel), built on first use; None when checks are off."""
        if self.first_run is None and self._check_downloads and not self._closing:
            from llmdesk.gui.models.first_run import FirstRunFrame, FirstRunGate

            frame = FirstRunFrame()
            frame.choose_model.connect(self.choose_model)
            self._first_run_row.setContentsMargins(8, 6, 8, 0)
            self._first_run_row.addWidget(frame)
            kwargs = {"timeout": self._hub_timeout} if self._hub_timeout is not None else {}
            self.first_run = FirstRunGate(frame, self._load_checked, **kwargs)
            self.first_run.state_changed.connect(self._on_first_run_state)
        return self.first_run

    # -- actions ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the model thread (after the window is shown: torch is imported there), and build the code
        highlighting lexers on a background thread. Calling it again does nothing."""
        if self.warm_thread is not None:
            return
        if self._autoload:
            self.model_label.setText(self.tr("Starting the engine for {model}…").format(
                model=self._initial_model.model))
            self.progress.setRange(0, 0)  # busy until the load reports its steps
            self.progress.setFormat("")
            self.progress.show()
        self.controller.start()
        gate = self._ensure_first_run() if self._autoload else None
        if gate is not None and gate.needs_check(self._initial_model):
            gate.prefetch(self._initial_model)  # the download panel shows while the engine starts
        self.warm_thread = threading.Thread(target=warm_up, name="llmdesk-lexers", daemon=True)
        self.warm_thread.start()
        QTimer.singleShot(0, self._warm_up)

    @Slot()
    def _warm_up(self) -> None:
        """Load fonts and glyphs once the window is up, then move everything allocated so far out of the garbage
        collector's way (``gc.freeze``): later full collections stay short instead of stalling a reply."""
        self.chat_view.warm_up()
        gc.collect()
        gc.freeze()
        self.warmed_up = True

    @Slot(str)
    def send(self, text: str) -> Message | None:
        """Send ``text`` (the composer keeps it when nothing is sent, e.g. a settings field holds a refused
        value)."""
        self.settings_panel.flush_pending()
        if not self._settings_usable("sent"):
            return None
        message = self.controller.send(text)
        if message is not None:
            self.composer.accept_sent()
            self.chat_view.scroll_to_bottom()
        return message

    @Slot()
    def stop(self) -> None:
        self.controller.stop()

    @Slot()
    def new_chat(self) -> Conversation:
        return self.controller.new_conversation()

    @Slot(object)
    def load_model(self, model: ModelSettings, *, remember: bool = True) -> None:
        """(Re)load a model; with ``remember`` its settings are saved as the user's choice.

        With download checks on, a Hub id is first looked up off the GUI thread: a cached model loads at once, a
        missing one shows the download panel and loads after its download."""
        gate = self._ensure_first_run()
        if gate is not None and gate.needs_check(model):
            self.model_label.setText(self.tr("Looking for {model}…").format(model=model.model))
            gate.request(model, remember)
            return
        self._load_checked(model, remember)

    def _load_checked(self, model: ModelSettings, remember: bool = True) -> None:
        """Load ``model`` now (it is local or cached, or checks are off)."""
        if self._closing:
            return
        if remember:
            self.settings.model = dataclasses.replace(model)
            self._schedule_save()
        self._loading_settings = dataclasses.replace(model)
        self.controller.load_model(model)

    @Slot()
    def _load_from_panel(self) -> None:
        model = self.settings_panel.model_settings()
        if model is None:
            self.settings_dock.show()
            return
        self.load_model(model)

    @Slot(dict)
    def apply_launch_options(self, options: dict) -> None:
        """Another ``llmdesk`` launch on this profile handed over to this window (:mod:`llmdesk.gui.single_instance`):
        come to the front and take its model flags as if given to this window.

        Args:
            options: ``model``, ``device``, ``dtype`` (those the launch was given, already checked there). A model
                that differs from the one loaded (or loading) is loaded for this session, like a flag at start-up
                (saved only when loaded from the settings panel); before the engine is up it replaces the model
                to load. A reply being written is not disturbed: the load runs once it ends.
        """
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if self._closing:
            return
        base = self._loading_settings or self._initial_model
        wanted = dataclasses.replace(base, **{k: v for k, v in options.items() if k in ("model", "device", "dtype")})
        if wanted == base:
            self.statusBar().showMessage(self.tr("llmdesk is already open here"), 5000)
            return
        self.statusBar().showMessage(self.tr("Another launch asked for {model} on {device}").format(
            model=wanted.model, device=wanted.device), 5000)
        if not self._engine_ready or not self._autoload:
            self._initial_model = wanted  # loaded once the engine is up
            return
        self.load_model(wanted, remember=False)

    @Slot()
    def save_settings_now(self) -> None:
        self._save_timer.stop()
        if self._save is None:
            return
        try:
            self._save(self.settings)
        except (WriteError, OSError) as exc:
            self.banner.show_message(self.tr("Could not save the settings: {error}").format(error=exc), kind="notice")

    def _schedule_save(self) -> None:
        self._save_timer.start()

    # -- controller signals -----------------------------------------------------------------------------------
    @Slot(list)
    def _on_engine_ready(self, devices: list) -> None:
        self._devices = list(devices)
        self._engine_ready = True
        self.settings_panel.set_devices(devices)
        shown = self.settings_panel.model_settings()
        if shown is not None:
            self.controller.estimate(shown)  # the memory estimate is there before the first (re)load
        if self._autoload and not self._closing:
            self.load_model(self._initial_model, remember=False)

    @Slot(str)
    def _on_engine_failed(self, message: str) -> None:
        self.progress.hide()
        self._show_empty_state("none")
        self.banner.show_message(self.tr("The model engine could not start: {message}").format(
            message=translate_engine_text(message)), kind="error")
        self.model_label.setText(self.tr("No model (engine unavailable)"))

    @Slot(object)
    def _on_load_started(self, model: ModelSettings) -> None:
        if self.banner.kind == "error":
            self.banner.hide()
        self.model_label.setText(self.tr("Loading {model}…").format(model=model.model))
        self._show_empty_state("loading", model.model)
        self.progress.setRange(0, 0)
        self.progress.setFormat("")
        self.progress.show()

    @Slot(object)
    def _on_load_progress(self, progress: LoadProgress) -> None:
        if progress.total:  # in per mille: byte counts overflow the progress bar's int
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, progress.done * 1000 // progress.total))
        else:
            self.progress.setRange(0, 0)
        self.progress.setFormat(f"{QCoreApplication.translate('engine', STAGE_NAMES.get(progress.stage, progress.stage))} %p%")
        if progress.message:
            self.progress.setToolTip(translate_engine_text(progress.message))
            self.statusBar().showMessage(translate_engine_text(progress.message), 3000)

    @Slot(object)
    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.progress.hide()
        self._show_empty_state("ready")
        self.statusBar().showMessage(self.tr("Loaded {model} in {seconds} s").format(
            model=info.model_id, seconds=format_number(info.load_seconds, 1)), 5000)
        self.model_label.setText(info.model_id)
        self.model_label.setToolTip(self.tr("{architecture}, {parameters}M parameters, context {context} tokens, "
                                            "loaded in {seconds} s").format(
            architecture=info.architecture, parameters=format_number(info.parameters / 1e6),
            context=format_number(info.context_window), seconds=format_number(info.load_seconds, 1)))
        self.device_label.setText(f"{info.device} · {info.dtype}")
        self._show_memory(info.memory_bytes, 0)
        self.setWindowTitle(f"{info.model_id} — {APP_NAME}")
        self.settings_panel.set_loaded(info, self._loading_settings)

    @Slot()
    def _on_model_unloaded(self) -> None:
        self.memory_label.setText("")

    @Slot(str, str)
    def _on_load_failed(self, message: str, kind: str) -> None:
        self.progress.hide()
        info = self.controller.model_info
        self._show_empty_state("ready" if info else "none")
        if kind == "cancelled":
            self.model_label.setText(info.model_id if info else "No model")
            self.statusBar().showMessage(self.tr("Loading cancelled"), 4000)
            return
        self.model_label.setText(info.model_id if info else "No model")
        actions: tuple[tuple[str, str], ...] = (("retry", self.tr("Retry")), ("settings", self.tr("Open settings")))
        if kind in ("offline", "not_found"):
            actions = (("folder", self.tr("Choose a local folder…")), ("choose", self.tr("Choose model…")),
                       ("retry", self.tr("Retry")))
        self.banner.show_message(self.tr("The model could not be loaded: {message}").format(
            message=translate_engine_text(message)), kind="error", actions=actions)

    @Slot(str)
    def _on_banner_action(self, key: str) -> None:
        if key == "retry":
            self.banner.hide()
            self.load_model(self._loading_settings or self._initial_model, remember=False)
        elif key == "settings":
            self.settings_dock.show()
            self.settings_panel.model_edit.setFocus()
        elif key == "folder":
            self.choose_folder()
        elif key == "choose":
            self.choose_model()

    @Slot()
    def choose_folder(self) -> None:
        """Ask for a local model folder and load it (with the device and precision of the last load)."""
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (with config.json)")
        if folder:
            self.banner.hide()
            base = self._loading_settings or self._initial_model
            self.load_model(dataclasses.replace(base, model=folder))

    @Slot()
    def choose_model(self) -> Any:
        """Model → Choose model…: the model picker (recent, cached, Hub id, local folder, device and precision
        with the memory estimate); accepting it loads the model through :meth:`load_model`. Returns the dialog."""
        from llmdesk.gui.models.model_picker import ModelPickerDialog

        if self.model_picker_dialog is not None:
            self.model_picker_dialog.raise_()
            self.model_picker_dialog.activateWindow()
            return self.model_picker_dialog
        base = self._loading_settings or self._initial_model
        dialog = ModelPickerDialog(dataclasses.replace(base), devices=self._devices or None, parent=self)
        dialog.estimate_requested.connect(self.controller.estimate)
        dialog.accepted.connect(lambda: self._picker_accepted(dialog))
        dialog.finished.connect(lambda _result: self._picker_closed(dialog))
        self.model_picker_dialog = dialog
        dialog.open()
        return dialog

    def _picker_accepted(self, dialog: Any) -> None:
        if dialog.chosen is not None:
            self.banner.hide()
            self.load_model(dataclasses.replace(dialog.chosen))

    def _picker_closed(self, dialog: Any) -> None:
        if self.model_picker_dialog is dialog:
            self.model_picker_dialog = None
        dialog.deleteLater()

    @Slot(str)
    def _on_first_run_state(self, state: str) -> None:
        if state == "checking":
            return
        if state in ("needs_download", "cancelled", "offline", "failed") and self.controller.model_info is None:
            self._show_empty_state("none")
        if state in ("needs_download", "cancelled"):
            self.model_label.setText(self.tr("Model not downloaded"))
        elif state == "downloading":
            self.model_label.setText(self.tr("Downloading the model…"))
        elif state in ("offline", "failed"):
            self.model_label.setText(self.tr("No model"))
        if state != "ready":
            self.progress.hide()

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        self.chat_view.set_busy(busy)
        self.activity_label.setText(self.tr("Writing a reply…") if busy else "")
        self._update_branch_actions()
        self.stop_action.setEnabled(busy)

    @Slot(object)
    def _on_reply_finished(self, message: Message) -> None:
        self.chat_view.finish_message(message)
        status = translate_engine_text(stop_reason_label(message.stop_reason)) or self.tr("finished")
        stats = reply_stats_text(message)
        self.announce(self.tr("Reply {status}").format(status=status[:1].lower() + status[1:])
                      + (f": {stats}" if stats else ""))
        if message.stop_reason != "error" and self.controller.last_stats is not None:
            self.show_stats(self.controller.last_stats)

    def announce(self, text: str) -> None:
        """Have screen readers speak ``text`` (an accessibility announcement from the chat view), e.g. when a
        reply finishes. The last few are kept in :attr:`announcements`."""
        self.announcements = [*self.announcements[-19:], text]
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self.chat_view, text))

    @Slot(str)
    def _on_copied(self, text: str) -> None:
        if "\n" not in text and "://" in text[:12]:
            self.statusBar().showMessage(self.tr("Link copied (links from the model are not opened): {link}").format(
                link=text), 5000)
        else:
            self.statusBar().showMessage(self.tr("Copied to the clipboard"), 2000)

    def _show_memory(self, model_bytes: int, kv_cache_bytes: int) -> None:
        """The memory label: the model plus the KV caches kept between turns."""
        text = self.tr("{size} in use").format(size=format_bytes(model_bytes + kv_cache_bytes))
        if kv_cache_bytes:
            text += " " + self.tr("(KV caches {size})").format(size=format_bytes(kv_cache_bytes))
        self.memory_label.setText(text)
        self.memory_label.setToolTip(self.tr("Model {model}, KV caches kept between turns {cache}").format(
            model=format_bytes(model_bytes), cache=format_bytes(kv_cache_bytes)))

    def show_stats(self, stats: GenerationStats) -> None:
        """After a reply: the memory in use with the KV caches kept between turns, and what the engine said about
        them (caches dropped after running out of memory). The reply's own speed and token counts show under it."""
        info = self.controller.model_info
        if info is not None:
            self._show_memory(info.memory_bytes, stats.kv_cache_bytes)
        if stats.notice:
            self.statusBar().showMessage(stats.notice, 10000)

    @Slot(object)
    def _on_estimate(self, result: MemoryEstimateResult) -> None:
        self.settings_panel.set_estimate(result.message, result.fits)
        if self.model_picker_dialog is not None:
            self.model_picker_dialog.set_estimate(result.message, result.fits)

    @Slot(object)
    def _on_decoding_changed(self, decoding: Any) -> None:
        self.settings.decoding = decoding
        self.controller.set_decoding(decoding)
        self._schedule_save()

    @Slot(str)
    def _on_prompt_changed(self, prompt: str) -> None:
        self.settings.system_prompt = prompt
        self.controller.set_system_prompt(prompt)
        self._schedule_save()

    def _on_language_changed(self, language: str) -> None:
        """Save the interface language; it is installed at the next start (see :mod:`llmdesk.gui.i18n`)."""
        self.settings.appearance.language = language
        self._schedule_save()

    def _about(self) -> None:
        QMessageBox.about(self, self.tr("About {app}").format(app=APP_NAME),
                          self.tr("{app} {version}\nChat with a local large language model.").format(
                              app=APP_NAME, version=__version__))

    # -- window events ----------------------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._exposed:
            self._exposed = True
            QTimer.singleShot(0, self.first_exposed.emit)

    def _restore_geometry(self) -> None:
        """Restore the saved geometry and dock layout, clipped to the screens present now. Whatever the QSettings
        file holds (junk, wrong types, a value far too large), the window opens: a value that is not a saved
        geometry is ignored."""
        try:
            state = QSettings(APP_NAME, APP_NAME)
            geometry = state.value("window/geometry")
            if isinstance(geometry, QByteArray) and 0 < geometry.size() <= 64 * 1024:
                if not self.restoreGeometry(geometry):
                    log.info("ignored the saved window/geometry in %s: not a valid saved layout", state.fileName())
                elif not (self.isMaximized() or self.isFullScreen()):  # its screen may be gone or smaller now
                    self.setGeometry(clip_to_screens(self.geometry(), self._screen_areas()))
            layout = state.value("window/state")
            if isinstance(layout, QByteArray) and 0 < layout.size() <= 64 * 1024 and not self.restoreState(layout):
                log.info("ignored the saved window/state in %s: not a valid saved layout", state.fileName())
        except Exception as exc:  # noqa: BLE001 - a window state never stops the window from opening
            log.warning("could not restore the window layout: %s", exc)
        QTimer.singleShot(0, self.fit_docks)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop any load or reply, wait (bounded) for the model thread, save, then close."""
        self._closing = True
        self.settings_panel.flush_pending()
        if self._remember_geometry:
            state = QSettings(APP_NAME, APP_NAME)
            state.setValue("window/geometry", self.saveGeometry())
            state.setValue("window/state", self.saveState())
        self.save_settings_now()
        if self.model_picker_dialog is not None:
            self.model_picker_dialog.reject()  # cancels its download, stops its threads
        if self.first_run is not None and not self.first_run.shutdown():
            log.error("closing while the download thread is still busy")
        api_switch = getattr(self, "api_switch", None)
        if api_switch is not None:  # API clients get their answer before the model thread ends
            api_switch.stop()
        ended = self.controller.shutdown()
        if not ended:
            log.error("closing while the model thread is still busy")
        super().closeEvent(event)
        self.closed.emit()
