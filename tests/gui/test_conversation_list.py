"""The conversation list model (checked with qtmodeltester while the store changes) and the sidebar widget."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QSignalSpy

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.store import ConversationStore
from llmdesk.gui.conversations.conversation_list import (
    ConversationListModel,
    ConversationSidebar,
    activity_label,
)
from llmdesk.gui.conversations.search_panel import (
    SearchResultsModel,
    SnippetDelegate,
    snippet_html,
    snippet_plain,
    snippet_ranges,
)


@pytest.fixture
def store(tmp_path: Path):
    s = ConversationStore(tmp_path / "c.sqlite3")
    yield s
    s.close()


def add_chat(store: ConversationStore, text: str, t: float) -> Conversation:
    conv = store.create_conversation()
    user = Message("user", text, created_at=t)
    store.add_message(conv.id, user)
    store.add_message(conv.id, Message("assistant", f"reply to {text}", parent_id=user.id, created_at=t + 1,
                                       stop_reason="eos"))
    # make activity times distinct and in the past, so the order is known
    store._connection().execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (t + 1, conv.id))
    return conv


def titles(model: ConversationListModel) -> list[str]:
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def test_model_passes_qtmodeltester_while_the_store_changes(qtmodeltester, store: ConversationStore):
    convs = [add_chat(store, f"topic {i}", 1000.0 + 10 * i) for i in range(6)]
    model = ConversationListModel(store, page_size=4)
    assert titles(model) == ["topic 5", "topic 4", "topic 3", "topic 2"]
    assert model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)  # the tester also fetches the remaining page
    assert titles(model) == ["topic 5", "topic 4", "topic 3", "topic 2", "topic 1", "topic 0"]
    assert not model.canFetchMore(QModelIndex())
    # activity moves a conversation to the top: a row move, not a reset
    moved = QSignalSpy(model.rowsMoved)
    resets = QSignalSpy(model.modelReset)
    store.add_message(convs[2].id, Message("user", "back to topic 2"))
    assert titles(model)[0] == "topic 2" and moved.count() == 1 and resets.count() == 0
    # new, rename, delete
    fresh = store.create_conversation()
    assert model.data(model.index(0, 0)) == "New chat"
    assert model.data(model.index(0, 0), ConversationListModel.IdRole) == fresh.id
    store.rename_conversation(convs[4].id, "Renamed")
    assert "Renamed" in titles(model)
    store.delete_conversation(convs[0].id)
    assert "topic 0" not in titles(model) and model.rowCount() == 6
    # an import resets the model
    store.save_conversations([Conversation(title="Imported")])
    assert resets.count() == 1 and "Imported" in titles(model)
    qtmodeltester.check(model)


def test_roles_and_role_names(store: ConversationStore):
    conv = add_chat(store, "What is a monad?", 5000.0)
    model = ConversationListModel(store)
    idx = model.index(0, 0)
    assert model.data(idx, ConversationListModel.IdRole) == conv.id
    assert model.data(idx, ConversationListModel.TitleRole) == "What is a monad?"
    assert model.data(idx, ConversationListModel.MessageCountRole) == 2
    assert model.data(idx, ConversationListModel.UpdatedAtRole) == 5001.0
    assert model.data(idx, ConversationListModel.TitleIsAutoRole) is True
    assert "2 messages" in model.data(idx, Qt.ItemDataRole.ToolTipRole)
    names = {bytes(v.data()).decode() for v in model.roleNames().values()}
    assert {"conversationId", "title", "updatedAt", "messageCount", "titleIsAuto", "display"} <= names
    assert ConversationListModel.IdRole == Qt.ItemDataRole.UserRole + 1
    assert model.flags(idx) & Qt.ItemFlag.ItemIsEditable


def test_rename_through_set_data(store: ConversationStore):
    conv = add_chat(store, "first words", 1000.0)
    model = ConversationListModel(store)
    changed = QSignalSpy(model.dataChanged)
    assert model.setData(model.index(0, 0), "  My   title ", Qt.ItemDataRole.EditRole)
    assert store.summary(conv.id).title == "My title" and not store.summary(conv.id).title_is_auto
    assert model.data(model.index(0, 0)) == "My title" and changed.count() >= 1
    assert not model.setData(model.index(0, 0), "   ", Qt.ItemDataRole.EditRole)
    assert store.summary(conv.id).title == "My title"


def test_changes_beyond_the_loaded_pages(store: ConversationStore):
    convs = [add_chat(store, f"c{i}", 1000.0 + 10 * i) for i in range(12)]
    model = ConversationListModel(store, page_size=5)
    assert model.rowCount() == 5
    store.delete_conversation(convs[0].id)             # not loaded: nothing to do
    assert model.rowCount() == 5
    store.add_message(convs[1].id, Message("user", "wake up"))   # not loaded, now newest: appears on top
    assert titles(model)[0] == "c1" and model.rowCount() == 6
    assert model.find(convs[2].id).isValid()           # reads pages until found
    model.fetch_all()
    assert sorted(titles(model)) == sorted(f"c{i}" for i in range(1, 12))
    assert len(set(titles(model))) == 11


def test_sidebar_selects_creates_and_switches(qtbot, store: ConversationStore):
    a = add_chat(store, "alpha", 1000.0)
    b = add_chat(store, "beta", 2000.0)
    bar = ConversationSidebar(store)
    qtbot.addWidget(bar)
    bar.show()
    with qtbot.waitSignal(bar.conversation_selected) as sig:
        bar.list_view.setCurrentIndex(bar.model.index(1, 0))
    assert sig.args == [a.id] and bar.current_conversation_id() == a.id
    with qtbot.waitSignal(bar.new_requested):
        qtbot.mouseClick(bar.new_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(bar.new_requested):
        bar.new_action.trigger()
    assert bar.new_action.shortcut().toString() == "Ctrl+N"
    # the receiver creates the conversation; selecting it programmatically does not echo the signal
    spy = QSignalSpy(bar.conversation_selected)
    fresh = store.create_conversation()
    assert bar.select_conversation(fresh.id)
    assert spy.count() == 0 and bar.current_conversation_id() == fresh.id
    assert bar.select_conversation(b.id, emit=True) and spy.count() == 1
    assert not bar.select_conversation("missing")


def test_sidebar_delete_and_undo(qtbot, store: ConversationStore):
    a = add_chat(store, "keep me", 1000.0)
    b = add_chat(store, "delete me", 2000.0)
    full = store.load_conversation(b.id)
    bar = ConversationSidebar(store)
    qtbot.addWidget(bar)
    bar.show()
    bar.select_conversation(b.id)
    order: list[tuple[str, str]] = []
    bar.conversation_deleted.connect(lambda cid: order.append(("deleted", cid)))
    bar.conversation_selected.connect(lambda cid: order.append(("selected", cid)))
    bar.delete_action.trigger()
    assert order == [("deleted", b.id), ("selected", a.id)]
    assert titles(bar.model) == ["keep me"] and bar.undo_bar.isVisible() and "delete me" in bar.undo_label.text()
    with pytest.raises(KeyError):
        store.load_conversation(b.id)
    with qtbot.waitSignal(bar.conversation_selected) as back:
        qtbot.mouseClick(bar.undo_button, Qt.MouseButton.LeftButton)
    assert back.args == [b.id] and not bar.undo_bar.isVisible()
    restored = store.load_conversation(b.id)
    assert restored.messages.keys() == full.messages.keys() and restored.current_leaf_id == full.current_leaf_id
    assert titles(bar.model) == ["delete me", "keep me"]
    assert bar.undo_delete() is None  # nothing left to undo
    # deleting a conversation that is not selected leaves the selection alone
    order.clear()
    assert bar.delete_conversation(a.id)
    assert order == [("deleted", a.id)] and bar.current_conversation_id() == b.id
    # the last one: the list is empty, nothing is selected
    order.clear()
    assert bar.delete_conversation(b.id)
    assert order == [("deleted", b.id)] and bar.current_conversation_id() is None
    assert bar.undo_delete() == b.id and bar.current_conversation_id() == b.id


def test_sidebar_search_shows_highlighted_hits_and_opens_the_message(qtbot, store: ConversationStore):
    a = add_chat(store, "How do I parse JSON in Python?", 1000.0)
    add_chat(store, "Unrelated talk about cats", 2000.0)
    target = next(m for m in store.load_conversation(a.id).messages.values() if m.role == "user")
    bar = ConversationSidebar(store)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.keyClicks(bar.search_field, "pars")
    qtbot.waitUntil(lambda: bar.stack.currentWidget() is bar.results_view)
    results: SearchResultsModel = bar.results_view.results
    assert results.rowCount() == 2  # the question and its reply ("reply to How do I parse ...")
    assert {results.data(results.index(r, 0), SearchResultsModel.ConversationIdRole) for r in range(2)} == {a.id}
    idx = next(results.index(r, 0) for r in range(2)
               if results.data(results.index(r, 0), SearchResultsModel.MessageRoleRole) == "user")
    assert "\x02parse\x03" in results.data(idx, SearchResultsModel.SnippetRole)
    assert "\x02" not in results.data(idx)
    rect = bar.results_view.visualRect(idx)
    with qtbot.waitSignal(bar.message_requested) as opened:
        qtbot.mouseClick(bar.results_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [a.id, target.id]
    # Enter on the current hit opens it too
    bar.results_view.setFocus()
    bar.results_view.setCurrentIndex(idx)
    with qtbot.waitSignal(bar.message_requested):
        qtbot.keyClick(bar.results_view, Qt.Key.Key_Return)
    # the results follow the store: a deleted conversation's hits go away
    store.delete_conversation(a.id)
    qtbot.waitUntil(lambda: bar.stack.currentWidget() is bar.empty_label)
    assert results.rowCount() == 0
    # no hits: a message instead of the list; Escape goes back to the conversations
    bar.search_field.setText("zzzzz")
    bar.run_search()
    assert bar.stack.currentWidget() is bar.empty_label and "zzzzz" in bar.empty_label.text()
    qtbot.keyClick(bar.search_field, Qt.Key.Key_Escape)
    assert bar.search_field.text() == "" and bar.stack.currentWidget() is bar.list_view


def test_snippet_html_escapes_text_and_marks_hits():
    html = snippet_html("a <b>&\x02match\x03 here\x02 open")
    assert "&lt;b&gt;&amp;" in html
    assert html.count("<span") == 2 and html.count("</span>") == 2
    assert ">match</span>" in html
    assert snippet_plain("x\x02y\x03z") == "xyz"
    assert snippet_ranges("…a \x02café\x03 and \x02tea\x03") == ("…a café and tea", [(3, 4), (12, 3)])
    assert snippet_ranges("\x02open") == ("open", [(0, 4)])


CASES = Path("/work/shared/cases")
if not CASES.exists():
    CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"


@pytest.mark.parametrize("text, query", [
    (None, "friends"),                                       # the case file: bold-math letters and emoji first
    ("🎉 x 😀😀 自然语言处理 𝐁 done", "处理"),
    ("plain text with the word here", "word"),
])
def test_highlight_lands_on_the_hit_after_characters_outside_the_bmp(qtbot, store: ConversationStore, text, query):
    from llmdesk.core.importer import import_into_store, read_import_file
    from PySide6.QtGui import QColor

    if text is None:
        import_into_store(store, read_import_file(CASES / "02-search-highlight-emoji.jsonl"))
    else:
        add_chat(store, text, 1000.0)
    hit = next(h for h in store.search(query) if h.role == "user")
    plain, hits = snippet_ranges(hit.snippet)
    assert [plain[s:s + n] for s, n in hits] == [query]
    delegate = SnippetDelegate()
    prefix = "You: "
    formats = delegate.formats(prefix, plain, hits, QColor("grey"))
    units = (prefix + plain).encode("utf-16-le")  # Qt's positions count these two-byte units
    marked = [units[2 * f.start: 2 * (f.start + f.length)].decode("utf-16-le") for f in formats[1:]]
    assert marked == [query]
    assert units[: 2 * formats[0].length].decode("utf-16-le") == prefix


def test_activity_label():
    import time

    from PySide6.QtCore import QLocale

    before = QLocale()
    QLocale.setDefault(QLocale("en_US"))  # the interface's locale decides the formats (tests/gui/test_i18n.py: Korean)
    try:
        now = time.mktime((2026, 3, 12, 15, 0, 0, 0, 0, -1))
        assert activity_label(now - 3600, now).replace("\u202f", " ") == "2:00 PM"
        assert activity_label(now - 2 * 86400, now) == "Tue"
        assert activity_label(now - 40 * 86400, now) in ("Jan 31", "Feb 1")
        assert activity_label(now - 400 * 86400, now).endswith("/25")
    finally:
        QLocale.setDefault(before)


def test_sidebar_rename_with_f2(qtbot, store: ConversationStore):
    conv = add_chat(store, "automatic title", 1000.0)
    bar = ConversationSidebar(store)
    qtbot.addWidget(bar)
    bar.show()
    bar.select_conversation(conv.id)
    bar.list_view.setFocus()
    qtbot.keyClick(bar.list_view, Qt.Key.Key_F2)
    editor = bar.list_view.indexWidget(bar.model.index(0, 0))
    assert editor is not None and editor.text() == "automatic title"
    editor.setText("Chosen title")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits through a queued call
    qtbot.waitUntil(lambda: store.summary(conv.id).title != "automatic title")
    summary = store.summary(conv.id)
    assert (summary.title, summary.title_is_auto) == ("Chosen title", False)
    assert titles(bar.model) == ["Chosen title"]
