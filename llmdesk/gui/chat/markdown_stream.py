"""Splits streamed Markdown into blocks that can be rendered once and never touched again.

A reply arrives as small text pieces. Re-rendering the whole reply on every piece would make each update cost
grow with the reply's length, so the text is cut into *closed* blocks (rendered once) and one *open* block (the
tail, re-rendered on each update). Fenced code is reported line by line, so even a long code block only
re-renders its last, incomplete line.

Plain Python, no Qt: :class:`MarkdownSplitter` produces events, the chat view turns them into document edits.

A prose block closes at a blank line that is followed by a line starting in column 0 (an indented line may
continue a list item or be indented code, so it stays in the same block), or where a code fence opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


@dataclass(frozen=True)
class ProseBlock:
    """A closed run of Markdown outside code fences."""

    text: str


@dataclass(frozen=True)
class CodeStart:
    """A code fence opened; ``language`` is its info string's first word ('' when none)."""

    language: str


@dataclass(frozen=True)
class CodeLine:
    """One complete line of fenced code (without its newline)."""

    text: str


@dataclass(frozen=True)
class CodeEnd:
    """The open code fence closed (or the reply ended inside it)."""


Event = ProseBlock | CodeStart | CodeLine | CodeEnd


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    if len(line) - len(line.lstrip(" ")) > 3 or not stripped:
        return False
    return stripped[0] == fence[0] and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


class MarkdownSplitter:
    """Incremental splitter: :meth:`feed` text pieces, get the events for what became final.

    Attributes:
        open_text: the open (not yet final) text: the prose block being written, or the partial code line.
        in_code: whether the open text is inside a code fence.
        language: the open code block's language.
    """

    def __init__(self) -> None:
        self.open_text = ""
        self.in_code = False
        self.language = ""
        self._fence = ""

    def feed(self, piece: str) -> list[Event]:
        """Add a piece of the reply; return the events for the blocks and code lines it completed."""
        self.open_text += piece
        events: list[Event] = []
        while True:
            if self.in_code:
                if not self._take_code_line(events):
                    break
            elif not self._take_prose(events):
                break
        return events

    def close(self) -> list[Event]:
        """The reply ended: everything still open becomes final."""
        events: list[Event] = []
        if self.in_code:
            if self.open_text and not _closes_fence(self.open_text, self._fence):
                events.append(CodeLine(self.open_text))
            events.append(CodeEnd())
            self.in_code = False
        elif self.open_text.strip():
            events.append(ProseBlock(self.open_text.strip("\n")))
        self.open_text = ""
        return events

    # -- internals ---------------------------------------------------------------------------------------------
    def _take_code_line(self, events: list[Event]) -> bool:
        newline = self.open_text.find("\n")
        if newline < 0:
            return False
        line = self.open_text[:newline]
        self.open_text = self.open_text[newline + 1:]
        if _closes_fence(line, self._fence):
            events.append(CodeEnd())
            self.in_code = False
            self._fence = ""
        else:
            events.append(CodeLine(line))
        return True

    def _take_prose(self, events: list[Event]) -> bool:
        text = self.open_text
        start = 0
        while True:
            newline = text.find("\n", start)
            if newline < 0:
                return False
            line = text[start:newline]
            match = _FENCE_OPEN.match(line)
            if match and not (match.group(1)[0] == "`" and "`" in line[match.end(1):]):
                before = text[:start].strip("\n")
                if before.strip():
                    events.append(ProseBlock(before))
                self._fence = match.group(1)
                self.language = match.group(2)
                self.in_code = True
                self.open_text = text[newline + 1:]
                events.append(CodeStart(self.language))
                return True
            if not line.strip() and start > 0:
                # A blank line: the block before it closes once the next line starts in column 0.
                following = text[newline + 1:]
                if following and not following[0].isspace():
                    before = text[:start].strip("\n")
                    self.open_text = following
                    if before.strip():
                        events.append(ProseBlock(before))
                        return True
                    continue_start = 0
                    text = following
                    start = continue_start
                    continue
            start = newline + 1
