"""A reply stopped by closing the window or by showing another conversation keeps its stats (tokens, speed,
prompt size) in the saved message, not zeros, and keeps the text generated before the worker saw the stop."""

from __future__ import annotations

import pytest

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.core.store import ConversationStore
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.chat.worker import EngineBackend

LONG_REPLY = "".join(f"Word{i} " for i in range(40_000))


def backend_for(engine: ScriptedEngine):
    return lambda: EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices)


@pytest.fixture
def store(tmp_path):
    with ConversationStore(tmp_path / "c.sqlite3") as s:
        yield s


def _streaming_controller(qtbot, store, rate: float = 100.0) -> tuple[ChatController, ScriptedEngine]:
    engine = ScriptedEngine(reply=LONG_REPLY, rate=rate)
    controller = ChatController(DecodingSettings(max_new_tokens=32768), backend_factory=backend_for(engine),
                                store=store)
    controller.start()
    with qtbot.waitSignal(controller.model_loaded, timeout=5000):
        controller.load_model(ModelSettings(model="scripted/model"))
    return controller, engine


def test_switching_conversation_keeps_the_stopped_replys_stats(qtbot, store):
    controller, engine = _streaming_controller(qtbot, store)
    try:
        reply = controller.send("Tell me everything")
        first = controller.conversation.id
        qtbot.waitUntil(lambda: controller.reply_pieces_received >= 5, timeout=5000)
        controller.set_conversation(store.create_conversation())

        def saved():
            return store.load_conversation(first).messages[reply.id]

        qtbot.waitUntil(lambda: bool((saved().meta.get("stats") or {}).get("new_tokens")), timeout=5000)
        message = saved()
        stats = message.meta["stats"]
        assert message.stop_reason == "cancelled"
        assert stats["new_tokens"] >= 5 and stats["prompt_tokens"] == 3
        assert stats["ttft_s"] is not None and stats["tokens_per_s"] and stats["total_s"] > 0
        # every piece the engine produced is in the text (none lost between the switch and the worker's stop)
        assert message.content == LONG_REPLY[:4 * stats["new_tokens"]]
    finally:
        controller.shutdown()


@pytest.mark.parametrize("rate", [100.0, 0.0])  # 0: as fast as it goes, pieces queue up
def test_closing_keeps_the_stopped_replys_stats_and_all_its_text(qtbot, store, rate):
    controller, engine = _streaming_controller(qtbot, store, rate)
    reply = controller.send("Tell me everything")
    conv = controller.conversation.id
    qtbot.waitUntil(lambda: controller.reply_pieces_received >= 5, timeout=5000)
    assert controller.shutdown()
    message = store.load_conversation(conv).messages[reply.id]
    stats = message.meta["stats"]
    assert message.stop_reason == "cancelled"
    assert stats["new_tokens"] >= 5 and stats["prompt_tokens"] == 3 and stats["tokens_per_s"]
    # every piece the engine produced is saved, also those still queued for the GUI thread when it closed
    assert message.content == LONG_REPLY[:4 * stats["new_tokens"]]
