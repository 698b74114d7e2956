"""The chat window with its conversation store, sidebar, branches and Export…/Import… (scripted engine)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtCore import Qt

from llmdesk.core import paths
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import write_export
from llmdesk.core.settings import Settings
from llmdesk.core.store import ConversationStore
from llmdesk.engine.types import ChatTurn
from llmdesk.gui.app import build_window
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.window import ChatWindow
from llmdesk.gui.chat.worker import EngineBackend


def backend_for(engine: ScriptedEngine):
    return lambda: EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices)


def make_window(qtbot, engine: ScriptedEngine) -> ChatWindow:
    settings = Settings()
    settings.model.model = "scripted/model"
    window = build_window(settings, backend_factory=backend_for(engine), save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=5000)
    return window


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine(reply="First answer.")


def send(qtbot, window: ChatWindow, text: str) -> Message:
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        editor = window.composer.editor
        editor.setFocus()
        editor.setPlainText(text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    return finished.args[0]


def shown(window: ChatWindow) -> list[str]:
    return [w.text for w in window.chat_view.message_widgets()]


def click_and_wait(qtbot, window: ChatWindow, button) -> Message:
    assert button.isVisible() and button.isEnabled()
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return finished.args[0]


def test_sidebar_new_chat_and_titles(qtbot, engine):
    window = make_window(qtbot, engine)
    store = window.conversations.store
    assert window.dockWidgetArea(window.sidebar_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.new_action is window.sidebar.new_action  # one Ctrl+N, in the File menu
    assert window.new_action in window.file_menu.actions()
    first = window.controller.conversation.id
    assert [s.id for s in store.list_conversations()] == [first]
    assert window.sidebar.current_conversation_id() == first
    send(qtbot, window, "What is a tensor?")
    assert store.list_conversations()[0].title == "What is a tensor?"
    window.new_action.trigger()
    second = window.controller.conversation.id
    assert second != first
    assert window.chat_view.message_widgets() == []
    assert window.sidebar.current_conversation_id() == second
    window.new_action.trigger()  # the new conversation is still empty: it is reused, not piled up
    assert window.controller.conversation.id == second
    assert len(store.list_conversations()) == 2


def test_choosing_a_conversation_shows_its_messages(qtbot, engine):
    window = make_window(qtbot, engine)
    first = window.controller.conversation.id
    send(qtbot, window, "About cats")
    window.new_action.trigger()
    send(qtbot, window, "About dogs")
    assert shown(window) == ["About dogs", "First answer."]
    index = window.sidebar.model.find(first)
    window.sidebar.list_view.setFocus()
    qtbot.mouseClick(window.sidebar.list_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.sidebar.list_view.visualRect(index).center())
    assert window.controller.conversation.id == first
    assert shown(window) == ["About cats", "First answer."]


def test_conversations_persist_across_a_restart(qtbot, engine):
    window = make_window(qtbot, engine)
    send(qtbot, window, "Remember me")
    conv_id = window.controller.conversation.id
    window.close()
    assert window.conversations.store._conn is None  # closed with the window

    again = make_window(qtbot, engine)
    assert again.controller.conversation.id == conv_id  # the most recent conversation is opened
    assert shown(again) == ["Remember me", "First answer."]
    reply = again.controller.conversation.path()[-1]
    meta = reply.meta
    assert meta["model"] == "scripted/model" and meta["device"] == "cpu" and meta["dtype"] == "float32"
    assert meta["decoding"]["max_new_tokens"] == Settings().decoding.max_new_tokens
    assert meta["stop_reason"] == "eos" and reply.stop_reason == "eos"
    assert meta["stats"]["new_tokens"] == len(range(0, len(engine.reply), engine.piece_chars))
    assert "seed" in meta and meta["finished_at"] > 0
    assert again.sidebar.model.rowCount() == 1


def test_seed_actually_used_is_recorded(qtbot, engine):
    window = make_window(qtbot, engine)
    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, seed=1234))
    reply = send(qtbot, window, "seeded")
    assert reply.meta["seed"] == 1234
    saved = window.conversations.store.load_conversation(window.controller.conversation.id)
    assert saved.messages[reply.id].meta["seed"] == 1234


def test_regenerate_makes_siblings_and_arrows_switch(qtbot, engine):
    window = make_window(qtbot, engine)
    store = window.conversations.store
    first = send(qtbot, window, "Tell me a joke")
    engine.reply = "Second answer."
    widget = window.chat_view.message_widget(first.id)
    assert not widget.prev_button.isVisible()  # no alternatives yet
    second = click_and_wait(qtbot, window, widget.regenerate_button)
    assert second.id != first.id and second.parent_id == first.parent_id
    assert engine.requests[-1] == ([ChatTurn("user", "Tell me a joke")], False)
    engine.reply = "Third answer."
    third = click_and_wait(qtbot, window, window.chat_view.message_widget(second.id).regenerate_button)
    assert shown(window) == ["Tell me a joke", "Third answer."]
    current = window.chat_view.message_widget(third.id)
    assert current.position_label.text() == "3 / 3"
    assert current.prev_button.isEnabled() and not current.next_button.isEnabled()
    qtbot.mouseClick(current.prev_button, Qt.MouseButton.LeftButton)
    assert shown(window) == ["Tell me a joke", "Second answer."]
    assert window.chat_view.message_widget(second.id).position_label.text() == "2 / 3"
    saved = store.load_conversation(window.controller.conversation.id)
    assert saved.current_leaf_id == second.id
    assert [m.content for m in saved.siblings(first.id)] == ["First answer.", "Second answer.", "Third answer."]
    assert window.chat_view.message_widget(second.id).prev_button.hasFocus()  # focus stays on the arrow
    # keyboard: Alt+Left on the focused message
    browser = window.chat_view.message_widget(second.id).browser
    browser.setFocus()
    qtbot.keyClick(browser, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert shown(window) == ["Tell me a joke", "First answer."]
    assert window.chat_view.message_widget(first.id).browser.hasFocus()


def test_edit_makes_a_branch_and_the_prompt_follows_the_shown_path(qtbot, engine):
    window = make_window(qtbot, engine)
    send(qtbot, window, "first question")
    send(qtbot, window, "second question")
    conv = window.controller.conversation
    original = conv.path()[0]
    widget = window.chat_view.message_widget(original.id)
    qtbot.mouseClick(widget.edit_button, Qt.MouseButton.LeftButton)
    assert widget.editing and widget.editor.hasFocus()
    widget.editor.setPlainText("changed question")
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000):
        qtbot.keyClick(widget.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert engine.requests[-1] == ([ChatTurn("user", "changed question")], False)
    assert shown(window) == ["changed question", "First answer."]
    edited = conv.path()[0]
    assert window.chat_view.message_widget(edited.id).position_label.text() == "2 / 2"
    send(qtbot, window, "third question")
    assert engine.requests[-1][0] == [ChatTurn("user", "changed question"), ChatTurn("assistant", "First answer."),
                                      ChatTurn("user", "third question")]
    # the old branch is still there, with everything after it
    qtbot.mouseClick(window.chat_view.message_widget(edited.id).prev_button, Qt.MouseButton.LeftButton)
    assert shown(window) == ["first question", "First answer.", "second question", "First answer."]
    saved = window.conversations.store.load_conversation(conv.id)
    assert len(saved.messages) == 8


def test_edit_cancel_with_escape_keeps_the_message(qtbot, engine):
    window = make_window(qtbot, engine)
    send(qtbot, window, "keep me")
    user = window.controller.conversation.path()[0]
    widget = window.chat_view.message_widget(user.id)
    widget.start_edit()
    widget.editor.setPlainText("not this")
    qtbot.keyClick(widget.editor, Qt.Key.Key_Escape)
    assert not widget.editing and widget.browser.isVisible()
    assert len(window.controller.conversation.messages) == 2 and not window.controller.busy


def test_continue_appends_to_the_same_reply(qtbot, engine):
    engine.reply = "one two three four five six seven eight nine ten"
    window = make_window(qtbot, engine)
    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, max_new_tokens=3))
    cut = send(qtbot, window, "Count to ten")
    assert cut.stop_reason == "length" and cut.content == engine.reply[:12]
    widget = window.chat_view.message_widget(cut.id)
    assert widget.continue_button.isVisible()
    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, max_new_tokens=500))
    done = click_and_wait(qtbot, window, widget.continue_button)
    assert done.id == cut.id
    assert engine.requests[-1] == ([ChatTurn("user", "Count to ten"), ChatTurn("assistant", engine.reply[:12])],
                                   True)
    assert done.content == engine.reply[:12] + engine.reply  # the scripted engine starts its script again
    assert done.stop_reason == "eos" and not widget.continue_button.isVisible()
    assert widget.text == done.content
    assert done.meta["earlier"][0]["stop_reason"] == "length"
    saved = window.conversations.store.load_conversation(window.controller.conversation.id)
    assert saved.messages[cut.id].content == done.content and len(saved.messages) == 2


def test_branch_actions_are_disabled_while_a_reply_streams(qtbot, engine):
    window = make_window(qtbot, engine)
    first = send(qtbot, window, "hello")
    engine.reply = "word " * 400
    engine.rate = 200
    window.send("more")
    regenerate = window.chat_view.message_widget(first.id).regenerate_button
    edit = window.chat_view.message_widgets()[0].edit_button
    assert window.controller.busy and not regenerate.isEnabled() and not edit.isEnabled()
    assert window.controller.regenerate(first.id) is None
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000):
        window.stop()
    assert regenerate.isEnabled() and edit.isEnabled()


def test_search_hit_opens_the_message_on_its_branch(qtbot, engine):
    window = make_window(qtbot, engine)
    target_conv = window.controller.conversation.id
    send(qtbot, window, "zebra stripes")
    user = window.controller.conversation.path()[0]
    widget = window.chat_view.message_widget(user.id)
    widget.start_edit()
    widget.editor.setPlainText("horse")
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000):
        widget.save_edit()
    window.new_action.trigger()
    send(qtbot, window, "something else")
    sidebar = window.sidebar
    sidebar.search_field.setText("zebra")
    sidebar.run_search()
    assert sidebar.results_view.results.rowCount() == 1
    sidebar.results_view.setFocus()
    sidebar.results_view.setCurrentIndex(sidebar.results_view.results.index(0, 0))
    qtbot.keyClick(sidebar.results_view, Qt.Key.Key_Return)
    assert window.controller.conversation.id == target_conv
    assert shown(window) == ["zebra stripes", "First answer."]  # the hit's branch, not the edited one
    assert window.chat_view.message_widget(user.id).browser.hasFocus()
    assert window.conversations.store.load_conversation(target_conv).current_leaf_id == \
        window.controller.conversation.current_leaf_id


def test_export_action_writes_a_file(qtbot, engine, tmp_path):
    window = make_window(qtbot, engine)
    send(qtbot, window, "export this")
    assert window.export_action in window.file_menu.actions()
    assert window.export_action.shortcut().toString() == "Ctrl+Shift+E"
    assert window.import_action.shortcut().toString() == "Ctrl+Shift+I"
    target = tmp_path / "out.json"
    window.transfer.export_to([window.controller.conversation.id], "json", target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert "export this" in json.dumps(data)
    md = tmp_path / "out.md"
    window.transfer.export_to([window.controller.conversation.id], "md", md)
    assert "export this" in md.read_text(encoding="utf-8")


def test_import_adds_to_the_list_and_opens_it(qtbot, engine, tmp_path):
    window = make_window(qtbot, engine)
    conv = Conversation(title="Imported chat")
    user = conv.add(Message("user", "from elsewhere"))
    conv.add(Message("assistant", "an old answer", parent_id=user.id, stop_reason="eos"))
    path = tmp_path / "in.json"
    write_export([conv], "json", path)
    before = window.sidebar.model.rowCount()
    window.transfer.import_from(path)
    assert window.sidebar.model.rowCount() == before + 1
    assert window.controller.conversation.title == "Imported chat"
    assert shown(window) == ["from elsewhere", "an old answer"]
    assert window.sidebar.current_conversation_id() == window.controller.conversation.id


def test_deleting_the_open_conversation_clears_the_view(qtbot, engine):
    window = make_window(qtbot, engine)
    send(qtbot, window, "short lived")
    doomed = window.controller.conversation.id
    assert window.sidebar.delete_conversation(doomed)
    assert window.controller.conversation.id != doomed
    assert window.chat_view.message_widgets() == []
    assert window.sidebar.current_conversation_id() == window.controller.conversation.id
    send(qtbot, window, "next one")  # the view works on in the new conversation
    assert doomed not in [s.id for s in window.conversations.store.list_conversations()]


def test_store_notice_for_a_damaged_database(qtbot, engine):
    db = paths.database_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    window = make_window(qtbot, engine)
    assert window.banner.isVisible()
    assert "moved" in window.banner.label.text()
    send(qtbot, window, "works anyway")
    assert window.conversations.store.list_conversations()[0].title == "works anyway"


def test_a_store_given_by_the_caller_is_left_open(qtbot, engine, tmp_path):
    store = ConversationStore(tmp_path / "own.sqlite3")
    settings = Settings()
    window = build_window(settings, store=store, backend_factory=backend_for(engine), autoload=False, save=None,
                          remember_geometry=False)
    qtbot.addWidget(window)
    window.close()
    assert store.list_conversations()  # still usable
    store.close()


def test_menu_actions_regenerate_and_continue_the_last_reply(qtbot, engine):
    engine.reply = "alpha beta gamma delta epsilon"
    window = make_window(qtbot, engine)
    assert window.regenerate_action.shortcut().toString() == "Ctrl+Shift+R"
    assert not window.regenerate_action.isEnabled()  # nothing to regenerate yet
    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, max_new_tokens=2))
    cut = send(qtbot, window, "Greek letters")
    assert window.regenerate_action.isEnabled() and window.continue_action.isEnabled()
    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, max_new_tokens=500))
    editor = window.composer.editor
    editor.setFocus()
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:  # keys from the message box
        qtbot.keyClick(editor, Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert finished.args[0].id == cut.id and finished.args[0].stop_reason == "eos"
    assert not window.continue_action.isEnabled()
    assert editor.toPlainText() == ""  # the key did not go into the message box
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        qtbot.keyClick(editor, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert finished.args[0].id != cut.id
    assert window.chat_view.message_widget(finished.args[0].id).position_label.text() == "2 / 2"


def test_choosing_another_conversation_mid_reply_stops_and_keeps_it(qtbot, engine):
    window = make_window(qtbot, engine)
    first = window.controller.conversation.id
    send(qtbot, window, "older chat")
    window.new_action.trigger()
    engine.reply = "word " * 400
    engine.rate = 200
    streaming = window.send("a long answer please")
    qtbot.waitUntil(lambda: window.controller.reply_pieces_received > 3, timeout=5000)
    assert window.conversations.open_conversation(first)
    assert not window.controller.busy
    assert shown(window) == ["older chat", "First answer."]
    saved = window.conversations.store.get_message(streaming.id)
    assert saved.stop_reason == "cancelled" and saved.content.startswith("word word")
    assert not window.banner.isVisible()


def test_deleting_the_conversation_mid_reply_discards_it_quietly(qtbot, engine):
    window = make_window(qtbot, engine)
    engine.reply = "word " * 400
    engine.rate = 200
    window.send("doomed")
    qtbot.waitUntil(lambda: window.controller.reply_pieces_received > 3, timeout=5000)
    doomed = window.controller.conversation.id
    assert window.sidebar.delete_conversation(doomed)
    assert not window.controller.busy and window.controller.conversation.id != doomed
    assert not window.banner.isVisible()  # no "could not save" for a reply whose conversation is gone
    assert window.chat_view.message_widgets() == []
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000):  # the sidebar's undo brings it back
        window.sidebar.undo_delete()
        engine.reply = "short"
        window.send("after undo")
    assert window.controller.conversation.id == doomed
    statuses = [w.status_label.text() for w in window.chat_view.message_widgets()]
    assert statuses[1] == "Stopped" and "Writing…" not in statuses  # the cut-off reply is not "writing" forever


def long_conversation(turns: int) -> Conversation:
    conv = Conversation(title=f"{turns} turns")
    parent = None
    for i in range(turns):
        user = conv.add(Message("user", f"question number {i}", parent_id=parent, created_at=1000.0 + 2 * i))
        reply = conv.add(Message("assistant", f"answer number {i}", parent_id=user.id, stop_reason="eos",
                                 created_at=1001.0 + 2 * i))
        parent = reply.id
    return conv


def test_a_long_conversation_opens_with_its_newest_messages(qtbot, engine):
    from llmdesk.gui.chat.chat_view import RECENT_MESSAGES

    window = make_window(qtbot, engine)
    conv = long_conversation(50)
    window.conversations.store.save_conversation(conv)
    assert window.conversations.open_conversation(conv.id)
    view = window.chat_view
    assert len(view.message_widgets()) == RECENT_MESSAGES
    assert shown(window)[-1] == "answer number 49" and view.earlier_count == 100 - RECENT_MESSAGES
    assert view._earlier_button.isVisibleTo(window)
    qtbot.mouseClick(view._earlier_button, Qt.MouseButton.LeftButton)
    assert len(view.message_widgets()) == 2 * RECENT_MESSAGES
    assert shown(window)[0] == f"question number {50 - RECENT_MESSAGES}"  # in order, earlier ones on top
    send(qtbot, window, "one more")  # the prompt is still the whole shown path
    assert len(engine.requests[-1][0]) == 101


def test_a_search_hit_in_the_unbuilt_part_of_a_long_conversation(qtbot, engine):
    window = make_window(qtbot, engine)
    conv = long_conversation(50)
    window.conversations.store.save_conversation(conv)
    first = conv.path()[0]
    assert window.conversations.open_message(conv.id, first.id)
    view = window.chat_view
    assert view.earlier_count == 0 and shown(window)[0] == "question number 0"
    assert view.message_widget(first.id).browser.hasFocus()
    assert not view._earlier_button.isVisibleTo(window)
