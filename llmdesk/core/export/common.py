"""What every export format shares: the error, role labels, the path on show, dates and a reply's note."""

from __future__ import annotations

import datetime as _dt
import math

from llmdesk.core.conversation import Conversation, Message, stop_reason_label

ROLE_LABELS = {"system": "System", "user": "User", "assistant": "Assistant"}


class ExportError(ValueError):
    """The export cannot be made (unknown format, nothing to export); the message says why."""


def shown_path(conversation: Conversation) -> list[Message]:
    """The messages on show: root to the current leaf (empty when the conversation has none)."""
    if conversation.current_leaf_id is None or conversation.current_leaf_id not in conversation.messages:
        return []
    return conversation.path()


def message_note(message: Message) -> str:
    """A short line about how an assistant reply was made: model, tokens, speed, why it stopped (if not EOS)."""
    if message.role != "assistant":
        return ""
    meta = message.meta if isinstance(message.meta, dict) else {}
    parts: list[str] = []
    model = meta.get("model")
    if isinstance(model, str) and model:
        parts.append(model)
    server = meta.get("server")
    if isinstance(server, str) and server:  # a reply from a remote engine: which server made it
        parts.append(f"via {server}")
    raw_stats = meta.get("stats")
    stats: dict = raw_stats if isinstance(raw_stats, dict) else {}
    tokens = stats.get("new_tokens")
    if isinstance(tokens, int) and not isinstance(tokens, bool):
        parts.append(f"{tokens} tokens")
    speed = stats.get("tokens_per_s", stats.get("decode_tokens_per_s"))
    if isinstance(speed, (int, float)) and not isinstance(speed, bool) and math.isfinite(speed) and speed > 0:
        parts.append(f"{speed:.1f} tok/s")
    if message.stop_reason and message.stop_reason != "eos":
        parts.append(stop_reason_label(message.stop_reason))
    return " · ".join(parts)


def format_timestamp(ts: float) -> str:
    """``ts`` (Unix seconds) as ``2026-09-21 12:26 UTC``; empty for a time that cannot be shown."""
    try:
        return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError, TypeError):
        return ""


def now_iso() -> str:
    """The time now, UTC, to the second: ``2026-09-21T12:26:00Z``."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
