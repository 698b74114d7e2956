"""Renders one assistant message's Markdown into a QTextDocument, incrementally while it streams.

Closed blocks are inserted once; only the open block (the prose paragraph being written, or the partial line of a
code block) is removed and re-inserted on each update, so an update costs the same near the end of a long reply as
near its start. :meth:`MessageRenderer.finish` renders the whole message once more, as one piece, so that
constructs that span blocks (loose lists, reference links) come out right.

Model output is text, never live HTML: Markdown is parsed with raw HTML turned off (it shows as literal text),
code is inserted as plain text runs, and the browser showing the document refuses every resource load.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtGui import (QColor, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument,
                           QTextDocumentFragment, QTextFrameFormat, QTextTable)

from llmdesk.gui.chat.highlight import CodeHighlighter
from llmdesk.gui.chat.markdown_stream import CodeEnd, CodeLine, CodeStart, Event, MarkdownSplitter, ProseBlock

_F = QTextDocument.MarkdownFeature
MARKDOWN_FEATURES = QTextDocument.MarkdownFeature(_F.MarkdownDialectGitHub.value | _F.MarkdownNoHTML.value)
COPY_SCHEME = "llmdesk-copy"


_scratch: QTextDocument | None = None


def markdown_fragment(text: str) -> QTextDocument:
    """Parse Markdown (GitHub dialect, raw HTML shown as text) into a scratch document, reused from call to call
    (GUI thread only: creating and destroying a document per streamed update is a measurable share of its cost).
    """
    global _scratch
    if _scratch is None:
        _scratch = QTextDocument()
        _scratch.setUndoRedoEnabled(False)
    _scratch.setMarkdown(text, MARKDOWN_FEATURES)
    pad_tables(_scratch)
    return _scratch


TABLE_CELL_PADDING = 6  # px around each table cell's text
TABLE_BORDER = QColor(139, 148, 158, 110)  # a thin grey that reads on light and dark backgrounds


def pad_tables(document: QTextDocument) -> None:
    """Give the document's tables room: cell padding, collapsed thin borders (Qt's Markdown tables have none)."""
    for frame in document.rootFrame().childFrames():
        if isinstance(frame, QTextTable):
            fmt = frame.format()
            fmt.setCellPadding(TABLE_CELL_PADDING)
            fmt.setCellSpacing(0)
            fmt.setBorder(1)
            fmt.setBorderCollapse(True)
            fmt.setBorderBrush(TABLE_BORDER)
            fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
            frame.setFormat(fmt)


def insert_markdown(cursor: QTextCursor, text: str) -> None:
    """Insert Markdown at ``cursor``, which must be at the start of an empty block with default formats.

    ``QTextCursor.insertFragment`` merges the fragment's first block into the current one and drops its block
    format (a heading would lose its level); this puts the format back, or removes the empty block the fragment
    did not merge into (lists and tables start their own block).
    """
    doc = cursor.document()
    scratch = markdown_fragment(text)
    start = cursor.position()
    cursor.insertFragment(QTextDocumentFragment(scratch))
    first = doc.findBlock(start)
    scratch_first = scratch.begin()
    if first.text() == "" and scratch_first.text() != "":
        if first.next().isValid() and QTextCursor(first.next()).currentTable() is None:
            QTextCursor(first).deleteChar()
    else:
        QTextCursor(first).setBlockFormat(scratch_first.blockFormat())


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
        # Runs of prose between code blocks, as (start, end, paragraph texts), for the final render.
        self._segments: list[tuple[int, int, list[str]]] = []
        self._seg_start = 0
        self._seg_texts: list[str] = []

    # -- public ------------------------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The Markdown received so far."""
        if len(self._pieces) > 1:
            self._pieces[:] = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

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

        Streaming rendered each paragraph on its own; runs of paragraphs between code blocks are now rendered
        again as one piece (loose lists, reference links and the like come out right). Code blocks are already
        final. The runs are replaced in place from the last to the first, so the earlier positions stay valid and
        each step costs one run, not the whole message: the caller can spread the steps over event-loop turns.
        """
        for event in self._splitter.close():
            self._apply(event)
        self._close_segment(self._open_pos)
        yield None
        segments, self._segments = self._segments, []
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
        prose: list[str] = []
        events = self._splitter.feed(text) + self._splitter.close()
        for event in events:
            if isinstance(event, ProseBlock):
                prose.append(event.text)
                continue
            if prose:
                self._apply(ProseBlock("\n\n".join(prose)))
                prose = []
                yield None
            self._apply(event)
            if isinstance(event, CodeEnd):
                yield None
        if prose:
            self._apply(ProseBlock("\n\n".join(prose)))
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
        self._open_pos = 0
        self._in_code = False
        self._code_lines = []
        self._open_rendered = ""

    def _apply(self, event: Event) -> None:
        if isinstance(event, ProseBlock):
            self._seg_texts.append(event.text)
            self._replace_open_prose(event.text)
            self._new_block_after_prose()
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
        if len(self._seg_texts) > 1:
            self._segments.append((self._seg_start, end, self._seg_texts))
        self._seg_texts = []

    @staticmethod
    def _reset_block(cursor: QTextCursor) -> None:
        block = cursor.block()
        if block.textList() is not None:
            block.textList().remove(block)
        cursor.setBlockFormat(QTextBlockFormat())
        cursor.setBlockCharFormat(QTextCharFormat())
        cursor.setCharFormat(QTextCharFormat())

    def _replace_open_prose(self, text: str) -> None:
        if text == self._open_rendered:
            return
        cursor = self._clear_from(self._open_pos)
        self._reset_block(cursor)
        if text.strip():
            insert_markdown(cursor, text)
        self._open_rendered = text

    def _new_block_after_prose(self) -> None:
        cursor = self._cursor_at(0)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if self._open_rendered.strip():
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        self._open_pos = cursor.position()
        self._open_rendered = ""

    def _render_open(self) -> None:
        if self._splitter.in_code:
            self._replace_open_line(self._splitter.open_text)
        else:
            self._replace_open_prose(self._splitter.open_text.strip("\n"))

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
        link.setToolTip("Copy this code block")
        cursor.insertText("Copy code", link)
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
