"""The chat window with a scripted engine: send, stream, stop, close mid-reply and mid-load, load failure."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from llmdesk.core.settings import ModelSettings, Settings, load_settings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import DeviceInfo
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.window import ChatWindow
from llmdesk.gui.chat.worker import EngineBackend

LONG_REPLY = "".join(f"Word{i} " for i in range(400))


def backend_for(engine: ScriptedEngine):
    return lambda: EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices,
                                 estimate_memory=lambda s: type("E", (), {"message": f"est {s.model}",
                                                                          "fits": True})())


def make_window(qtbot, engine: ScriptedEngine, *, autoload: bool = True, wait_loaded: bool = True,
                settings: Settings | None = None, warnings: list[str] | None = None) -> ChatWindow:
    settings = settings or Settings()
    settings.model.model = "scripted/model"
    controller = ChatController(backend_factory=backend_for(engine))
    window = ChatWindow(settings, controller, autoload=autoload, warnings=warnings, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.warmed_up, timeout=5000)
    if wait_loaded:
        qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    return window


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine()


def send_with_enter(qtbot, window: ChatWindow, text: str) -> None:
    editor = window.composer.editor
    editor.setFocus()
    editor.setPlainText(text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_title_status_and_worker_thread(qtbot, engine):
    window = make_window(qtbot, engine)
    assert "llmdesk" in window.windowTitle()
    assert "scripted/model" in window.model_label.text()
    assert "cpu" in window.device_label.text() and "float32" in window.device_label.text()
    assert "MiB" in window.memory_label.text()
    # the model was loaded on the worker thread, not on the GUI thread
    assert engine.thread_ids and threading.get_ident() not in engine.thread_ids
    window.close()
    assert not window.controller.running


def test_send_tokens_arrive_and_finish(qtbot, engine):
    engine.rate = 100
    window = make_window(qtbot, engine)
    chunks: list[str] = []
    window.controller.reply_text.connect(lambda _mid, text: chunks.append(text))
    with qtbot.waitSignal(window.controller.reply_finished, timeout=10000) as finished:
        send_with_enter(qtbot, window, "Hello there")
        assert window.composer.button.text() == "Stop"
        assert window.composer.editor.toPlainText() == ""
    message = finished.args[0]
    assert message.stop_reason == "eos"
    assert message.content == engine.reply
    assert "".join(chunks) == engine.reply
    assert 1 < len(chunks) < len(engine.reply) // engine.piece_chars  # coalesced, but streamed
    widgets = window.chat_view.message_widgets()
    assert [w.role for w in widgets] == ["user", "assistant"]
    assert widgets[0].text == "Hello there"
    assert widgets[1].text == engine.reply
    assert widgets[1].status_label.text() == ""
    assert window.composer.button.text() == "Send"
    # the reply's own stats are shown with it, and announced; the status bar says what the app is doing
    assert "tok/s" in widgets[1].stats_label.text() and "first token" in widgets[1].stats_label.text()
    assert widgets[1].accessibleName().startswith("Assistant reply, finished, ")
    assert window.announcements[-1].startswith("Reply finished: ") and "tok/s" in window.announcements[-1]
    assert window.activity_label.text() == ""
    path = window.controller.conversation.path()
    assert [m.role for m in path] == ["user", "assistant"]
    assert path[1].meta["model"] == "scripted/model" and path[1].meta["stats"]["new_tokens"] > 0


def test_shift_enter_makes_a_new_line_and_empty_text_is_not_sent(qtbot, engine):
    window = make_window(qtbot, engine)
    editor = window.composer.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "line one")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(editor, "line two")
    assert editor.toPlainText() == "line one\nline two"
    editor.setPlainText("   ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.chat_view.message_widgets() == []
    assert not window.controller.busy


@pytest.mark.parametrize("how", ["button", "escape"])
def test_stop_mid_reply_keeps_partial_text(qtbot, engine, how):
    engine.reply = LONG_REPLY
    engine.rate = 100
    window = make_window(qtbot, engine)
    send_with_enter(qtbot, window, "Tell me a long story")
    qtbot.waitUntil(lambda: len(window.chat_view.message_widgets()[-1].text) > 20, timeout=5000)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        if how == "button":
            assert window.composer.button.text() == "Stop"
            qtbot.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(window.composer.editor, Qt.Key.Key_Escape)
    message = finished.args[0]
    assert message.stop_reason == "cancelled"
    assert 0 < len(message.content) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(message.content)
    widget = window.chat_view.message_widget(message.id)
    assert widget.status_label.text() == "Stopped"
    assert widget.text == message.content
    assert window.composer.button.text() == "Send"
    # the app is usable again: the next reply works
    engine.reply = "Second reply."
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as again:
        send_with_enter(qtbot, window, "Again")
    assert again.args[0].content == "Second reply." and again.args[0].stop_reason == "eos"


def test_close_mid_reply_stops_and_ends_the_thread(qtbot, engine):
    engine.reply = LONG_REPLY
    engine.rate = 50
    window = make_window(qtbot, engine)
    send_with_enter(qtbot, window, "Hi")
    qtbot.waitUntil(lambda: len(window.chat_view.message_widgets()[-1].text) > 8, timeout=5000)
    assert window.controller.busy
    gui_thread = threading.get_ident()
    window.close()
    assert not window.controller.running
    assert engine.calls[-1] == "unload"  # the model was freed ...
    assert engine.thread_ids[-1] != gui_thread  # ... on the worker thread
    reply = window.controller.conversation.path()[-1]
    assert reply.stop_reason == "cancelled" and reply.content


def test_close_mid_load(qtbot, engine):
    engine.load_steps = 50
    engine.load_delay = 0.2
    window = make_window(qtbot, engine, wait_loaded=False)
    qtbot.waitUntil(lambda: window.progress.isVisible() and 0 < window.progress.value() < 1000, timeout=5000)
    assert window.controller.loading
    window.close()
    assert not window.controller.running
    assert window.controller.model_info is None


def test_send_during_load_replies_once_loaded(qtbot, engine):
    engine.load_steps = 5
    engine.load_delay = 0.05
    window = make_window(qtbot, engine, wait_loaded=False)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=10000) as finished:
        send_with_enter(qtbot, window, "Early question")
    assert finished.args[0].stop_reason == "eos"
    assert finished.args[0].content == engine.reply


def test_load_failure_shows_message_and_retry_works(qtbot, engine):
    engine.load_error = EngineError("not_found", "Model 'scripted/model' was not found on the Hub.",
                                    "Check the name, or pick a local folder with Browse….")
    window = make_window(qtbot, engine, wait_loaded=False)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    text = window.banner.label.text()
    assert "was not found" in text and "Check the name" in text
    assert window.model_label.text() == "No model"
    assert not window.progress.isVisible()
    # still usable: a message gets a clear error instead of hanging
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        send_with_enter(qtbot, window, "anyone there?")
    assert finished.args[0].stop_reason == "error"
    widget = window.chat_view.message_widget(finished.args[0].id)
    assert widget.error_label.isVisible() and "No model is loaded" in widget.error_label.text()
    assert window.composer.button.text() == "Send"
    # fix the cause and retry from the banner
    engine.load_error = None
    retry = next(b for b in window.banner.findChildren(type(window.composer.button)) if b.text() == "Retry")
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=5000)
    assert window.model_label.text() == "scripted/model"
    assert not window.banner.isVisible()


def test_engine_start_failure_is_shown(qtbot):
    def broken():
        raise ImportError("No module named 'torch'")

    controller = ChatController(backend_factory=broken)
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert "torch" in window.banner.label.text()
    window.close()
    assert not controller.running


def test_device_list_from_worker(qtbot, engine):
    engine.devices = [DeviceInfo("cpu", "Intel Xeon", 64 * 2**30, 32 * 2**30),
                      DeviceInfo("cuda:0", "NVIDIA H100 80GB HBM3", 80 * 2**30, 79 * 2**30)]
    window = make_window(qtbot, engine)
    combo = window.settings_panel.device_combo
    items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    assert items == [("Auto", "auto"), ("Intel Xeon (64.0 GiB)", "cpu"),
                     ("NVIDIA H100 80GB HBM3 (80.0 GiB)", "cuda:0")]


def test_model_change_needs_explicit_load(qtbot, engine):
    window = make_window(qtbot, engine)
    panel = window.settings_panel
    window.settings_dock.show()
    assert panel.load_button.text() == "Reload"
    panel.model_edit.setText("other/model")
    panel.model_edit.textEdited.emit("other/model")
    assert panel.load_button.text() == "Load"
    assert "press Load" in panel.pending_label.text()
    qtbot.waitUntil(lambda: panel.estimate_label.text() == "est other/model", timeout=5000)
    assert engine.calls.count("load:other/model") == 0  # nothing reloads by itself
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model_label.text() == "other/model", timeout=5000)
    assert engine.calls.count("load:other/model") == 1
    assert panel.load_button.text() == "Reload"
    window.save_settings_now()
    assert load_settings().settings.model.model == "other/model"


def test_decoding_change_applies_to_next_reply_without_reload(qtbot, engine):
    engine.reply = LONG_REPLY
    window = make_window(qtbot, engine)
    spin = window.settings_panel.editors["max_new_tokens"]
    spin.setValue(3)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        send_with_enter(qtbot, window, "short please")
    assert finished.args[0].stop_reason == "length"
    assert finished.args[0].meta["stats"]["new_tokens"] == 3
    assert finished.args[0].meta["decoding"]["max_new_tokens"] == 3
    assert sum(c.startswith("load:") for c in engine.calls) == 1
    window.save_settings_now()
    assert load_settings().settings.decoding.max_new_tokens == 3


def test_settings_warnings_are_shown(qtbot, engine):
    window = make_window(qtbot, engine, warnings=["Some settings in x were not valid:", "decoding.top_k: bad"])
    assert window.banner.isVisible()
    assert "decoding.top_k: bad" in window.banner.label.text()


def test_command_line_model_is_used_but_not_saved(qtbot, engine):
    settings = Settings()
    controller = ChatController(backend_factory=backend_for(engine))
    window = ChatWindow(settings, controller, initial_model=ModelSettings(model="flag/model", device="cpu"),
                        remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    assert controller.model_info.model_id == "flag/model"
    assert window.settings_panel.model_edit.text() == "flag/model"
    window.save_settings_now()
    assert load_settings().settings.model.model == Settings().model.model


class RecordingStore:
    """A stand-in for ConversationStore that records what the controller saves."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple] = []
        self.fail = fail

    def create_conversation(self, title: str = "New chat"):
        from llmdesk.core.conversation import Conversation

        conversation = Conversation(title=title)
        self.calls.append(("create", conversation.id))
        return conversation

    def add_message(self, conversation_id, message, *, make_current=True):
        self.calls.append(("add", conversation_id, message.role, message.content))
        if self.fail:
            raise OSError("disk full")

    def update_message(self, message_id, *, content=None, stop_reason=None, meta=None):
        self.calls.append(("update", message_id, content, stop_reason))

    def set_current_leaf(self, conversation_id, leaf_id):
        self.calls.append(("leaf", conversation_id, leaf_id))


def test_messages_go_through_the_store_hook(qtbot, engine):
    store = RecordingStore()
    controller = ChatController(backend_factory=backend_for(engine), store=store)
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    with qtbot.waitSignal(controller.reply_finished, timeout=5000) as finished:
        send_with_enter(qtbot, window, "Save me")
    conv_id = controller.conversation.id
    reply = finished.args[0]
    assert store.calls[0] == ("create", conv_id)
    assert ("add", conv_id, "user", "Save me") in store.calls
    assert ("add", conv_id, "assistant", "") in store.calls
    assert store.calls[-1] == ("update", reply.id, engine.reply, "eos")


def test_store_failure_keeps_the_text_and_tells_the_user(qtbot, engine):
    controller = ChatController(backend_factory=backend_for(engine), store=RecordingStore(fail=True))
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    with qtbot.waitSignal(controller.reply_finished, timeout=5000):
        send_with_enter(qtbot, window, "Keep me")
    assert window.banner.isVisible() and "disk full" in window.banner.label.text()
    assert [m.content for m in controller.conversation.path()] == ["Keep me", engine.reply]


def test_keyboard_only(qtbot, engine):
    engine.reply = LONG_REPLY
    engine.rate = 100
    window = make_window(qtbot, engine)
    window.activateWindow()
    editor = window.composer.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "typed with the keyboard")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # Enter sends
    qtbot.waitUntil(lambda: len(window.chat_view.message_widgets()) == 2)
    qtbot.waitUntil(lambda: len(window.chat_view.message_widgets()[-1].text) > 5, timeout=5000)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        qtbot.keyClick(editor, Qt.Key.Key_Escape)  # Esc stops
    assert finished.args[0].stop_reason == "cancelled"
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab leaves the editor for the Send button
    assert window.composer.button.hasFocus()
    assert not window.settings_dock.isVisible()
    window.settings_action.trigger()  # Ctrl+, in the View menu
    assert window.settings_dock.isVisible()
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    assert window.stop_shortcut.key().toString() == "Esc"


def test_download_progress_in_bytes_beyond_int32(qtbot, engine):
    from llmdesk.engine.types import LoadProgress

    window = make_window(qtbot, engine)
    window.controller.load_progress.emit(LoadProgress("download", 3 * 2**30, 6 * 2**30, "model.safetensors"))
    assert window.progress.maximum() == 1000 and window.progress.value() == 500


def test_streaming_reply_is_checkpointed_to_the_store(qtbot, engine, monkeypatch):
    import llmdesk.gui.chat.controller as controller_module

    monkeypatch.setattr(controller_module, "CHECKPOINT_INTERVAL_S", 0.05)
    engine.reply = LONG_REPLY[:800]
    engine.rate = 60  # ~2 s of streaming: many checkpoint intervals even on a loaded machine
    store = RecordingStore()
    controller = ChatController(backend_factory=backend_for(engine), store=store)
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    with qtbot.waitSignal(controller.reply_finished, timeout=10000) as finished:
        send_with_enter(qtbot, window, "long")
    reply_id = finished.args[0].id
    updates = [c for c in store.calls if c[0] == "update" and c[1] == reply_id]
    partial = [c for c in updates if c[3] is None]
    assert len(partial) >= 2  # saved while streaming ...
    # each a prefix of the reply (the last may already hold all of it, saved before the worker said it ended)
    assert all(engine.reply.startswith(c[2]) for c in partial) and len(partial[0][2]) < len(engine.reply)
    assert updates[-1] == ("update", reply_id, engine.reply, "eos")  # ... and once at the end


def test_seams_for_sidebar_and_file_menu(qtbot, engine):
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QLabel

    window = make_window(qtbot, engine)
    dock = window.add_sidebar(QLabel("conversations"))
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    export = QAction("Export…", window)
    window.insert_file_action(export)
    titles = [a.text() for a in window.file_menu.actions() if a.text()]
    assert titles.index("Export…") < titles.index("&Quit")
    theirs = QAction("New chat (sidebar)", window)
    theirs.setShortcut(QKeySequence.StandardKey.New)
    old = window.new_action
    window.set_new_chat_action(theirs)
    assert theirs in window.file_menu.actions() and old not in window.file_menu.actions()
    assert old.shortcut().isEmpty()
