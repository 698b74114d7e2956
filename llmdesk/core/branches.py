"""Branch operations on a conversation tree: regenerate, edit, switch between alternatives, continue.

Nothing is ever overwritten: regenerating a reply adds a sibling reply under the same user message; editing a
user message adds a sibling user message (a new branch from there). The conversation shows one path, from the root
to ``current_leaf_id``, and the prompt sent to the model is always that path (:func:`prompt_turns`).

These functions change the in-memory :class:`~llmdesk.core.conversation.Conversation` only; the caller mirrors each
change into the store (``store.add_message`` for a new message, ``store.set_current_leaf`` after a switch).
Plain Python: no Qt, no torch.

A typical regenerate::

    parent, turns = regenerate_parent(conv, reply_id)
    reply = new_reply(conv, parent.id)             # empty assistant message, now the shown leaf
    store.add_message(conv.id, reply)
    engine.chat(turns, ...)                        # streams into reply through a ReplyCheckpointer
"""

from __future__ import annotations

from llmdesk.core.conversation import Conversation, Message, message_reasoning
from llmdesk.core.conversation import ChatTurn

# Stop reasons after which a reply can be continued where it stopped.
CONTINUABLE_STOP_REASONS = ("length",)


class BranchError(ValueError):
    """A branch operation does not apply to that message (wrong role, unknown id, nothing to continue)."""


def _message(conv: Conversation, message_id: str) -> Message:
    try:
        return conv.messages[message_id]
    except KeyError:
        raise BranchError(f"message {message_id} is not in conversation {conv.id}") from None


def prompt_turns(conv: Conversation, leaf_id: str | None = None) -> list[ChatTurn]:
    """The turns to send to the model: the path from the root to ``leaf_id`` (default: the shown leaf).

    Messages with no text (a reply that failed before its first word, a reply just started) are left out, since
    an empty turn tells the model nothing. A reply's reasoning (``meta["reasoning"]``) goes in the turn's
    ``reasoning``, apart from its text.
    """
    if leaf_id is None and conv.current_leaf_id is None:
        return []
    if leaf_id is not None:
        _message(conv, leaf_id)
    return [ChatTurn(m.role, m.content, message_reasoning(m)) for m in conv.path(leaf_id) if m.content]



def send_message(conv: Conversation, text: str) -> tuple[Message, Message, list[ChatTurn]]:
    """The user sends ``text`` in ``conv``: add it under the shown leaf, then an empty reply under it (now the shown
    leaf, stop reason None while it streams). Returns (user message, reply, the turns to send: the shown path up to
    and including the user message). The window and ``llmdesk ask --conversation`` both send through this.

    Raises:
        BranchError: the text is blank.
    """
    if not text.strip():
        raise BranchError("there is no text to send")
    user = conv.add(Message(role="user", content=text, parent_id=conv.current_leaf_id))
    turns = prompt_turns(conv, user.id)
    reply = conv.add(Message(role="assistant", content="", parent_id=user.id, stop_reason=None))
    return user, reply, turns


def on_shown_path(conv: Conversation, message_id: str) -> bool:
    """True when the message is on the path currently shown."""
    if conv.current_leaf_id is None:
        return False
    return any(m.id == message_id for m in conv.path())


def regenerate_parent(conv: Conversation, assistant_msg_id: str) -> tuple[Message, list[ChatTurn]]:
    """What is needed to regenerate a reply: the message it answers and the turns to send (the path up to and
    including that message). The new reply becomes a sibling of the old one (see :func:`new_reply`).

    Raises:
        BranchError: the message is unknown, not an assistant reply, or answers nothing.
    """
    reply = _message(conv, assistant_msg_id)
    if reply.role != "assistant":
        raise BranchError(f"only a reply can be regenerated; message {assistant_msg_id} is a {reply.role} message")
    if reply.parent_id is None:
        raise BranchError(f"reply {assistant_msg_id} answers no message, so there is nothing to regenerate from")
    parent = _message(conv, reply.parent_id)
    return parent, prompt_turns(conv, parent.id)


def new_reply(conv: Conversation, parent_id: str, *, make_current: bool = True) -> Message:
    """Add an empty assistant message under ``parent_id`` (a reply about to stream) and return it."""
    parent = _message(conv, parent_id)
    if parent.role == "assistant":
        raise BranchError(f"a reply must follow a user or system message, not the reply {parent_id}")
    return conv.add(Message("assistant", "", parent_id=parent_id), make_current=make_current)


def edit_user_message(conv: Conversation, msg_id: str, new_text: str) -> Message:
    """Edit a user message by adding the edited text as a sibling (a new branch from there), made the shown
    leaf. The original message and everything after it stay as the other branch.

    Returns:
        The new user message; send :func:`prompt_turns` (it ends with this message) to get its reply.

    Raises:
        BranchError: the message is unknown or not a user message, or the new text is blank.
    """
    old = _message(conv, msg_id)
    if old.role != "user":
        raise BranchError(f"only your own messages can be edited; message {msg_id} is a {old.role} message")
    if not new_text.strip():
        raise BranchError("the edited message is empty")
    return conv.add(Message("user", new_text, parent_id=old.parent_id), make_current=True)


def sibling_position(conv: Conversation, msg_id: str) -> tuple[int, int]:
    """The message's place among its alternatives: (1-based index, count), oldest first."""
    siblings = conv.siblings(_message(conv, msg_id).id)
    ids = [m.id for m in siblings]
    return ids.index(msg_id) + 1, len(ids)


def position_label(conv: Conversation, msg_id: str) -> str:
    """``"2 / 3"`` for the second of three alternatives; ``""`` when the message has no alternative."""
    index, count = sibling_position(conv, msg_id)
    return f"{index} / {count}" if count > 1 else ""


def switch_sibling(conv: Conversation, msg_id: str, step: int) -> str:
    """Show another alternative of ``msg_id``: ``step`` -1 for the previous, +1 for the next (stops at the ends,
    no wrap-around). The shown path then goes down that alternative's branch to its newest leaf.

    Returns:
        The new current leaf (also set on ``conv``); unchanged when there is no alternative in that direction.
    """
    siblings = conv.siblings(_message(conv, msg_id).id)
    index = next(i for i, m in enumerate(siblings) if m.id == msg_id)
    target = min(max(index + step, 0), len(siblings) - 1)
    if target == index:
        if conv.current_leaf_id is None or not on_shown_path(conv, msg_id):
            conv.current_leaf_id = conv.newest_leaf_under(msg_id)
        return conv.current_leaf_id
    conv.current_leaf_id = conv.newest_leaf_under(siblings[target].id)
    return conv.current_leaf_id


def reveal_message(conv: Conversation, msg_id: str) -> str:
    """Make a message visible (a search hit on another branch): if it is not on the shown path, show the newest
    leaf of its subtree. Returns the current leaf."""
    _message(conv, msg_id)
    if not on_shown_path(conv, msg_id):
        conv.current_leaf_id = conv.newest_leaf_under(msg_id)
    return conv.current_leaf_id  # type: ignore[return-value]


def can_continue(conv: Conversation, msg_id: str) -> bool:
    """True for a reply that stopped at the length limit, has text, and is the shown leaf."""
    msg = conv.messages.get(msg_id)
    return (msg is not None and msg.role == "assistant" and msg.stop_reason in CONTINUABLE_STOP_REASONS
            and bool(msg.content) and conv.current_leaf_id == msg_id)


def continue_turns(conv: Conversation, msg_id: str) -> list[ChatTurn]:
    """The turns for continuing a reply in place: the shown path ending with the reply itself, to be sent with
    the engine's ``continue_final=True``; the new text is appended to the same message.

    Raises:
        BranchError: the message is not a reply that stopped at the length limit, or is not the shown leaf.
    """
    msg = _message(conv, msg_id)
    if msg.role != "assistant" or msg.stop_reason not in CONTINUABLE_STOP_REASONS or not msg.content:
        raise BranchError(f"message {msg_id} is not a reply that stopped at the length limit "
                          f"(role {msg.role}, stop reason {msg.stop_reason})")
    if conv.current_leaf_id != msg_id:
        raise BranchError(f"reply {msg_id} is not the last message shown; only the last reply can be continued")
    return prompt_turns(conv, msg_id)
