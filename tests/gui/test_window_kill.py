"""Killing the real window mid-reply: the reply's text was saved by the checkpointer the app itself uses
(``ChatController`` writes through :class:`llmdesk.core.store.ReplyCheckpointer`), so at most about the last second
of it is lost, and the database is intact."""

from __future__ import annotations

import time

import pytest

from llmdesk.core import paths
from llmdesk.core.store import INTERRUPTED_ERROR, ConversationStore
from tests.support.window_process import Window


@pytest.mark.slow
def test_sigkill_of_the_window_mid_reply_keeps_the_text_saved_by_the_apps_checkpointer():
    window = Window("--model", "first/model", LLMDESK_CHILD_PROMPT="Tell me a long story",
                    LLMDESK_CHILD_TOKENS="2000", LLMDESK_CHILD_RATE="50")
    try:
        conv_id, reply_id = window.wait_for("STREAMING").split()
        time.sleep(3.0)  # three checkpoint intervals of streaming
        window.proc.kill()
        window.proc.wait(30)
    finally:
        window.stop()
    assert not window.find("FINISHED"), "the reply ended before the kill: make it longer"
    with ConversationStore(paths.database_path()) as store:
        assert store.integrity_check() == ["ok"]
        reply = store.load_conversation(conv_id).messages[reply_id]
        # ~150 pieces streamed in 3 s; the window saves at least once a second, so well over a third is there
        assert len(reply.content.split()) >= 40, reply.content
        assert reply.stop_reason == "error" and reply.meta["error"] == INTERRUPTED_ERROR
