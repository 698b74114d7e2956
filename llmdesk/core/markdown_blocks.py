"""Markdown block structure shared by the chat view and the exports: one fence grammar, one streaming splitter.

Fences follow CommonMark (spec section 4.5, "Fenced code blocks"), in one place for every reader of a reply:

* an opening fence is three or more backticks or three or more tildes, indented at most three spaces; the rest of
  the line is the info string (trimmed); a backtick fence's info string may not contain a backtick (the line is
  then inline code, not a fence), a tilde fence's may;
* a closing fence uses the same character, is at least as long as the opening one, is indented at most three
  spaces, and has nothing after it but spaces or tabs;
* up to as many spaces as the opening fence was indented are removed from each code line;
* a fence still open at the end of the text runs to the end.

Fences are read at the top level: a fence inside a list item (indented up to three spaces) counts, one behind
``>`` or a list marker on the same line does not (it stays in the surrounding text).

:class:`MarkdownSplitter` cuts a reply that arrives in small pieces into parts that never change once complete,
so the chat view renders each part once and re-renders only the open one on every update:

* prose blocks, which close at a blank line followed by a line starting in column 0;
* fenced code, line by line;
* GitHub tables, row by row (:class:`TableStart`, :class:`TableRow`, :class:`TableEnd`);
* lists, item by item (:class:`ListItem`, :class:`ListEnd`); a blank line between items (a loose list) does not
  end the list.

Plain Python, no Qt.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# -- the fence grammar ----------------------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_INFO_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Fence:
    """An opening code fence.

    Attributes:
        char: ``"`"`` or ``"~"``.
        length: how many of them (3 or more).
        indent: spaces before the fence (0-3); as many are removed from each code line.
        info: the info string, trimmed, as written (backslash escapes and entities not yet resolved).
    """

    char: str
    length: int
    indent: int
    info: str

    @property
    def language(self) -> str:
        """The info string's first word, with CommonMark's backslash escapes and entities resolved ('' if none)."""
        word = self.info.split()[0] if self.info.strip() else ""
        return html.unescape(_INFO_ESCAPE.sub(r"\1", word))

    def closed_by(self, line: str) -> bool:
        """Whether ``line`` (without its newline) closes this fence."""
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3:
            return False
        run = len(stripped) - len(stripped.lstrip(self.char))
        return run >= self.length and not stripped[run:].strip(" \t\r")

    def strip_indent(self, line: str) -> str:
        """``line`` (a code line) with up to :attr:`indent` leading spaces removed."""
        k = 0
        while k < self.indent and k < len(line) and line[k] == " ":
            k += 1
        return line[k:]


def open_fence(line: str) -> Fence | None:
    """The code fence that ``line`` (without its newline) opens, or None when it opens none.

    >>> open_fence("~~~ js `x`").language
    'js'
    >>> open_fence("``` js `x`") is None
    True
    """
    m = _FENCE_OPEN.match(line)
    if m is None:
        return None
    run = m.group(2)
    info = m.group(3)
    if run[0] == "`" and "`" in info:
        return None
    return Fence(run[0], len(run), len(m.group(1)), info.strip(" \t\r"))


# -- other block starts (what ends a table, a list, or interrupts a paragraph) --------------------------------------

_LIST_MARKER = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])([ \t]+|$)")
_THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^ {0,3}>")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_DELIMITER_ROW = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def _blank(line: str) -> bool:
    return not line.strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@dataclass(frozen=True)
class _Marker:
    kind: str          # the bullet character, or "." / ")" for an ordered list
    number: int        # the ordered item's number (0 for bullets)
    content: int       # the column where the item's content starts
    empty: bool        # nothing after the marker


def _list_marker(line: str) -> _Marker | None:
    if _THEMATIC_BREAK.match(line):
        return None
    m = _LIST_MARKER.match(line)
    if m is None:
        return None
    marker = m.group(2)
    spaces = m.group(3).replace("\t", "    ")
    empty = not line[m.end():].strip()
    width = len(m.group(1)) + len(marker) + (1 if empty or len(spaces) > 4 else len(spaces))
    if marker[-1] in ".)":
        return _Marker(marker[-1], int(marker[:-1]), width, empty)
    return _Marker(marker, 0, width, empty)


def _starts_other_block(line: str) -> bool:
    """Whether a line starts a block that ends a table or interrupts a paragraph (other than a list item)."""
    return bool(_QUOTE.match(line) or _THEMATIC_BREAK.match(line) or _HEADING.match(line) or open_fence(line))


def _table_header(line: str) -> bool:
    return "|" in line and _indent(line) < 4 and not _starts_other_block(line) and _list_marker(line) is None


def _delimiter_row(line: str) -> bool:
    return "|" in line and bool(_DELIMITER_ROW.match(line))


def _ends_table(line: str) -> bool:
    """A line after a table row that is not a row (Qt's Markdown reader, md4c, ends a table at these)."""
    return (_blank(line) or _indent(line) >= 4 or bool(_QUOTE.match(line) or _THEMATIC_BREAK.match(line))
            or _list_marker(line) is not None or open_fence(line) is not None)


# -- streaming events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProseBlock:
    """A closed run of Markdown outside code fences, tables and lists."""

    text: str


@dataclass(frozen=True)
class CodeStart:
    """A code fence opened; ``language`` is its info string's first word ('' when none)."""

    language: str


@dataclass(frozen=True)
class CodeLine:
    """One complete line of fenced code (without its newline, the fence's indentation removed)."""

    text: str


@dataclass(frozen=True)
class CodeEnd:
    """The open code fence closed (or the reply ended inside it)."""


@dataclass(frozen=True)
class TableStart:
    """A table began: its header row and delimiter row (each a source line)."""

    header: str
    delimiter: str


@dataclass(frozen=True)
class TableRow:
    """One complete body row of the open table (its source line)."""

    text: str


@dataclass(frozen=True)
class TableEnd:
    """The open table ended."""


@dataclass(frozen=True)
class ListItem:
    """One complete item of the open list: its Markdown, marker included (nested lists and continuation lines
    are part of it). ``number`` is its position's number in an ordered list (the first item's number plus its
    index), 0 in a bullet list."""

    text: str
    number: int = 0


@dataclass(frozen=True)
class ListEnd:
    """The open list ended."""


Event = ProseBlock | CodeStart | CodeLine | CodeEnd | TableStart | TableRow | TableEnd | ListItem | ListEnd


class MarkdownSplitter:
    """Incremental splitter: :meth:`feed` text pieces, get the events for the parts that became final.

    Attributes:
        mode: what the open (not yet final) text is: ``"prose"``, ``"code"`` (a partial code line), ``"table"``
            (a partial table row) or ``"list"`` (the open list item).
        language: the open code block's language.
        item_number: the open list item's number (as :attr:`ListItem.number`).
    """

    def __init__(self) -> None:
        self.mode = "prose"
        self.language = ""
        self.item_number = 0
        self._partial = ""               # the incomplete last line
        self._lines: list[str] = []      # complete lines of the open prose block or list item
        self._fence: Fence | None = None
        self._table: tuple[str, str] | None = None
        self._item: _Marker | None = None
        self._list_start = 0
        self._items = 0

    @property
    def in_code(self) -> bool:
        """Whether the open text is inside a code fence."""
        return self.mode == "code"

    @property
    def table(self) -> tuple[str, str] | None:
        """The open table's header and delimiter rows (None outside a table)."""
        return self._table

    @property
    def open_text(self) -> str:
        """The open text: the prose block or list item being written, or the partial code line or table row (''
        when the partial line would not be a row of the open table)."""
        if self.mode == "code":
            assert self._fence is not None
            return self._fence.strip_indent(self._partial)
        if self.mode == "table":
            return "" if _ends_table(self._partial) else self._partial
        if not self._lines:
            return self._partial
        return "\n".join([*self._lines, self._partial]).strip("\n")

    def feed(self, piece: str) -> list[Event]:
        """Add a piece of the reply; return the events for the parts it completed."""
        events: list[Event] = []
        if "\n" not in piece:
            self._partial += piece
            return events
        lines = (self._partial + piece).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line, events)
        return events

    def close(self) -> list[Event]:
        """The reply ended: everything still open becomes final."""
        events: list[Event] = []
        if self._partial:
            partial, self._partial = self._partial, ""
            self._line(partial, events)
        if self.mode == "code":
            events.append(CodeEnd())
            self._fence = None
        elif self.mode == "table":
            events.append(TableEnd())
            self._table = None
        elif self.mode == "list":
            self._end_list(events)
        else:
            self._commit_prose(events)
        self.mode = "prose"
        return events

    # -- internals ----------------------------------------------------------------------------------------------
    def _line(self, line: str, events: list[Event]) -> None:
        if self.mode == "code":
            assert self._fence is not None
            if self._fence.closed_by(line):
                events.append(CodeEnd())
                self.mode = "prose"
                self._fence = None
            else:
                events.append(CodeLine(self._fence.strip_indent(line)))
            return
        if self.mode == "table":
            if not _ends_table(line):
                events.append(TableRow(line))
                return
            events.append(TableEnd())
            self.mode = "prose"
            self._table = None
            if _blank(line):
                return
        elif self.mode == "list" and self._list_line(line, events):
            return
        self._prose_line(line, events)

    def _prose_line(self, line: str, events: list[Event]) -> None:
        fence = open_fence(line)
        if fence is not None:
            self._commit_prose(events)
            self._fence = fence
            self.language = fence.language
            self.mode = "code"
            events.append(CodeStart(self.language))
            return
        if _blank(line):
            if self._lines:
                self._lines.append(line)
            return
        after_blank = bool(self._lines) and _blank(self._lines[-1])
        if after_blank and not line[0].isspace():
            self._commit_prose(events)
        marker = _list_marker(line)
        if marker is not None and (not self._lines or after_blank or self._can_interrupt(marker)):
            self._commit_prose(events)
            self.mode = "list"
            self._list_start = marker.number
            self._items = 0
            self._start_item(line, marker)
            return
        if len(self._lines) == 1 and _delimiter_row(line) and _table_header(self._lines[0]):
            self._table = (self._lines[0], line)
            self._lines = []
            self.mode = "table"
            events.append(TableStart(*self._table))
            return
        self._lines.append(line)

    def _can_interrupt(self, marker: _Marker) -> bool:
        """A list item may interrupt a paragraph when it is not empty and, if ordered, starts at 1."""
        return not marker.empty and (marker.kind not in ".)" or marker.number == 1)

    def _start_item(self, line: str, marker: _Marker) -> None:
        self._item = marker
        self._lines = [line]
        self.item_number = self._list_start + self._items if marker.kind in ".)" else 0

    def _list_line(self, line: str, events: list[Event]) -> bool:
        """Take a line of the open list; False when it ends the list (then it is read as prose)."""
        assert self._item is not None
        if _blank(line):
            self._lines.append(line)
            return True
        after_blank = _blank(self._lines[-1])
        marker = _list_marker(line)
        if marker is not None and _indent(line) < self._item.content:
            if marker.kind == self._item.kind:
                self._commit_item(events)
                self._start_item(line, marker)
                return True
            self._end_list(events)
            return False
        if open_fence(line) is not None:
            self._end_list(events)
            return False
        if _indent(line) >= self._item.content:
            self._lines.append(line)
            return True
        if not after_blank and not _starts_other_block(line):  # a lazy continuation of the item's paragraph
            self._lines.append(line)
            return True
        self._end_list(events)
        return False

    def _commit_item(self, events: list[Event]) -> None:
        events.append(ListItem("\n".join(self._lines).strip("\n"), self.item_number))
        self._items += 1
        self._lines = []

    def _end_list(self, events: list[Event]) -> None:
        self._commit_item(events)
        events.append(ListEnd())
        self._item = None
        self.mode = "prose"

    def _commit_prose(self, events: list[Event]) -> None:
        text = "\n".join(self._lines).strip("\n")
        self._lines = []
        if text.strip():
            events.append(ProseBlock(text))
