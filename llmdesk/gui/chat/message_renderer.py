"""Renders one assistant message's Markdown into a QTextDocument, incrementally while it streams.

Closed blocks are inserted once; only the open part (the prose paragraph or list item being written, the partial
line of a code block, the partial row of a table) is removed and re-inserted on each update, so an update costs
the same near the end of a long reply as near its start, whatever kind of block it is in. Table rows are added to
the table as they complete; each list item is its own list (Qt re-lays out a whole list whenever an item joins it),
numbered as it would be in one list. :meth:`MessageRenderer.finish` renders runs of prose once more as one piece
where that can change the result (reference links) or is cheap (see :data:`FINAL_RENDER_MAX_CHARS`).

Model output is text, never live HTML: Markdown is parsed with raw HTML turned off (it shows as literal text),
code is inserted as plain text runs, and the browser showing the document refuses every resource load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument,
                           QTextLength, QTextListFormat,
                           QTextTable)

from llmdesk.core.markdown_blocks import (CodeEnd, CodeLine, CodeStart, Event, ListEnd, ListItem, MarkdownSplitter,
                                          ProseBlock, TableEnd, TableRow, TableStart)
from llmdesk.gui.chat.highlight import CodeHighlighter
from llmdesk.gui.chat.markdown_document import first_table, insert_markdown

COPY_SCHEME = "llmdesk-copy"
# The final render re-renders a run of prose streamed in several pieces as one piece when it is at most this long
# (cheap: a few milliseconds), or when it holds a link reference definition (the pieces alone render it wrong).
FINAL_RENDER_MAX_CHARS = 8000
TABLE_CHUNK_ROWS = 4  # a streamed table is built of tables of this many body rows (see _start_table)
TABLE_CHUNK_OVERLAP = 4.0  # pixels between two chunks that would not be there in one table
TABLE_WIDTHS_FIXED_AFTER = 64  # body rows after which a streamed table's column widths stop growing...
TABLE_WIDTH_HEADROOM = 0.15    # ...with this much room to spare
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:", re.MULTILINE)
_ORDERED = {QTextListFormat.Style.ListDecimal, QTextListFormat.Style.ListLowerAlpha,
            QTextListFormat.Style.ListUpperAlpha, QTextListFormat.Style.ListLowerRoman,
            QTextListFormat.Style.ListUpperRoman}


def prose_runs(events: Iterable[Event]) -> Iterator[str | Event]:
    """Group splitter events for rendering whole: each run of prose between code blocks becomes one Markdown
    string (tables and lists put back together); code events pass through."""
    parts: list[str] = []
    group: list[str] = []
    for event in events:
        if isinstance(event, ProseBlock):
            parts.append(event.text)
        elif isinstance(event, TableStart):
            group = [event.header, event.delimiter]
        elif isinstance(event, (TableRow, ListItem)):
            group.append(event.text)
        elif isinstance(event, (TableEnd, ListEnd)):
            parts.append("\n".join(group))
            group = []
        else:
            if parts:
                yield "\n\n".join(parts)
                parts = []
            yield event
    if parts:
        yield "\n\n".join(parts)


class MessageRenderer:
    """Owns the incremental rendering of one message into ``document``.

    Args:
        document: the (empty) document to render into.
        highlighter: colours for code blocks.
        link_color: colour of the "Copy" links on code blocks.
    """

    def __init__(self, document: QTextDocument, highlighter: CodeHighlighter, link_color: QColor) -> None:
        self.document = document
        document.setUndoRedoEnabled(False)  # an undo history would grow with every streamed piece
        self.highlighter = highlighter
        self.link_color = link_color
        self.code_blocks: list[str] = []
        # Highlighted code blocks, kept so that the final render does not colour them again.
        self._runs_cache: dict[tuple[str, str], list[tuple[str, QTextCharFormat]]] = {}
        self._final_runs: dict[tuple[str, str], list[tuple[str, QTextCharFormat]]] = {}
        self._splitter = MarkdownSplitter()
        self._pieces: list[str] = []
        self._open_pos = 0                   # where the open prose block starts
        self._in_code = False                # whether the open block is a code block
        self._code_start = 0                 # first code position inside the open frame
        self._line_pos = 0                   # where the open code line starts
        self._code_lines: list[str] = []
        self._language = ""
        self._open_rendered = ""
        # Runs of prose between code blocks, as (start, end, block sources), for the final render.
        self._segments: list[tuple[int, int, list[str]]] = []
        self._seg_start = 0
        self._seg_texts: list[str] = []
        self._seg_list = False               # the run holds a list (streamed as one list per item)
        self._group: list[str] = []          # the source of the open table or list
        self._table: QTextTable | None = None  # the open table chunk
        self._table_source = ""              # the open table's header and delimiter rows
        self._chunk_rows: list[str] = []     # complete rows of the open chunk
        self._chunks: list[QTextTable] = []  # the open table's complete chunks
        self._natural: list[float] = []      # the open table's column widths (widest text in each, pixels)
        self._widths_fixed = False           # the open table's columns no longer widen
        # Set when a column of the open table grew, which changed its earlier chunks (above stable_top()).
        self.widened = False

    # -- public ------------------------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The Markdown received so far."""
        if len(self._pieces) > 1:
            self._pieces[:] = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def stable_top(self) -> float | None:
        """The document y-coordinate above which the next :meth:`append` changes nothing (None: it may change
        anything), for limiting repaints; except when it sets :attr:`widened`."""
        pos = self._code_start if self._in_code else self._open_pos
        block = self.document.findBlock(max(0, pos - 1))  # (the block before may be merged)
        if not block.isValid():
            return None
        return self.document.documentLayout().blockBoundingRect(block).top()

    def append(self, piece: str) -> None:
        """Add streamed text: commits the blocks it closes and re-renders only the open block."""
        if not piece:
            return
        self._pieces.append(piece)
        for event in self._splitter.feed(piece):
            self._apply(event)
        self._render_open()

    def finish_steps(self) -> Iterator[None]:
        """The stream is over: render the message once more as a whole, in steps (one ``next()`` each).

        Streaming rendered each paragraph, list item and table row on its own; runs of prose between code blocks
        are now rendered again as one piece where that matters (a link reference definition) or is cheap (at most
        :data:`FINAL_RENDER_MAX_CHARS`); a long table or list is not parsed again. Code blocks are already final. The runs are replaced in place from the last to the first, so the earlier positions stay valid and
        each step costs one run, not the whole message: the caller can spread the steps over event-loop turns.
        """
        for event in self._splitter.close():
            self._apply(event)
        self._close_segment(self._open_pos)
        yield None
        segments, self._segments = self._segments, []
        segments = [seg for seg in segments if sum(len(t) for t in seg[2]) <= FINAL_RENDER_MAX_CHARS
                    or any(_REFERENCE_DEFINITION.search(t) for t in seg[2])]
        for start, end, texts in reversed(segments):
            cursor = self._cursor_at(start)
            cursor.setPosition(end - 1, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._reset_block(cursor)
            insert_markdown(cursor, "\n\n".join(texts))
            yield None
        self._trim_end()

    def finish(self) -> None:
        """:meth:`finish_steps` in one go."""
        for _ in self.finish_steps():
            pass

    def code_text(self, index: int) -> str:
        """The text of code block ``index`` (the open block's lines so far while it streams)."""
        if not 0 <= index < len(self.code_blocks):
            return ""
        if index == len(self.code_blocks) - 1 and self._in_code:
            return "\n".join([*self._code_lines, self._open_rendered]).rstrip("\n")
        return self.code_blocks[index]

    def set_text_steps(self, text: str) -> Iterator[None]:
        """:meth:`set_text` in steps (one ``next()`` renders about one block), for long messages; :attr:`text` is
        ``text`` at once."""
        self._pieces = [text] if text else []
        return self._set_text_steps(text)

    def set_text(self, text: str) -> None:
        """Replace the document's content with ``text`` rendered in full."""
        for _ in self._set_text_steps(text):
            pass

    def _set_text_steps(self, text: str) -> Iterator[None]:
        self._pieces = [text] if text else []
        self.code_blocks = []
        self._runs_cache, self._final_runs = self._final_runs, {}
        self.document.clear()
        self._splitter = MarkdownSplitter()
        self._reset_positions()
        for item in prose_runs(self._splitter.feed(text) + self._splitter.close()):
            if isinstance(item, str):
                self._apply(ProseBlock(item))
                yield None
                continue
            self._apply(item)
            if isinstance(item, CodeEnd):
                yield None
        self._trim_end()
        self._segments = []
        self._splitter = MarkdownSplitter()
        self._splitter.feed(text)

    def _trim_end(self) -> None:
        last = self.document.lastBlock()
        if not last.text() and last.previous().isValid() and last.textList() is None:
            QTextCursor(last).deletePreviousChar()  # no empty line under the message

    # -- internals ---------------------------------------------------------------------------------------------
    def _reset_positions(self) -> None:
        self._segments = []
        self._seg_start = 0
        self._seg_texts = []
        self._seg_list = False
        self._open_pos = 0
        self._in_code = False
        self._code_lines = []
        self._open_rendered = ""
        self._group = []
        self._table = None
        self._chunk_rows = []
        self._chunks = []
        self._natural = []

    def _apply(self, event: Event) -> None:
        if isinstance(event, ProseBlock):
            self._seg_texts.append(event.text)
            self._replace_open_prose(event.text)
            self._new_block_after_prose()
        elif isinstance(event, ListItem):
            self._group.append(event.text)
            self._replace_open_prose(event.text, event.number)
            self._new_block_after_prose()
        elif isinstance(event, ListEnd):
            self._seg_texts.append("\n".join(self._group))
            self._seg_list = True
            self._group = []
        elif isinstance(event, TableStart):
            self._start_table(event)
        elif isinstance(event, TableRow):
            self._add_table_row(event.text)
        elif isinstance(event, TableEnd):
            self._end_table()
        elif isinstance(event, CodeStart):
            self._replace_open_prose("")
            self._close_segment(self._open_pos)
            self._start_code(event.language)
        elif isinstance(event, CodeLine):
            self._replace_open_line("")
            self._code_lines.append(event.text)
            cursor = self._cursor_at(self._line_pos)
            self._insert_runs(cursor, self.highlighter.runs(event.text, self._language))
            cursor.insertBlock()
            self._line_pos = cursor.position()
        elif isinstance(event, CodeEnd):
            self._end_code()

    def _cursor_at(self, pos: int) -> QTextCursor:
        cursor = QTextCursor(self.document)
        cursor.setPosition(pos)
        return cursor

    def _clear_from(self, pos: int, end: int | None = None) -> QTextCursor:
        cursor = self._cursor_at(pos)
        if end is None:
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        else:
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        return cursor

    def _close_segment(self, end: int) -> None:
        """The run of prose that began at ``_seg_start`` ends before position ``end`` (where a code block starts,
        or the message ends); remember it for the final render if it was rendered in more than one piece."""
        if len(self._seg_texts) > 1 or self._seg_list:
            self._segments.append((self._seg_start, end, self._seg_texts))
        self._seg_texts = []
        self._seg_list = False

    @staticmethod
    def _reset_block(cursor: QTextCursor) -> None:
        block = cursor.block()
        if block.textList() is not None:
            block.textList().remove(block)
        cursor.setBlockFormat(QTextBlockFormat())
        cursor.setBlockCharFormat(QTextCharFormat())
        cursor.setCharFormat(QTextCharFormat())

    def _replace_open_prose(self, text: str, number: int = 0) -> None:
        if text == self._open_rendered:
            return
        cursor = self._clear_from(self._open_pos)
        self._reset_block(cursor)
        if text.strip():
            insert_markdown(cursor, text)
            if number:
                self._set_list_number(number)
        self._open_rendered = text

    def _set_list_number(self, number: int) -> None:
        """Number the open list item as its place in the list (it is rendered as a list of its own)."""
        text_list = self.document.findBlock(self._open_pos).textList()
        if text_list is not None and text_list.format().style() in _ORDERED and text_list.format().start() != number:
            fmt = text_list.format()
            fmt.setStart(number)
            text_list.setFormat(fmt)

    # Tables stream in chunks of TABLE_CHUNK_ROWS body rows, each its own QTextTable: Qt lays out (and paints) a
    # whole table again after any edit inside it, so one growing table would make each update cost grow with its
    # rows. The open chunk (its complete rows and the partial row) is rendered by Qt's Markdown reader like an open
    # paragraph; later chunks drop the header row and follow the previous one without a visible gap. All chunks
    # share fixed column widths: the widest cell seen so far in each column (measured with font metrics), as Qt
    # would size one table; when a column must grow, every chunk is updated, up to TABLE_WIDTHS_FIXED_AFTER rows;
    # then the widths get some headroom and stay (a wider cell wraps), so the cost stays flat.
    def _start_table(self, event: TableStart) -> None:
        self._replace_open_prose("")
        self._group = [event.header, event.delimiter]
        self._table_source = f"{event.header}\n{event.delimiter}\n"
        self._chunk_rows = []
        self._chunks = []
        self._natural = []
        self._widths_fixed = False
        self._open_rendered = ""
        self._render_chunk("")

    def _render_chunk(self, partial: str, *, final: bool = False) -> None:
        """Render the open chunk: its complete rows and ``partial`` (the row being written). ``final``: the chunk
        is complete (its rows widen the columns)."""
        text = self._table_source + "".join(row + "\n" for row in self._chunk_rows) + partial
        if self._chunks and not self._chunk_rows and not partial:
            text = ""  # a later chunk with no row yet: nothing to show
        if text == self._open_rendered and not final:
            return
        self._open_rendered = text
        cursor = self._clear_from(self._open_pos)
        self._reset_block(cursor)
        self._table = None
        if not text:
            return
        shown = True
        after_prose = bool(self._seg_texts) and self._open_pos > 0

        def prepare(scratch: QTextDocument) -> None:
            nonlocal shown
            table = first_table(scratch)
            if table is None:
                return
            if self._chunks:
                if table.rows() < 2:  # (the partial row was not read as a row)
                    shown = False
                    scratch.clear()
                    return
                table.removeRows(0, 1)  # the header shows once, in the first chunk
                fmt = table.format()
                fmt.setTopMargin(-TABLE_CHUNK_OVERLAP)  # its top border on the previous chunk's bottom border
                table.setFormat(fmt)
            if self._chunks or after_prose:
                # the empty block Qt keeps before a table: no height (after prose, Qt's reader has no such block;
                # it is removed once the first chunk is complete)
                gap = QTextBlockFormat()
                gap.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
                QTextCursor(scratch.begin()).setBlockFormat(gap)
            if (final and not self._widths_fixed) or not self._natural:
                self._widen(table, table.rows() if final else 1)
            self._set_widths(table)

        insert_markdown(cursor, text, prepare)
        if not shown:
            self._clear_from(self._open_pos)
            return
        self._table = self._table_at(self._open_pos)

    def _table_at(self, pos: int) -> QTextTable | None:
        """The table that starts in the block at ``pos`` or one of the next two (Qt may keep an empty block first)."""
        block = self.document.findBlock(pos)
        for _ in range(3):
            if not block.isValid():
                break
            table = QTextCursor(block).currentTable()
            if table is not None:
                return table
            block = block.next()
        return None

    def _widen(self, table: QTextTable, rows: int) -> bool:
        """Widen the shared column widths to fit the first ``rows`` rows of ``table`` (in the scratch document);
        True when a column grew."""
        base = self.document.defaultFont()
        grew = False
        for column in range(table.columns()):
            widest = 0.0
            for row in range(rows):
                cell = table.cellAt(row, column)
                block = cell.firstCursorPosition().block()
                end = cell.lastCursorPosition().position()
                while block.isValid() and block.position() <= end:
                    width, it = 0.0, block.begin()
                    while not it.atEnd():
                        fragment = it.fragment()
                        font = fragment.charFormat().font().resolve(base)
                        width += QFontMetricsF(font).horizontalAdvance(fragment.text())
                        it += 1
                    widest = max(widest, width)
                    block = block.next()
            if column >= len(self._natural):
                self._natural.append(widest)
                grew = True
            elif widest > self._natural[column] + 0.5:
                self._natural[column] = widest
                grew = True
        return grew

    def _set_widths(self, table: QTextTable) -> None:
        if not self._natural:
            return
        fmt = table.format()
        pad = 2 * (fmt.cellPadding() + fmt.border())
        widths = [w + pad for w in self._natural[:table.columns()]]
        page = self.document.textWidth()
        if page > 0 and sum(widths) > page:  # too wide: share the page as Qt would squeeze it
            percent = QTextLength.Type.PercentageLength
            fmt.setWidth(QTextLength(percent, 100.0))
            fmt.setColumnWidthConstraints([QTextLength(percent, w * 100.0 / sum(widths)) for w in widths])
        else:
            fmt.setWidth(QTextLength())
            fmt.setColumnWidthConstraints([QTextLength(QTextLength.Type.FixedLength, w) for w in widths])
        table.setFormat(fmt)

    def _add_table_row(self, text: str) -> None:
        self._group.append(text)
        self._chunk_rows.append(text)
        if len(self._chunk_rows) < TABLE_CHUNK_ROWS:
            return
        self._commit_chunk()

    def _commit_chunk(self) -> None:
        """The open chunk is complete: render it as final and put the columns of all chunks in line."""
        before = list(self._natural)
        self._render_chunk("", final=True)
        table = self._table
        if table is None:
            return
        if not self._chunks and self._seg_texts and self._open_pos > 0:
            # after other prose of the same run, Qt puts no empty block before a table (it keeps one at the start)
            QTextCursor(self.document.findBlock(self._open_pos)).deletePreviousChar()
        self._chunks.append(table)
        if self._natural != before and len(self._chunks) > 1:
            self._set_all_widths()
        self._chunk_rows = []
        if not self._widths_fixed and len(self._chunks) * TABLE_CHUNK_ROWS >= TABLE_WIDTHS_FIXED_AFTER:
            # From here on a wider cell wraps instead of widening every chunk (a cost that grows with the table).
            self._widths_fixed = True
            self._natural = [w * (1 + TABLE_WIDTH_HEADROOM) for w in self._natural]
            self._set_all_widths()
        cursor = self._cursor_at(table.lastPosition() + 1)
        self._reset_block(cursor)
        self._open_pos = cursor.position()
        self._open_rendered = ""

    def _set_all_widths(self) -> None:
        """Give every chunk of the open table the current column widths (they were narrower)."""
        self.widened = True
        cursor = QTextCursor(self.document)
        cursor.beginEditBlock()
        for chunk in self._chunks:
            self._set_widths(chunk)
        cursor.endEditBlock()

    def _end_table(self) -> None:
        if self._chunk_rows or not self._chunks:
            self._commit_chunk()
        self._seg_texts.append("\n".join(self._group))
        if len(self._chunks) > 1:
            self._seg_list = True  # in chunks: one table again in the final render (when not too long)
        self._group = []
        table = self._chunks[-1] if self._chunks else None
        self._table = None
        self._chunks = []
        if table is None:  # not read as a table after all: it was rendered as text
            self._new_block_after_prose()
            return
        cursor = self._cursor_at(table.lastPosition() + 1)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._reset_block(cursor)
        cursor.insertBlock()  # Qt's reader leaves an empty block after a table
        self._open_pos = cursor.position()
        self._open_rendered = ""

    def _last_table(self) -> QTextTable | None:
        tables = [f for f in self.document.rootFrame().childFrames() if isinstance(f, QTextTable)]
        return tables[-1] if tables else None

    def _new_block_after_prose(self) -> None:
        cursor = self._cursor_at(0)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if self._open_rendered.strip():
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        self._open_pos = cursor.position()
        self._open_rendered = ""

    def _render_open(self) -> None:
        mode = self._splitter.mode
        if mode == "code":
            self._replace_open_line(self._splitter.open_text)
        elif mode == "table":
            self._render_chunk(self._splitter.open_text)
        else:
            self._replace_open_prose(self._splitter.open_text.strip("\n"),
                                     self._splitter.item_number if mode == "list" else 0)

    # code blocks: a caption line ("python   Copy code") and one block per code line, on a tinted background.
    # (Blocks rather than a QTextFrame: every frame adds work to each later layout and paint pass.)
    def _code_block_format(self, *, first: bool = False, last: bool = False) -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setBackground(self.highlighter.background)
        fmt.setLeftMargin(2)
        fmt.setRightMargin(2)
        fmt.setTopMargin(6 if first else 0)
        fmt.setBottomMargin(8 if last else 0)
        fmt.setNonBreakableLines(False)
        return fmt

    def _start_code(self, language: str) -> None:
        self._language = language
        self._in_code = True
        index = len(self.code_blocks)
        self.code_blocks.append("")
        cursor = self._cursor_at(self._open_pos)
        cursor.setBlockFormat(self._code_block_format(first=True))
        label = QTextCharFormat()
        label.setForeground(QColor("#8b949e"))
        label.setFontPointSize(max(7.0, QFont().pointSizeF() * 0.85))
        cursor.insertText(f" {language or 'code'}   ", label)
        link = QTextCharFormat(label)
        link.setAnchor(True)
        link.setAnchorHref(f"{COPY_SCHEME}:{index}")
        # drawn as a small button (a tinted chip, like the message actions), not an underlined link
        link.setForeground(self.link_color)
        chip = QColor(self.link_color)
        chip.setAlpha(38)
        link.setBackground(chip)
        link.setFontUnderline(False)
        link.setFontWeight(QFont.Weight.DemiBold)
        link.setToolTip(QCoreApplication.translate("MessageRenderer", "Copy this code block"))
        cursor.insertText(QCoreApplication.translate("MessageRenderer", "Copy code"), link)
        cursor.insertBlock(self._code_block_format(), self.highlighter.base)
        self._code_start = cursor.position()
        self._line_pos = self._code_start
        self._code_lines = []
        self._open_rendered = ""

    def _replace_open_line(self, text: str) -> None:
        if not self._in_code or text == self._open_rendered:
            return
        cursor = self._clear_from(self._line_pos)
        if text:
            self._insert_runs(cursor, self.highlighter.runs(text, self._language))
        self._open_rendered = text

    def _insert_runs(self, cursor: QTextCursor, runs: list[tuple[str, QTextCharFormat]]) -> None:
        for value, fmt in runs:
            parts = value.split("\n")
            for i, part in enumerate(parts):
                if i:
                    cursor.insertBlock()
                if part:
                    cursor.insertText(part, fmt)

    def _end_code(self) -> None:
        if not self._in_code:
            return
        self._replace_open_line("")
        code = "\n".join(self._code_lines)
        self.code_blocks[-1] = code
        # Colour the whole block once more as one piece (multi-line strings and comments come out right).
        cursor = self._clear_from(self._code_start)
        key = (self._language, code)
        runs = self._runs_cache.get(key) or self.highlighter.runs(code, self._language)
        self._insert_runs(cursor, runs)
        self._final_runs[key] = runs
        cursor.setBlockFormat(self._code_block_format(last=True))
        self._in_code = False
        self._code_lines = []
        self._open_rendered = ""
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        self._open_pos = cursor.position()
        self._seg_start = self._open_pos
