"""Application set-up for the chat window: QApplication, colour scheme, settings, window, model thread.

The window is shown before torch or transformers are imported: they are imported on the model thread, which is
started only once the window is up.

:func:`build_window` puts the pieces together: the conversation store (its notice, if a damaged database was moved
aside, goes to the window's banner), the chat controller saving into it, the conversation sidebar (search, rename,
delete) and File → Export…/Import…. :class:`ConversationCoordinator` keeps the sidebar, the store and the chat view
in step. Choosing another conversation while a reply streams stops the reply first (it is kept, as stopped), the
same as New chat.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from llmdesk import APP_NAME
from llmdesk.core import branches, paths
from llmdesk.core.conversation import Conversation
from llmdesk.core.settings import ModelSettings, Settings, load_settings, save_settings
from llmdesk.core.store import ConversationStore, StoreError
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.conversations.conversation_list import ConversationSidebar
from llmdesk.gui.export.export_dialog import ConversationTransfer
from llmdesk.gui.i18n import install_translation, tr
from llmdesk.gui.single_instance import InstanceServer, ProfileLock, claim_profile
from llmdesk.gui.window import ChatWindow
from llmdesk.gui.chat.worker import EngineBackend

log = logging.getLogger(__name__)

EXTERNAL_CHANGES_POLL_MS = 1500


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (used when the system asks for dark but the platform theme does not
    provide one)."""
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#2d2f33", QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3b82f6", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7ab7ff", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f75"))
    return pal


def apply_color_scheme(app: QApplication, dark: bool | None = None) -> None:
    """Fusion with a light or dark palette and the matching style sheet from ``llmdesk.resources`` (when present).
    ``dark`` None follows the system's choice (QStyleHints.colorScheme); True or False forces one (screenshots)."""
    if dark is None:
        dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    try:
        from llmdesk.core import resources

        app.setStyleSheet(resources.style_sheet("dark" if dark else "light") + spin_box_css(dark))
    except (ImportError, OSError, ValueError) as exc:  # resources are optional
        log.debug("no style sheet: %s", exc)


_ARROW_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="5" viewBox="0 0 8 5">'
              '<path d="{path}" fill="{color}"/></svg>')


def spin_box_css(dark: bool) -> str:
    """Style-sheet rules that give spin boxes visible arrows (a style sheet that restyles a spin box's frame
    must also draw its buttons). The arrow images are small SVG files written to the cache folder."""
    import platformdirs

    folder = platformdirs.user_cache_path(APP_NAME, appauthor=False) / "style"
    folder.mkdir(parents=True, exist_ok=True)
    rules = ["QAbstractSpinBox { padding-right: 18px; }",
             f"QAbstractSpinBox:disabled {{ color: {'#6b6f75' if dark else '#8c959f'};"
             f" background: {'#1d1f22' if dark else '#f6f8fa'}; }}",
             "QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { subcontrol-origin: border; width: 16px;"
             " border: none; background: transparent; }",
             "QAbstractSpinBox::up-button { subcontrol-position: top right; }",
             "QAbstractSpinBox::down-button { subcontrol-position: bottom right; }"]
    for name, path in (("up", "M0 5 L4 0 L8 5 Z"), ("down", "M0 0 L4 5 L8 0 Z")):
        for state, color in (("", "#c9d1d9" if dark else "#57606a"), (":disabled", "#6b6f75" if dark else "#c4cbd3")):
            file = folder / f"{name}{'-off' if state else ''}{'-dark' if dark else ''}.svg"
            file.write_text(_ARROW_SVG.format(path=path, color=color), encoding="ascii")
            rules.append(f"QAbstractSpinBox::{name}-arrow{state} {{ image: url({file.as_posix()}); width: 8px;"
                         " height: 5px; }")
    return "\n" + "\n".join(rules) + "\n"


def app_icon() -> QIcon:
    """The app icon (every size) from ``llmdesk.resources``, when it is there."""
    icon = QIcon()
    try:
        from llmdesk.core import resources

        for path in resources.icon_files():
            icon.addFile(str(path))
    except (ImportError, OSError, ValueError) as exc:
        log.debug("no icon: %s", exc)
    return icon


def process_age_s() -> float | None:
    """Seconds since this process started (Linux, from /proc; 10 ms resolution), or None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# Qt messages that say nothing a user can act on: the font database's complaints (missing font folder, slow alias
# lookups) and the offscreen/X11 plugin's propagateSizeHints note. They go to the debug log, not the terminal.
QUIET_QT_MESSAGES = ("QFontDatabase:", "Note that Qt no longer ships fonts", "font family aliases",
                     "propagateSizeHints")
QUIET_QT_CATEGORIES = ("qt.qpa.fonts",)


def quiet_qt_messages() -> None:
    """Route Qt's font-database warnings (category ``qt.qpa.fonts`` and the ``QFontDatabase:`` messages) and other
    known noise to ``logging`` at debug level; every other Qt message is printed as before. ``QT_LOGGING_RULES``
    still wins, so ``QT_LOGGING_RULES="qt.qpa.fonts=true"`` brings the font messages back. Call before the
    QApplication exists (the font database is set up with it). Not used in tests, where pytest-qt owns the Qt
    message handler."""
    from PySide6.QtCore import QLoggingCategory, qInstallMessageHandler

    QLoggingCategory.setFilterRules("\n".join(f"{c}.warning=false\n{c}.info=false" for c in QUIET_QT_CATEGORIES))
    qt_log = logging.getLogger("llmdesk.qt")

    def handler(mode: Any, context: Any, message: str) -> None:
        category = getattr(context, "category", "") or ""
        if category in QUIET_QT_CATEGORIES or any(text in message for text in QUIET_QT_MESSAGES):
            qt_log.debug("%s: %s", category or "qt", message)
            return
        if previous is not None:
            previous(mode, context, message)
            return
        sys.stderr.write(f"{message}\n")  # Qt's default handler prints just the message too

    previous = qInstallMessageHandler(handler)


def make_application(argv: Sequence[str] | None = None, *, language: str | None = None) -> QApplication:
    """The QApplication with llmdesk's name, icon and colour scheme; with ``language`` (the settings' choice:
    "system" or a language code), the interface language is installed too (see :mod:`llmdesk.gui.i18n`)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("io.github.llmdesk.llmdesk")
    app.setWindowIcon(app_icon())
    apply_color_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_color_scheme(app))
    if language is not None:
        install_translation(language, app)
    return app


class ConversationCoordinator(QObject):
    """Keeps the conversation sidebar, the store and the chat window in step.

    Args:
        window: the chat window (its controller saves into ``store``).
        store: the conversation store.
        sidebar: the conversation list shown in the window.
        transfer: File → Export…/Import….
        own_store: close the store when the window closes.
    """

    def __init__(self, window: ChatWindow, store: ConversationStore, sidebar: ConversationSidebar,
                 transfer: ConversationTransfer, *, own_store: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.store = store
        self.sidebar = sidebar
        self.transfer = transfer
        sidebar.new_requested.connect(self.new_conversation)
        sidebar.conversation_selected.connect(self.open_conversation)
        sidebar.message_requested.connect(self.open_message)
        sidebar.conversation_deleted.connect(self._on_deleted)
        sidebar.error.connect(lambda text: window.banner.show_message(text, kind="notice"))
        transfer.imported.connect(self._on_imported)
        transfer.exported.connect(lambda path: window.statusBar().showMessage(
            self.tr("Exported to {path}").format(path=path), 5000))
        window.closed.connect(self._on_closed)
        self._own_store = own_store
        # Conversations added by another process (``llmdesk import`` while the window is open) show up within a
        # poll; the check reads no table.
        self._poll = QTimer(self)
        self._poll.setInterval(EXTERNAL_CHANGES_POLL_MS)
        self._poll.timeout.connect(self.check_external_changes)
        with contextlib.suppress(StoreError):
            store.changed_elsewhere()
        self._poll.start()

    @Slot()
    def check_external_changes(self) -> bool:
        """Reload the conversation list when another process changed the database; returns whether it did."""
        try:
            changed = self.store.changed_elsewhere()
        except StoreError:
            return False  # closed, or failing: the next write reports it
        if changed:
            self.sidebar.select_conversation(self.current_id)
        return changed

    @property
    def current_id(self) -> str:
        return self.controller.conversation.id

    def _load(self, conversation_id: str) -> Conversation | None:
        """Read a conversation that is not the one on show. A reply in it still marked as streaming was cut off
        (e.g. its conversation was deleted mid-reply and then restored): it is marked as stopped, unless another
        running process is writing it."""
        try:
            conv = self.store.load_conversation(conversation_id)
            for message in conv.messages.values():
                if (message.role == "assistant" and message.stop_reason is None
                        and not self.store.is_written_elsewhere(message.id)):
                    message.stop_reason = "cancelled"
                    self.store.update_message(message.id, stop_reason="cancelled")
            return conv
        except KeyError:
            self.window.banner.show_message(self.tr("That conversation no longer exists."), kind="notice")
        except StoreError as exc:
            self.window.banner.show_message(self.tr("Could not open the conversation: {error}").format(error=exc),
                                            kind="notice")
        return None

    @Slot()
    def new_conversation(self) -> str | None:
        """A new, empty conversation on show (the one on show is reused when it is still empty)."""
        conv = self.controller.conversation
        if not conv.messages and not self.controller.busy and self.sidebar.model.find(conv.id).isValid():
            self.sidebar.select_conversation(conv.id)
        else:
            try:
                conv = self.store.create_conversation()
            except StoreError as exc:
                self.window.banner.show_message(self.tr("Could not start a conversation: {error}").format(error=exc),
                                                kind="notice")
                return None
            self.controller.set_conversation(conv)
            self.sidebar.select_conversation(conv.id)
        self.window.composer.editor.setFocus()
        return conv.id

    @Slot(str)
    def open_conversation(self, conversation_id: str) -> bool:
        """Show a conversation (a reply streaming in another one is stopped first and kept)."""
        if conversation_id == self.current_id:
            return True
        conv = self._load(conversation_id)
        if conv is None:
            return False
        self.controller.set_conversation(conv)
        self.sidebar.select_conversation(conversation_id)
        return True

    @Slot(str, str)
    def open_message(self, conversation_id: str, message_id: str) -> bool:
        """Open a search hit: its conversation, on a branch that holds the message, scrolled to it."""
        if conversation_id != self.current_id:
            conv = self._load(conversation_id)
            if conv is None:
                return False
            if message_id in conv.messages:
                branches.reveal_message(conv, message_id)
                if conv.current_leaf_id is not None:
                    try:
                        self.store.set_current_leaf(conv.id, conv.current_leaf_id)
                    except (StoreError, KeyError, ValueError) as exc:
                        log.warning("could not save the shown branch: %s", exc)
            self.controller.set_conversation(conv)
            self.sidebar.select_conversation(conversation_id)
        elif message_id in self.controller.conversation.messages and not self.controller.busy:
            self.controller.show_message(message_id)
        view = self.window.chat_view
        if not view.scroll_to_message(message_id):
            return False
        QTimer.singleShot(0, lambda: view.scroll_to_message(message_id))  # again once the heights are known
        return True

    @Slot(str)
    def _on_deleted(self, conversation_id: str) -> None:
        if conversation_id != self.current_id:
            return
        following = self.sidebar.current_conversation_id()
        conv = self._load(following) if following and following != conversation_id else None
        if conv is None:
            try:
                conv = self.store.create_conversation()
            except StoreError as exc:
                self.window.banner.show_message(self.tr("Could not start a conversation: {error}").format(error=exc),
                                                kind="notice")
                conv = Conversation()
        self.controller.set_conversation(conv, discard_reply=True)
        self.sidebar.select_conversation(conv.id)

    @Slot(list)
    def _on_imported(self, ids: list) -> None:
        if ids:
            self.open_conversation(str(ids[0]))

    @Slot()
    def _on_closed(self) -> None:
        self.close_store()

    def close_store(self) -> None:
        """Close the store when this coordinator opened it (safe to call twice)."""
        self._poll.stop()
        if self._own_store:
            self.store.close()


# An upgrade that rebuilds the search index of at least this many messages shows a progress dialog.
UPGRADE_DIALOG_MIN_MESSAGES = 20_000


def _upgrade_progress() -> Callable[[int, int], None]:
    """A progress callback for :class:`ConversationStore` that shows a modal progress dialog while a large search
    index is rebuilt (before the window is up; the modal dialog repaints itself on each update)."""
    from PySide6.QtWidgets import QProgressDialog

    holder: dict[str, QProgressDialog] = {}

    def progress(done: int, total: int) -> None:
        if total < UPGRADE_DIALOG_MIN_MESSAGES:
            return
        dialog = holder.get("dialog")
        if dialog is None:
            dialog = QProgressDialog(tr("Updating the search index of %n message(s) for this version of {app}…", "",
                                        total).format(app=APP_NAME), "", 0, total)
            dialog.setWindowTitle(APP_NAME)
            dialog.setCancelButton(None)  # the upgrade is one transaction: stopping it would only undo it
            dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
            dialog.setMinimumDuration(0)
            holder["dialog"] = dialog
        dialog.setValue(done)
        if done >= total:
            dialog.close()
            dialog.deleteLater()
            holder.pop("dialog", None)

    return progress


def open_store(path: Any = None) -> tuple[ConversationStore | None, str | None]:
    """Open the conversation store; (store, notice) or (None, the reason it cannot be used). An upgrade that
    rebuilds a large search index shows its progress in a dialog."""
    try:
        store = ConversationStore(path, progress=_upgrade_progress())
    except StoreError as exc:
        return None, f"{exc}\n" + tr("Conversations are not saved in this session.")
    return store, store.notice


def build_window(settings: Settings, *, store: ConversationStore | None = None, open_default_store: bool = True,
                 backend_factory: Callable[[], EngineBackend] | None = None, warnings: list[str] | None = None,
                 autoload: bool = True, initial_model: ModelSettings | None = None,
                 save: Callable[[Settings], Any] | None = save_settings,
                 remember_geometry: bool = True, check_downloads: bool | None = None,
                 hub_timeout: float | None = None) -> ChatWindow:
    """The chat window with its conversation store, sidebar and Export…/Import… (not shown yet).

    Args:
        settings: the user's settings.
        store: the conversation store to use (the caller closes it); None opens the default one (closed with the
            window) when ``open_default_store``, else conversations are kept in memory only.
        backend_factory: the engine backend (None: the real engine).
        warnings, autoload, initial_model, save, remember_geometry, hub_timeout: passed to :class:`ChatWindow`.
        check_downloads: look a Hub id up in the Hugging Face cache before loading it and offer its download
            (the first run); None: on with the real engine, off with another backend.

    Returns:
        The window; ``window.conversations`` is its :class:`ConversationCoordinator` (None without a store).
    """
    own_store = False
    notices = list(warnings or [])
    if store is None and open_default_store:
        store, notice = open_store()
        own_store = store is not None
        if notice:
            notices.append(notice)
    first: Conversation | None = None
    if store is not None:
        try:
            recent = store.list_conversations(limit=1)
            first = store.load_conversation(recent[0].id) if recent else store.create_conversation()
        except (StoreError, KeyError) as exc:
            notices.append(tr("Could not open the last conversation: {error}").format(error=exc))
    controller = ChatController(settings.decoding, settings.system_prompt, backend_factory=backend_factory,
                                store=store, conversation=first)
    window = ChatWindow(settings, controller, warnings=notices or None, autoload=autoload, save=save,
                        initial_model=initial_model, remember_geometry=remember_geometry,
                        check_downloads=backend_factory is None if check_downloads is None else check_downloads,
                        hub_timeout=hub_timeout)
    from llmdesk.gui.chat.api_switch import install_api_switch
    from llmdesk.gui.chat.reply_notes import install_reply_notes

    install_api_switch(window)  # Model menu: serve the loaded model on localhost (OpenAI API)
    install_reply_notes(window)  # settings a remote server refused or ignored, shown with the reply
    from llmdesk.gui.models.remote_servers_dialog import install_remote_servers

    install_remote_servers(window)  # Model > Remote servers…
    window.conversations = None
    if store is None:
        return window
    sidebar = ConversationSidebar(store)
    window.sidebar = sidebar
    window.sidebar_dock = window.add_sidebar(sidebar)
    window.set_new_chat_action(sidebar.new_action)
    transfer = ConversationTransfer(store, window)
    export_action, import_action = transfer.make_actions(
        lambda: controller.conversation.id,
        lambda: [cid for cid in (sidebar.current_conversation_id(),) if cid])
    window.insert_file_action(export_action)
    window.insert_file_action(import_action)
    window.export_action, window.import_action = export_action, import_action
    window.transfer = transfer
    coordinator = ConversationCoordinator(window, store, sidebar, transfer, own_store=own_store)
    window.conversations = coordinator
    sidebar.select_conversation(controller.conversation.id)
    return window


def run_window(*, model_overrides: dict[str, str] | None = None, measure_startup: bool = False,
               backend_factory: Callable[[], EngineBackend] | None = None,
               profile_lock: ProfileLock | None = None) -> int:
    """Open the chat window and run the event loop; returns the exit code.

    One window per profile: when a window is already open on this profile (its data folder), this launch passes
    its ``model_overrides`` to that window, which comes to the front, and returns 0 without opening another
    (1 when that window does not answer); see :mod:`llmdesk.gui.single_instance`.

    Args:
        model_overrides: ModelSettings fields from the command line (model, device, dtype), already validated.
        measure_startup: print the time from process start to the window's first paint, then quit (no model
            thread is started).
        backend_factory: the engine backend (None: the real engine).
        profile_lock: the profile's lock, already taken by :func:`llmdesk.gui.single_instance.claim_profile` (the
            command does that before importing the window's modules, so a hand-over is quick); None: take it here.
    """
    t0 = time.perf_counter()
    lock = profile_lock
    if lock is None:
        lock, code = claim_profile(paths.data_dir(), model_overrides or {})
        if code is not None:
            return code
    try:
        return _run_owner(lock, t0, model_overrides=model_overrides, measure_startup=measure_startup,
                          backend_factory=backend_factory)
    finally:
        lock.release()


def _run_owner(lock: ProfileLock, t0: float, *, model_overrides: dict[str, str] | None, measure_startup: bool,
               backend_factory: Callable[[], EngineBackend] | None) -> int:
    quiet_qt_messages()
    loaded = load_settings()
    app = make_application(language=loaded.settings.appearance.language)
    server = InstanceServer(lock) if lock.held else None
    if server is not None:
        server.listen()
    for warning in loaded.warnings:  # shown in the window's banner too; a terminal user sees it here
        print(f"llmdesk: {warning}", file=sys.stderr)
    settings: Settings = loaded.settings
    # Flags choose the model for this session; they are saved only if the user loads from the settings panel.
    initial_model = dataclasses.replace(settings.model, **(model_overrides or {}))
    window = build_window(settings, backend_factory=backend_factory, warnings=loaded.warnings,
                          autoload=not measure_startup, initial_model=initial_model)
    controller = window.controller
    if measure_startup:
        def report() -> None:
            age = process_age_s()
            heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
            print(f"window shown: {age * 1000:.0f} ms after process start" if age is not None else
                  "window shown", f"({(time.perf_counter() - t0) * 1000:.0f} ms in the window set-up); "
                  f"heavy modules imported: {', '.join(heavy) or 'none'}", flush=True)
            window.close()
        window.first_exposed.connect(report)
    else:
        window.first_exposed.connect(window.start)
        QTimer.singleShot(1000, window.start)  # in case the window is never painted (e.g. started minimised)
    if server is not None:
        server.options_received.connect(window.apply_launch_options)
        window.closed.connect(server.close)  # a launch from now on opens a window of its own
    window.show()
    _close_on_signals(window)
    code = app.exec()
    if controller.running:  # closed some other way (e.g. the session ended): stop the model thread anyway
        controller.shutdown()
    if window.conversations is not None and not controller.running:
        window.conversations.close_store()  # after the last reply was saved; safe when already closed
    if controller.running:
        # The worker is stuck in a call that cannot be cancelled (e.g. reading weights from a slow disk). Qt would
        # abort on destroying a running QThread, and terminating it is unsafe: leave without running destructors.
        log.error("the model thread did not stop in time; exiting without waiting for it")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    return int(code)


def _close_on_signals(window: ChatWindow) -> None:
    """Close the window (and so stop the model thread cleanly) on Ctrl+C or SIGTERM instead of dying mid-work.

    Python runs signal handlers only between bytecodes, so a cheap timer gives the interpreter a turn while Qt's
    event loop waits."""
    import signal

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not supported here
            return
    timer = QTimer(window)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
