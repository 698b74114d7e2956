"""Conversations as trees of messages: regenerating or editing makes a sibling branch, nothing is thrown away.

A conversation shows one path from a root message down to ``current_leaf_id``; that path is what the model is sent.
Plain data, no Qt, no torch, no database: the store persists it and the exporters read it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ROLES = ("system", "user", "assistant")


class StopReason(StrEnum):
    """Why a reply ended. The values are what the store, the exports and the JSON files hold; a member compares
    equal to its value (``StopReason.CANCELLED == "cancelled"``)."""

    EOS = "eos"
    LENGTH = "length"
    STOP_SEQUENCE = "stop_sequence"
    CANCELLED = "cancelled"
    ERROR = "error"

    @property
    def label(self) -> str:
        """The user-facing words for this reason, the same in the chat view and every export ("" for EOS, the
        normal end that needs no note)."""
        return _STOP_LABELS[self]


_STOP_LABELS = {
    StopReason.EOS: "",
    StopReason.LENGTH: "Stopped at the token limit",
    StopReason.STOP_SEQUENCE: "Ended at a stop sequence",
    StopReason.CANCELLED: "Stopped",
    StopReason.ERROR: "Failed",
}


def stop_reason_label(reason: str | None) -> str:
    """The label of a stored stop reason; an unknown value (from an older or foreign file) is shown as it is."""
    if not reason:
        return ""
    try:
        return StopReason(reason).label
    except ValueError:
        return reason


@dataclass(frozen=True)
class ChatTurn:
    """A message as the model is sent it: role "system", "user" or "assistant", and its text. ``reasoning`` is an
    assistant reply's reasoning (see :mod:`llmdesk.core.reasoning`); it reaches the prompt only when the chat
    template takes a ``reasoning_content`` field."""

    role: str
    content: str
    reasoning: str = ""


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Message:
    """One message.

    Attributes:
        id: a stable unique id (hex uuid), kept across export and import.
        role: "system", "user" or "assistant".
        content: the text.
        parent_id: the message this one answers or follows; None for the first message.
        created_at: unix time in seconds.
        stop_reason: for assistant messages, why the reply ended: "eos", "length", "stop_sequence",
            "cancelled", "error", or None while it is still streaming.
        meta: for assistant messages, what produced the reply: model, revision, device, dtype, decoding,
            seed, stats (prompt_tokens, new_tokens, ttft_s, tokens_per_s), error text and ``reasoning`` (a
            reasoning model's reasoning, kept out of ``content``); free-form JSON.
    """

    role: str
    content: str
    parent_id: str | None = None
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    stop_reason: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def message_reasoning(message: Message) -> str:
    """A reply's reasoning, kept apart from its text in ``meta["reasoning"]`` ("" when it has none; see
    :mod:`llmdesk.core.reasoning`)."""
    reasoning = message.meta.get("reasoning") if isinstance(message.meta, dict) else None
    return reasoning if isinstance(reasoning, str) else ""


@dataclass
class Conversation:
    """A conversation: its messages (all branches) and the leaf of the path on show."""

    title: str = "New chat"
    id: str = field(default_factory=new_id)
    title_is_auto: bool = True
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    current_leaf_id: str | None = None
    messages: dict[str, Message] = field(default_factory=dict)

    # -- tree queries ------------------------------------------------------------------------------------------
    def children(self, message_id: str | None) -> list[Message]:
        """The messages whose parent is ``message_id`` (None: the roots), oldest first."""
        kids = [m for m in self.messages.values() if m.parent_id == message_id]
        kids.sort(key=lambda m: m.created_at)
        return kids

    def siblings(self, message_id: str) -> list[Message]:
        """The alternatives of a message (itself included), oldest first."""
        return self.children(self.messages[message_id].parent_id)

    def path(self, leaf_id: str | None = None) -> list[Message]:
        """The messages from the root down to ``leaf_id`` (default: the current leaf)."""
        leaf_id = self.current_leaf_id if leaf_id is None else leaf_id
        out: list[Message] = []
        seen: set[str] = set()
        while leaf_id is not None:
            if leaf_id in seen:
                raise ValueError(f"conversation {self.id}: message {leaf_id} is its own ancestor")
            seen.add(leaf_id)
            msg = self.messages[leaf_id]
            out.append(msg)
            leaf_id = msg.parent_id
        out.reverse()
        return out

    def newest_leaf_under(self, message_id: str) -> str:
        """The most recently created leaf in the subtree of ``message_id``: where switching to a branch lands."""
        best = self.messages[message_id]
        stack = [message_id]
        while stack:
            node = stack.pop()
            kids = self.children(node)
            if not kids and self.messages[node].created_at >= best.created_at:
                best = self.messages[node]
            stack.extend(k.id for k in kids)
        return best.id

    # -- edits (in memory; the store mirrors them) --------------------------------------------------------------
    def add(self, message: Message, *, make_current: bool = True) -> Message:
        if message.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {message.role!r}")
        if message.parent_id is not None and message.parent_id not in self.messages:
            raise ValueError(f"parent {message.parent_id} is not in conversation {self.id}")
        self.messages[message.id] = message
        if make_current:
            self.current_leaf_id = message.id
        self.updated_at = max(self.updated_at, message.created_at)
        return message
