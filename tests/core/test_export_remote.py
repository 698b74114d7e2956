"""A reply made by a remote engine carries its engine, server and notes into the reply metadata and the exports."""

from __future__ import annotations

import json

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import message_note
from llmdesk.core.store import reply_meta
from llmdesk.engine.types import GenerationStats


def test_remote_reply_meta_and_export_note() -> None:
    stats = GenerationStats(prompt_tokens=5, new_tokens=3, decode_tokens_per_s=12.5, engine="remote",
                            server="lab vLLM (http://127.0.0.1:8000/v1)", notes=["lab vLLM ignores top_k"])
    meta = reply_meta(model={"model_id": "meta-llama/Llama-3.1-70B", "device": "remote: lab vLLM"}, stats=stats)
    assert meta["engine"] == "remote" and meta["server"] == "lab vLLM (http://127.0.0.1:8000/v1)"
    assert meta["notes"] == ["lab vLLM ignores top_k"] and meta["model"] == "meta-llama/Llama-3.1-70B"
    conversation = Conversation()
    user = Message("user", "Hi")
    conversation.add(user)
    reply = Message("assistant", "Hello", parent_id=user.id, stop_reason="eos", meta=meta)
    conversation.add(reply)
    assert message_note(reply) == ("meta-llama/Llama-3.1-70B · via lab vLLM (http://127.0.0.1:8000/v1) · 3 tokens · "
                                   "12.5 tok/s")
    assert json.loads(json.dumps(reply.meta))["server"].startswith("lab vLLM")


def test_local_reply_meta_names_the_local_engine() -> None:
    meta = reply_meta(model={"model_id": "m"}, stats=GenerationStats(new_tokens=1))
    assert meta["engine"] == "transformers" and "server" not in meta and "notes" not in meta
