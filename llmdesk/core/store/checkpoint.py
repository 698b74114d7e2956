"""Saving a streaming reply: at least once a second, and once more when it ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from llmdesk.core.reasoning import SplitReply, split_reasoning


class MessageWriter(Protocol):
    """What a checkpointer writes through: :meth:`ConversationStore.update_message` (or a wrapper of it that
    reports failures)."""

    def update_message(self, message_id: str, **fields: Any) -> None: ...


class ReplyCheckpointer:
    """Writes a streaming reply into the store: at most one write per ``interval_s``, and a last one at the end.

    Create it after saving the (empty) assistant message with :meth:`ConversationStore.add_message`. Call
    :meth:`append` with each piece of text (or each coalesced batch), :meth:`poll` from a timer so a pause in the
    stream still gets its text saved, and :meth:`finish` once when the reply ends for any reason (finished,
    stopped, failed, or the window closing). Killing the process loses at most the text of the last
    ``interval_s`` seconds.

    A reasoning model's reply is saved split (:func:`llmdesk.core.reasoning.split_reasoning`): the answer as the
    message's text, the reasoning in ``meta["reasoning"]`` (added to ``meta`` while it streams, and to the meta
    given to :meth:`finish`).

    Args:
        store: the store holding the message (or a wrapper that reports failed saves, as the window uses).
        message_id: the assistant message being written.
        interval_s: the longest time text may stay unsaved.
        clock: a monotonic clock in seconds (injectable for tests).
        text: the message's text so far (for continuing a reply).
        meta: the message's meta as saved when it was added; checkpoints that carry reasoning save it with
            ``"reasoning"`` added (None: ``{}``).
    """

    def __init__(self, store: MessageWriter, message_id: str, *, interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, text: str = "",
                 meta: dict[str, Any] | None = None) -> None:
        self._meta = dict(meta or {})
        self._store = store
        self.message_id = message_id
        self.interval_s = interval_s
        self._clock = clock
        self._parts: list[str] = [text] if text else []
        self._saved_len = len(text)
        self._len = len(text)
        self._last_save = clock()
        self.finished = False
        self.saves = 0

    @property
    def text(self) -> str:
        """All the text so far, saved or not."""
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def split(self) -> SplitReply:
        """The text so far split into reasoning and answer."""
        return split_reasoning(self.text)

    @property
    def dirty(self) -> bool:
        """True while some text is not saved yet."""
        return self._len != self._saved_len

    def append(self, piece: str) -> bool:
        """Add text; saves when the last save is ``interval_s`` old. Returns True when it saved."""
        self.add(piece)
        return self.poll()

    def add(self, piece: str) -> None:
        """Add text without saving (the caller's :meth:`finish` follows at once)."""
        if self.finished:
            raise RuntimeError(f"reply {self.message_id} is finished; no more text can be added")
        if piece:
            self._parts.append(piece)
            self._len += len(piece)

    def poll(self) -> bool:
        """Save if there is unsaved text and the last save is ``interval_s`` old. Returns True when it saved."""
        if self.dirty and not self.finished and self._clock() - self._last_save >= self.interval_s:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Save the text now if any is unsaved."""
        if self.dirty and not self.finished:
            split = self.split()
            if split.reasoning:
                self._store.update_message(self.message_id, content=split.answer,
                                           meta={**self._meta, "reasoning": split.reasoning})
            else:
                self._store.update_message(self.message_id, content=split.answer)
            self._saved_len = self._len
            self._last_save = self._clock()
            self.saves += 1

    def finish(self, stop_reason: str, meta: dict[str, Any] | None = None) -> None:
        """Save the final text with its stop reason and meta (see :func:`reply_meta`). Only the first call counts."""
        if self.finished:
            return
        split = self.split()
        if split.reasoning:
            meta = {**(meta if meta is not None else self._meta), "reasoning": split.reasoning}
        self._store.update_message(self.message_id, content=split.answer, stop_reason=stop_reason, meta=meta)
        self._saved_len = self._len
        self._last_save = self._clock()
        self.finished = True
        self.saves += 1
