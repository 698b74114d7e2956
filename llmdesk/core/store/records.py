"""What the store hands out: list rows, search hits, change events, and its error."""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """The conversation database could not be read or written; the message says what and why."""


@dataclass
class ConversationSummary:
    """One row of the conversation list.

    Attributes:
        id: the conversation's id.
        title: its title.
        updated_at: unix time of the last activity (a message added, a reply finished, a rename).
        message_count: messages in the conversation, all branches counted.
        title_is_auto: True while the title is still the automatic one (not renamed by the user).
    """

    id: str
    title: str
    updated_at: float
    message_count: int
    title_is_auto: bool = True


@dataclass
class SearchHit:
    """A message that matches a search.

    Attributes:
        conversation_id: the conversation that holds the message.
        message_id: the message.
        title: the conversation's title.
        role: the message's role.
        snippet: a short excerpt of the message; each matching word is between ``\\x02`` and ``\\x03``.
        created_at: unix time the message was written.
    """

    conversation_id: str
    message_id: str
    title: str
    role: str
    snippet: str
    created_at: float = 0.0


@dataclass(frozen=True)
class StoreEvent:
    """A change that shows in the conversation list.

    Attributes:
        kind: "created", "updated" (title, activity time or message count changed), "deleted", or "reset" (many
            conversations changed at once; ``conversation_id`` is None).
        conversation_id: the conversation concerned.
    """

    kind: str
    conversation_id: str | None = None
