"""Conversations and branches through the window with the real engine and the tiny random Phi-3."""

from __future__ import annotations

import pytest

from llmdesk.core.settings import ModelSettings, Settings
from llmdesk.core.store import ConversationStore
from llmdesk.gui.app import build_window

pytestmark = pytest.mark.slow


def test_regenerate_continue_and_persist_with_the_real_model(qtbot, tiny_model_dir):
    settings = Settings()
    settings.decoding.max_new_tokens = 4
    settings.decoding.do_sample = True
    settings.decoding.temperature = 1.0
    settings.decoding.seed = 7
    model = ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32")
    window = build_window(settings, initial_model=model, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    controller = window.controller
    qtbot.waitUntil(lambda: controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert controller.model_info is not None, window.banner.label.text()
    with qtbot.waitSignal(controller.reply_finished, timeout=120_000) as finished:
        window.send("Hello there")
    first = finished.args[0]
    first_text = first.content
    assert first.stop_reason == "length", first.meta  # random weights rarely say end-of-text within 4 tokens
    assert first.meta["seed"] == 7 and first.meta["model"] == str(tiny_model_dir)
    assert first.meta["stats"]["new_tokens"] == 4
    # Continue: the engine gets the reply back with continue_final and the new text lands in the same message.
    widget = window.chat_view.message_widget(first.id)
    assert widget.continue_button.isVisible()
    with qtbot.waitSignal(controller.reply_finished, timeout=120_000) as finished:
        widget.continue_button.click()
    continued = finished.args[0]
    assert continued.id == first.id and continued.meta.get("error") is None, continued.meta
    assert continued.content.startswith(first_text) and continued.meta["earlier"][0]["stop_reason"] == "length"
    assert continued.meta["stats"]["new_tokens"] > 0
    # Regenerate: a sibling reply
    with qtbot.waitSignal(controller.reply_finished, timeout=120_000) as finished:
        window.regenerate_action.trigger()
    second = finished.args[0]
    assert second.id != first.id and second.parent_id == first.parent_id
    assert window.chat_view.message_widget(second.id).position_label.text() == "2 / 2"
    conv_id = controller.conversation.id
    window.close()
    store = ConversationStore()
    try:
        saved = store.load_conversation(conv_id)
    finally:
        store.close()
    assert saved.current_leaf_id == second.id
    assert saved.messages[first.id].content == continued.content
    assert saved.messages[second.id].meta["device"] == "cpu"
