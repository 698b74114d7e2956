"""A reasoning model's reply in the window: the reasoning streams into a folded block above the answer with a
"Thinking…" clock, the answer holds the answer alone, the store keeps the reasoning apart (meta["reasoning"]) and
later prompts get it only as the turn's ``reasoning``. The scripted engine plays the reasoning model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from llmdesk.core.conversation import Message
from llmdesk.core.settings import Settings
from llmdesk.core.store.database import ConversationStore
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.chat.reasoning_view import ReasoningView
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.window import ChatWindow
from tests.gui.test_gui_chat import backend_for, send_with_enter

REASONING = "The user asks for 2+2. Simple arithmetic: 2+2=4. I should answer briefly."
ANSWER = "**4**\n"


def _window(qtbot, engine: ScriptedEngine, store: ConversationStore | None = None) -> ChatWindow:
    settings = Settings()
    settings.model.model = "scripted/model"
    controller = ChatController(backend_factory=backend_for(engine), store=store)
    window = ChatWindow(settings, controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    return window


@pytest.mark.parametrize("opened_in_prompt", [False, True], ids=["think-tags", "template-opens-think"])
def test_reasoning_streams_apart_then_folds(qtbot, opened_in_prompt):
    engine = ScriptedEngine(reply=ANSWER, reasoning=REASONING, prompt_opens_reasoning=opened_in_prompt,
                            reasoning_rate=40, rate=200)
    window = _window(qtbot, engine)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=15000) as finished:
        send_with_enter(qtbot, window, "What is 2+2?")
        widget = window.chat_view.message_widgets()[-1]
        block = widget.reasoning
        assert block is not None
        qtbot.waitUntil(lambda: block.thinking and len(block.text) > 10, timeout=5000)
        assert block.expanded and block.isVisible()
        assert block.toggle.text().startswith("Thinking…")
        assert widget.text == ""  # nothing of the reasoning in the answer
    message: Message = finished.args[0]
    assert message.content == ANSWER
    assert message.meta["reasoning"] == REASONING
    assert widget.text == ANSWER and "</think>" not in widget.browser.toPlainText()
    assert block.text == REASONING and not block.thinking
    assert not block.expanded and not block.body.isVisible()  # folded when done
    assert block.toggle.text().startswith("Reasoning")


def test_toggle_by_keyboard_and_accessible_name(qtbot):
    message = Message("assistant", "Answer", stop_reason="eos", meta={"reasoning": "Because."})
    view = ReasoningView(message)
    qtbot.addWidget(view)
    view.show()
    assert not view.expanded and view.text == "Because."
    assert "show the reasoning" in view.toggle.accessibleName()
    view.toggle.setFocus()
    qtbot.keyClick(view.toggle, Qt.Key.Key_Space)
    assert view.expanded and view.body.isVisible()
    assert "hide the reasoning" in view.toggle.accessibleName()
    qtbot.keyClick(view.toggle, Qt.Key.Key_Space)
    assert not view.expanded


def test_reasoning_text_follows_a_theme_switch(qtbot):
    from PySide6.QtGui import QColor, QPalette

    view = ReasoningView(Message("assistant", "A", stop_reason="eos", meta={"reasoning": "R"}))
    qtbot.addWidget(view)
    pal = QPalette(view.palette())
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#123456"))
    view.setPalette(pal)
    assert view.body.palette().color(QPalette.ColorRole.WindowText) == QColor("#123456")


def test_reply_without_reasoning_has_no_block(qtbot):
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    view = ReasoningView(Message("assistant", "Plain", stop_reason="eos"), parent)
    parent.show()
    assert view.isHidden()
    delta, reset = view.feed("Plain text")
    assert (delta, reset) == ("Plain text", False) and view.isHidden()


def test_closing_tag_alone_moves_the_shown_answer_into_the_block(qtbot):
    view = ReasoningView(Message("assistant", ""))
    qtbot.addWidget(view)
    assert view.feed("Hmm, let me see") == ("Hmm, let me see", False)
    delta, reset = view.feed(".</think>\n\nYes")
    assert reset and delta == "Yes" and view.text == "Hmm, let me see."


def test_saved_apart_and_left_out_of_the_next_prompt(qtbot, tmp_path):
    store = ConversationStore(tmp_path / "db.sqlite")
    engine = ScriptedEngine(reply=ANSWER, reasoning=REASONING, rate=0)
    window = _window(qtbot, engine, store)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=10000):
        send_with_enter(qtbot, window, "What is 2+2?")
    engine.reasoning = None
    with qtbot.waitSignal(window.controller.reply_finished, timeout=10000):
        send_with_enter(qtbot, window, "And 3+3?")
    turns, _continue = engine.requests[-1]
    earlier = turns[1]
    assert earlier.role == "assistant" and earlier.content == ANSWER and earlier.reasoning == REASONING
    assert all("</think>" not in t.content and "2+2=4" not in t.content for t in turns)
    conv = store.load_conversation(window.controller.conversation.id)
    saved = conv.path()[1]
    assert saved.content == ANSWER and saved.meta["reasoning"] == REASONING
    assert "reasoning" not in conv.path()[3].meta
    # shown again from the store: the block is there, folded
    window.chat_view.show_conversation(conv)
    block = window.chat_view.message_widgets()[1].reasoning
    assert block is not None and block.text == REASONING and not block.expanded and not block.isHidden()
    store.close()


class _RecordingStore(ConversationStore):
    def __init__(self, path) -> None:
        super().__init__(path)
        self.updates: list[tuple[str | None, dict | None]] = []

    def update_message(self, message_id, *, content=None, stop_reason=None, meta=None):
        self.updates.append((content, None if meta is None else dict(meta)))
        super().update_message(message_id, content=content, stop_reason=stop_reason, meta=meta)


def test_checkpoints_while_it_thinks_keep_reasoning_out_of_the_text(qtbot, tmp_path, monkeypatch):
    import llmdesk.gui.chat.controller as controller_module

    monkeypatch.setattr(controller_module, "CHECKPOINT_INTERVAL_S", 0.02)
    store = _RecordingStore(tmp_path / "db.sqlite")
    engine = ScriptedEngine(reply=ANSWER * 20, reasoning=REASONING * 3, reasoning_rate=150, rate=150)
    window = _window(qtbot, engine, store)
    with qtbot.waitSignal(window.controller.reply_finished, timeout=15000):
        send_with_enter(qtbot, window, "What is 2+2?")
    contents = [c for c, _m in store.updates if c is not None]
    assert len(contents) >= 3
    assert all("think>" not in c and "Simple arithmetic" not in c for c in contents)
    partial_reasoning = [m["reasoning"] for c, m in store.updates if m and "reasoning" in m and c == ""]
    assert partial_reasoning and all(REASONING * 3 != r and (REASONING * 3).startswith(r)
                                     for r in partial_reasoning[:1])  # saved mid-reasoning, answer still empty
    assert all(m.get("model") == "scripted/model" for _c, m in store.updates if m)  # meta kept, not replaced
    store.close()


def test_continue_keeps_the_reasoning(qtbot):
    engine = ScriptedEngine(reply="one two three four five six seven eight", reasoning="Count up.", rate=0,
                            piece_chars=4)
    window = _window(qtbot, engine)
    controller = window.controller
    controller.decoding.max_new_tokens = 8  # the reasoning is 5 pieces: the answer is cut at the token limit
    with qtbot.waitSignal(controller.reply_finished, timeout=10000) as first:
        send_with_enter(qtbot, window, "Count")
    message: Message = first.args[0]
    assert message.stop_reason == "length" and message.content and message.meta["reasoning"] == "Count up."
    engine.reasoning = None
    engine.reply = " nine ten"
    controller.decoding.max_new_tokens = 50
    with qtbot.waitSignal(controller.reply_finished, timeout=10000) as second:
        controller.continue_reply(message.id)
    done: Message = second.args[0]
    assert done.content.endswith(" nine ten") and "think>" not in done.content
    assert done.meta["reasoning"] == "Count up."
    widget = window.chat_view.message_widget(done.id)
    assert widget.reasoning.text == "Count up." and widget.text == done.content
