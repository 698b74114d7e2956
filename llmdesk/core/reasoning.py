"""Telling a reasoning model's reasoning apart from its answer, as the text streams.

Reasoning models write their reasoning between tags before the answer (``<think>…</think>``; other models use
``<thinking>``, ``<thought>`` or ``<reasoning>``). Some chat templates open the tag in the prompt itself (the
generation prompt ends with ``<think>\\n``), so the reply holds only the closing tag. :class:`ReasoningSplitter`
takes the reply's text in pieces of any size and keeps two texts, the reasoning and the answer:

- an opening tag at the start of a line (text before it, if any, stays in the answer) starts the reasoning; the
  first closing tag of the same name ends it. Only the first block counts: tags later in the answer are text;
- a closing tag with no opening tag before it (the prompt opened it) makes all the text before it reasoning: the
  answer so far is moved into the reasoning (:attr:`ReasoningSplitter.resets` counts such moves);
- a tag split across pieces is recognised: a piece's tail that could start a tag is held back until the next
  piece (or :meth:`ReasoningSplitter.finish`) decides;
- a reasoning block never closed (the reply stopped mid-reasoning) is all reasoning; the answer is empty.

The result does not depend on how the text was cut into pieces. Plain Python: no Qt, no torch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_TAGS: tuple[str, ...] = ("think", "thinking", "thought", "reasoning")

_PRE, _INSIDE, _AFTER = "pre", "inside", "after"


@dataclass(frozen=True)
class SplitReply:
    """A reply split in two. ``reasoning`` and ``answer`` have no surrounding blank space at their start;
    ``reasoning`` is "" for a reply with no reasoning."""

    reasoning: str
    answer: str


class ReasoningSplitter:
    """Splits streamed reply text into reasoning and answer (see the module docstring for the rules).

    Args:
        tags: the tag names recognised (without angle brackets), e.g. ``("think",)``.

    Raises:
        ValueError: a tag name is empty or holds characters other than letters, digits, ``_`` or ``-``.

    Typical use::

        splitter = ReasoningSplitter()
        for piece in stream:
            splitter.feed(piece)
            show(splitter.reasoning, splitter.answer, splitter.in_reasoning)
        splitter.finish()
    """

    def __init__(self, tags: Sequence[str] = DEFAULT_TAGS) -> None:
        bad = [t for t in tags if not re.fullmatch(r"[A-Za-z0-9_-]+", t)]
        if bad or not tags:
            raise ValueError(f"reasoning tag names must be letters, digits, '_' or '-'; got {list(tags)!r}")
        self.tags = tuple(tags)
        names = "|".join(re.escape(t) for t in sorted(self.tags, key=len, reverse=True))
        self._any_tag = re.compile(rf"<(/?)({names})>")
        self._prefixes = {f"<{t}>"[:i] for t in self.tags for i in range(1, len(t) + 2)}
        self._prefixes |= {f"</{t}>"[:i] for t in self.tags for i in range(1, len(t) + 3)}
        self._longest = max(len(p) for p in self._prefixes)
        self._raw = ""  # all text fed so far
        self._pos = 0  # _raw[:_pos] is decided
        self._state = _PRE
        self._tag = ""
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        self._answer_len = 0
        self.resets = 0
        self.finished = False

    # -- results ---------------------------------------------------------------------------------------------
    @property
    def reasoning(self) -> str:
        """The reasoning so far (leading blank space dropped)."""
        return "".join(self._reasoning)

    @property
    def answer(self) -> str:
        """The answer so far (leading blank space dropped). Grows by appending, except when a closing tag with
        no opening tag moves it into the reasoning (then :attr:`resets` goes up by one)."""
        if len(self._answer) > 1:
            self._answer[:] = ["".join(self._answer)]
        return self._answer[0] if self._answer else ""

    @property
    def in_reasoning(self) -> bool:
        """Whether the text is inside an open reasoning block now."""
        return self._state == _INSIDE

    @property
    def has_reasoning(self) -> bool:
        """Whether a reasoning block was opened (or a closing tag showed that the prompt opened one)."""
        return self._state != _PRE

    def result(self) -> SplitReply:
        """Both texts; trailing blank space of the reasoning dropped."""
        return SplitReply(self.reasoning.rstrip(), self.answer)

    # -- input -----------------------------------------------------------------------------------------------
    def feed(self, piece: str) -> None:
        """Add streamed text.

        Raises:
            RuntimeError: after :meth:`finish`.
        """
        if self.finished:
            raise RuntimeError("the reply is finished; no more text can be added")
        if piece:
            self._raw += piece
            self._scan(final=False)

    def finish(self) -> SplitReply:
        """The reply ended: text held back as a possible tag start is decided as plain text. Returns
        :meth:`result`. Calling it again does nothing more."""
        if not self.finished:
            self._scan(final=True)
            self.finished = True
        return self.result()

    # -- internals -------------------------------------------------------------------------------------------
    def _held_from(self, text: str, start: int) -> int:
        """Where the tail of ``text`` that could still grow into a tag begins (``len(text)`` when none)."""
        for i in range(max(start, len(text) - self._longest), len(text)):
            if text[i] == "<" and text[i:] in self._prefixes:
                return i
        return len(text)

    def _at_line_start(self, index: int) -> bool:
        line = self._raw[:index].rsplit("\n", 1)[-1]
        return not line.strip(" \t")

    def _scan(self, *, final: bool) -> None:
        raw = self._raw
        while self._pos < len(raw):
            if self._state == _AFTER:
                self._add_answer(raw[self._pos:])
                self._pos = len(raw)
                return
            match = self._next_tag(raw, self._pos)
            if match is None:
                end = len(raw) if final else self._held_from(raw, self._pos)
                self._add(raw[self._pos:end])
                self._pos = end
                return
            self._add(raw[self._pos:match.start()])
            self._pos = match.end()
            closing, name = bool(match.group(1)), match.group(2)
            if self._state == _INSIDE:  # the closing tag of this block
                self._state = _AFTER
            elif closing:  # a closing tag with no opening tag: the prompt opened the block
                moved = self.answer
                self._answer, self._answer_len = [], 0
                self._reasoning = [moved] if moved.strip() else []
                if self._reasoning:
                    self.resets += 1
                self._state = _AFTER
                self._tag = name
            else:
                self._state, self._tag = _INSIDE, name

    def _next_tag(self, raw: str, pos: int) -> re.Match[str] | None:
        if self._state == _INSIDE:
            index = raw.find(f"</{self._tag}>", pos)
            if index < 0:
                return None
            return self._any_tag.match(raw, index)
        for match in self._any_tag.finditer(raw, pos):
            if match.group(1) or self._at_line_start(match.start()):
                return match
        return None

    def _add(self, text: str) -> None:
        if not text:
            return
        if self._state == _INSIDE:
            if not self._reasoning:
                text = text.lstrip()
            if text:
                self._reasoning.append(text)
        else:
            self._add_answer(text)

    def _add_answer(self, text: str) -> None:
        if self._answer_len == 0:
            text = text.lstrip()
        if text:
            self._answer.append(text)
            self._answer_len += len(text)


def split_reasoning(text: str, tags: Sequence[str] = DEFAULT_TAGS) -> SplitReply:
    """Split a whole reply's text (see :class:`ReasoningSplitter`)."""
    splitter = ReasoningSplitter(tags)
    splitter.feed(text)
    return splitter.finish()


def split_pieces(pieces: Iterable[str], tags: Sequence[str] = DEFAULT_TAGS) -> SplitReply:
    """Split a reply given as streamed pieces (see :class:`ReasoningSplitter`)."""
    splitter = ReasoningSplitter(tags)
    for piece in pieces:
        splitter.feed(piece)
    return splitter.finish()


def open_tag_at_end(prompt_text: str, tags: Sequence[str] = DEFAULT_TAGS) -> str | None:
    """The reasoning tag a rendered prompt leaves open at its end (``"<think>"`` for a template whose generation
    prompt ends with ``<think>\\n``), or None. The model's reply then holds only the closing tag."""
    tail = prompt_text.rstrip()
    for tag in sorted(tags, key=len, reverse=True):
        opening = f"<{tag}>"
        if tail.endswith(opening):
            return opening
    return None
