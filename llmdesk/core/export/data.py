"""The data writers: the app's own JSON (every branch, lossless) and JSONL for training tools.

These keep what a program needs rather than what a reader sees, so they work from the conversations, not from
the outline.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import platform
from collections.abc import Iterable, Sequence
from typing import Any

from llmdesk import APP_NAME, __version__
from llmdesk.core.conversation import Conversation, Message, message_reasoning
from llmdesk.core.export.common import now_iso as _now_iso
from llmdesk.core.export.common import shown_path

JSON_FORMAT = "llmdesk-conversations"
JSON_FORMAT_VERSION = 1
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
LIBRARIES = ("transformers", "torch", "PySide6", "PySide6-Essentials", "accelerate", "safetensors")


def library_versions() -> dict[str, str | None]:
    """Python's version and those of the libraries the app runs on, from package metadata (nothing is imported);
    None for a library that is not installed."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null, everything else is returned as it is."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def ordered_messages(conversation: Conversation) -> list[Message]:
    """Every message of a conversation, parents before children, siblings oldest first."""
    by_parent: dict[str | None, list[Message]] = {}
    for msg in conversation.messages.values():
        by_parent.setdefault(msg.parent_id, []).append(msg)
    for kids in by_parent.values():
        kids.sort(key=lambda m: (m.created_at, m.id))
    out: list[Message] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        msg = stack.pop()
        out.append(msg)
        stack.extend(reversed(by_parent.get(msg.id, [])))
    if len(out) != len(conversation.messages):  # orphans or cycles: keep them all, the importer will say what is wrong
        seen = {m.id for m in out}
        out.extend(m for m in conversation.messages.values() if m.id not in seen)
    return out


def conversation_to_dict(conversation: Conversation) -> dict[str, Any]:
    """One conversation as plain JSON data (the ``conversations[]`` item of the app's JSON)."""
    return {
        "id": conversation.id,
        "title": conversation.title,
        "title_is_auto": conversation.title_is_auto,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "current_leaf_id": conversation.current_leaf_id,
        "messages": [_message_dict(m) for m in ordered_messages(conversation)],
    }


def _message_dict(m: Message) -> dict[str, Any]:
    """A message as JSON data; a reply's reasoning in its own ``reasoning`` field (not in ``meta``)."""
    data: dict[str, Any] = {"id": m.id, "parent_id": m.parent_id, "role": m.role, "content": m.content,
                            "created_at": m.created_at, "stop_reason": m.stop_reason, "meta": m.meta}
    reasoning = message_reasoning(m)
    if reasoning:
        data["reasoning"] = reasoning
        data["meta"] = {k: v for k, v in m.meta.items() if k != "reasoning"}
    return data


def to_json_data(conversations: Sequence[Conversation]) -> dict[str, Any]:
    """The app's JSON document as plain data; :func:`to_json` serialises it."""
    return _finite({
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "exported_at": _now_iso(),
        "app": {"name": APP_NAME, "version": __version__},
        "libraries": library_versions(),
        "conversations": [conversation_to_dict(c) for c in conversations],
    })


def to_json(conversations: Sequence[Conversation]) -> str:
    """The app's own format, lossless: every conversation, every branch, every message's metadata.

    Layout (``format_version`` 1)::

        {"format": "llmdesk-conversations", "format_version": 1, "exported_at": "2026-...Z",
         "app": {"name": "llmdesk", "version": "0.1.0"},
         "libraries": {"python": "3.11.7", "transformers": "5.0.0", "torch": "2.13.0", ...},  # null: missing
         "conversations": [{"id", "title", "title_is_auto", "created_at", "updated_at", "current_leaf_id",
                            "messages": [{"id", "parent_id", "role", "content", "created_at", "stop_reason",
                                          "meta", "reasoning" (replies of reasoning models only)}, ...]}]}

    Times are Unix seconds (floats). Messages are listed parents first; ``parent_id`` null marks a first message,
    and siblings (same parent) are the branches made by regenerating or editing. ``meta`` holds what made an
    assistant reply: model, revision, device, dtype, decoding settings, seed and stats. Non-finite numbers, which
    JSON cannot hold, are written as null.
    """
    # Laid out by hand: the header and each conversation's fields indented, one message per line. Readable and
    # diff-friendly like indent=1, but every message goes through json's C encoder (indent= forces the slow
    # Python one: 3.5x slower on 10,000 messages).
    doc = to_json_data([])
    out = ["{\n"]
    for key, value in doc.items():
        if key != "conversations":
            out.append(f" {_compact(key)}: {_compact(value)},\n")
    out.append(' "conversations": [')
    for k, conv in enumerate(conversations):
        data = conversation_to_dict(conv)
        messages = data.pop("messages")
        out.append(",\n  {" if k else "\n  {")
        out.extend(f"{_compact(key)}: {_compact(value)}, " for key, value in data.items())
        out.append('"messages": [')
        out.append(",".join("\n   " + _compact(m) for m in messages))
        out.append("\n  ]}" if messages else "]}")
    out.append("\n ]\n}\n" if conversations else "]\n}\n")
    return "".join(out)


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity somewhere in it
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)


def _jsonl(lines: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n" for line in lines)


def to_openai_jsonl(conversations: Sequence[Conversation]) -> str:
    """One line per conversation along the shown path: ``{"messages": [{"role": ..., "content": ...}, ...]}``."""
    return _jsonl(
        {"messages": [{"role": m.role, "content": m.content} for m in path]}
        for path in (shown_path(c) for c in conversations) if path
    )


def to_sharegpt_jsonl(conversations: Sequence[Conversation]) -> str:
    """One line per conversation along the shown path:
    ``{"conversations": [{"from": "system" | "human" | "gpt", "value": ...}, ...]}``."""
    return _jsonl(
        {"conversations": [{"from": SHAREGPT_ROLES[m.role], "value": m.content} for m in path]}
        for path in (shown_path(c) for c in conversations) if path
    )
