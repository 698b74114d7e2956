"""The window's side of the KV cache kept between turns: each reply names its conversation, and the status bar
counts the kept caches in the memory in use."""

from __future__ import annotations

from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from tests.gui.test_gui_chat import make_window, send_with_enter


def test_replies_name_their_conversation_and_memory_counts_kept_caches(qtbot):
    engine = ScriptedEngine(reply="Hello back.", kv_cache_bytes=300 * 2**20)
    window = make_window(qtbot, engine)
    assert "KV" not in window.memory_label.text()
    with qtbot.waitSignal(window.controller.reply_finished, timeout=10000):
        send_with_enter(qtbot, window, "Hello there")
    conversation = window.controller.conversation
    assert engine.cache_keys == [conversation.id]
    text = window.memory_label.text()
    assert "KV caches 300" in text and "in use" in text
    assert "KV caches kept between turns" in window.memory_label.toolTip()
    window.close()
