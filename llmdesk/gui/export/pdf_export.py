"""PDF export through Qt's own PDF writer: the export outline laid out as QTextDocuments, painted on a QPdfWriter.

Real text (selectable and searchable), not a screenshot: A4 pages with page numbers, each message starting on a new
page under its role heading (optional). Replies are rendered from the outline as in the chat: headings, lists,
tables, quotes, code blocks in a monospace font on a shaded background with their language above, links as text
followed by their address. The user's text is inserted as plain text exactly as typed, never parsed. The PDF is
made in memory, then written atomically. The writer registers itself for ``pdf`` in
:mod:`llmdesk.core.export.registry`.

Each message (or, without page breaks, each run of messages) is laid out as its own QTextDocument and painted onto
the pages of one PDF. One document for everything would not do: Qt lays text out in 26.6 fixed-point numbers, and
a single document silently stops after about 33 million device pixels (a few thousand pages). A message too long
for one document is split at line ends and continues on the next page.

The text layer (what copying or searching the PDF gives) is checked and corrected by
:mod:`llmdesk.gui.export.pdf_text_layer`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextLength,
    QTextList,
    QTextListFormat,
    QTextTableFormat,
)

from llmdesk import APP_NAME, __version__
from llmdesk.core.conversation import Conversation
from llmdesk.core.export.common import ExportError
from llmdesk.core.export.outline import (
    Block,
    CodeBlock,
    ConversationOutline,
    Heading,
    Inline,
    ListBlock,
    MessageOutline,
    Outline,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
    Verbatim,
    build_outline,
)
from llmdesk.core.export.registry import ExportOptions, Rendered, Writer, register
from llmdesk.gui.export.pdf_text_layer import TextLayer, coverage_warnings, fix_text_layer

ROLE_COLORS = {"system": "#8a6d1f", "user": "#2f5fb8", "assistant": "#2e7d4f"}
MUTED = "#667085"
CODE_BACKGROUND = "#f0f2f5"
QUOTE_BACKGROUND = "#f3f4f6"
QUOTE_TEXT = "#475467"
TABLE_BORDER = "#c9ced6"
TABLE_HEAD_BACKGROUND = "#eef1f5"
LINE_SEPARATOR = "\u2028"  # a line break inside one block: a code block stays one shaded block
RESOLUTION = 300  # device pixels per inch of the PDF's coordinate system (text stays vector)
MARGINS_MM = QMarginsF(18, 16, 18, 12)
FOOTER_PT = 20
INDENT_PT = 14  # one level of list or quote indentation
MAX_DOCUMENT_CHARS = 200_000  # about 60 pages: far below Qt's layout limit
RUN_ON_MESSAGES = 100  # without page breaks: messages per document
HEADING_SIZES = {1: 15.0, 2: 13.5, 3: 12.0, 4: 11.0, 5: 10.5, 6: 10.5}
_app: QGuiApplication | None = None


def ensure_gui_application() -> None:
    """Make sure a QGuiApplication exists (fonts need one); the command line gets an off-screen one."""
    global _app
    if QGuiApplication.instance() is not None:
        return
    if not os.environ.get("QT_QPA_PLATFORM") and not (os.environ.get("DISPLAY") or
                                                      os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    _app = QGuiApplication([APP_NAME])


def _no_ligatures(font: QFont) -> None:
    """Turn off ligatures, so text copied or searched in the PDF reads "ff", not "\\ufb00"."""
    if hasattr(font, "setFeature"):  # Qt 6.7+
        for tag in ("liga", "clig", "dlig"):
            font.setFeature(QFont.Tag(tag), 0)


def _clean(text: str) -> str:
    # Qt turns "\n" into a new block; inside a block we want line separators. \r and NUL would show as boxes.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\n", LINE_SEPARATOR)


def _pieces(text: str, limit: int) -> Iterator[str]:
    """``text`` cut at line ends into pieces of at most about ``limit`` characters."""
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = limit if cut <= 0 else cut + 1
        yield text[:cut]
        text = text[cut:]
    yield text


class PdfStyles:
    """Fonts and colours of the PDF (sizes in points)."""

    def __init__(self) -> None:
        self.base = QFont()
        self.base.setFamilies(["DejaVu Sans", "Noto Sans", "Helvetica", "Arial", "sans-serif"])
        self.base.setPointSizeF(10.5)
        _no_ligatures(self.base)

        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.mono.setFamilies(["DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "Courier New", "monospace"])
        self.mono.setStyleHint(QFont.StyleHint.Monospace)
        self.mono.setFixedPitch(True)
        self.mono.setPointSizeF(9)
        _no_ligatures(self.mono)

        self.text = QTextCharFormat()
        self.text.setFont(self.base)
        self.code = QTextCharFormat()
        self.code.setFont(self.mono)
        self.quote = QTextCharFormat(self.text)
        self.quote.setForeground(QColor(QUOTE_TEXT))
        self.muted = self._sized(8.5)
        self.muted.setForeground(QColor(MUTED))
        self.title = self._sized(17, bold=True)
        self.headings = {level: self._sized(size, bold=True) for level, size in HEADING_SIZES.items()}
        self.heading = self.headings[3]
        self.roles: dict[str, QTextCharFormat] = {}
        for role in ("system", "user", "assistant"):
            fmt = self._sized(11.5, bold=True)
            fmt.setForeground(QColor(ROLE_COLORS[role]))
            self.roles[role] = fmt

    def _sized(self, size: float, *, bold: bool = False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        font = QFont(self.base)
        font.setPointSizeF(size)
        font.setBold(bold)
        fmt.setFont(font)
        return fmt

    def span(self, span: Span, base: QTextCharFormat) -> QTextCharFormat:
        """The format of an inline run on top of ``base``."""
        fmt = QTextCharFormat(base)
        if span.code:
            font = QFont(self.mono)
            font.setPointSizeF(max(6.0, base.font().pointSizeF() * 0.88))
            font.setBold(base.font().bold())
            fmt.setFont(font)
            fmt.setBackground(QColor(CODE_BACKGROUND))
        if span.bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        if span.italic or span.image:
            fmt.setFontItalic(True)
        if span.strike:
            fmt.setFontStrikeOut(True)
        return fmt


# ---------------------------------------------------------------------------------------------------------------
# Pages and documents
# ---------------------------------------------------------------------------------------------------------------


class PdfPages:
    """Paints laid-out documents onto the pages of a QPdfWriter; each document starts on a new page.

    Args:
        writer: the PDF writer (its page size, margins and resolution already set).
        layer: where to record what each document drew (for the text layer), or None.
    """

    def __init__(self, writer: QPdfWriter, layer: TextLayer | None = None) -> None:
        self.writer = writer
        self.layer = layer
        self.painter = QPainter()
        if not self.painter.begin(writer):
            raise ExportError("Qt could not start the PDF")
        self.pages = 0
        self.width = float(writer.width())
        self.footer = FOOTER_PT * writer.resolution() / 72
        self.body_height = float(writer.height()) - self.footer
        self.footer_font = QFont()
        self.footer_font.setPointSizeF(8.5)

    def new_document(self, styles: PdfStyles) -> QTextDocument:
        """An empty document laid out for these pages."""
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(self.writer)
        doc.setDocumentMargin(0)
        doc.setDefaultFont(styles.base)
        doc.setPageSize(QSizeF(self.width, self.body_height))
        return doc

    def add(self, doc: QTextDocument) -> None:
        """Paint every page of ``doc``, starting on a new page."""
        for page in range(doc.pageCount()):
            if self.pages and not self.writer.newPage():
                raise ExportError("Qt could not add a page to the PDF")
            self.pages += 1
            top = page * self.body_height
            self.painter.save()
            self.painter.translate(0, -top)
            doc.drawContents(self.painter, QRectF(0, top, self.width, self.body_height))
            self.painter.restore()
            self.painter.save()
            self.painter.setFont(self.footer_font)
            self.painter.setPen(QColor(MUTED))
            self.painter.drawText(QRectF(0, self.body_height, self.width, self.footer),
                                  int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), str(self.pages))
            self.painter.restore()
        if self.layer is not None:
            self.layer.add_document(doc)

    def finish(self) -> None:
        self.painter.end()


@dataclass
class _Context:
    """Where a block goes: its indentation (points), quote shading, and the list it belongs to."""

    indent: float = 0
    quote: bool = False


class PdfDocumentBuilder:
    """Turns an export outline into documents for :class:`PdfPages`.

    Args:
        pages: where the documents go.
        page_break_between_messages: start every message on a new page (the default); when False only each
            conversation (and every ``RUN_ON_MESSAGES`` messages) starts on a new page.
    """

    def __init__(self, pages: PdfPages, *, page_break_between_messages: bool = True) -> None:
        self.pages = pages
        self.page_break_between_messages = page_break_between_messages
        self.styles = PdfStyles()
        self.px = pages.writer.resolution() / 72  # block margins are given in points
        self.doc: QTextDocument | None = None
        self.cursor: QTextCursor | None = None
        self._empty_block = True  # the cursor's block is empty and unused: the next block goes into it
        self._chars = 0
        self._generation = 0  # counts documents, so a list knows when it was left behind in an earlier one

    # -- documents ------------------------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self.doc is not None and self._chars:
            self.pages.add(self.doc)
        self.doc = None
        self.cursor = None

    def _start(self) -> None:
        """Start a new page (a new document)."""
        self._flush()
        self.doc = self.pages.new_document(self.styles)
        self.cursor = QTextCursor(self.doc)
        self._empty_block = True
        self._chars = 0
        self._generation += 1

    def finish(self) -> None:
        self._flush()

    def _new_block(self, size: int, char_format: QTextCharFormat, *, top: float = 0, bottom: float = 4,
                   background: str | None = None, indent: float = 0, right: float = 0,
                   align: Qt.AlignmentFlag | None = None) -> QTextCursor:
        """Open a block for about ``size`` characters (starting a new document when this one is full)."""
        if self.doc is None or (self._chars + size > MAX_DOCUMENT_CHARS and self._chars):
            self._start()
        assert self.cursor is not None
        fmt = QTextBlockFormat()
        fmt.setTopMargin(top * self.px)
        fmt.setBottomMargin(bottom * self.px)
        if indent:
            fmt.setLeftMargin(indent * self.px)
        if right:
            fmt.setRightMargin(right * self.px)
        if background:
            fmt.setBackground(QColor(background))
        if align is not None:
            fmt.setAlignment(align)
        if self._empty_block:
            self.cursor.setBlockFormat(fmt)
            self.cursor.setBlockCharFormat(char_format)
            self._empty_block = False
        else:
            self.cursor.insertBlock(fmt, char_format)
        self._chars += size + 1
        return self.cursor

    def _block(self, text: str, char_format: QTextCharFormat, **kw: object) -> None:
        cursor = self._new_block(len(text), char_format, **kw)  # type: ignore[arg-type]
        cursor.insertText(text, char_format)

    def _spans(self, cursor: QTextCursor, spans: Inline, base: QTextCharFormat) -> None:
        for k, span in enumerate(spans):
            fmt = self.styles.span(span, base)
            text = _clean(span.text)
            if span.image:
                text = f"[image: {text}]" if text else "[image]"
            cursor.insertText(text, fmt)
            last_of_link = k + 1 == len(spans) or spans[k + 1].href != span.href or spans[k + 1].image or span.image
            if span.href is not None and last_of_link and (span.href != span.text or span.image):
                muted = QTextCharFormat(base)
                muted.setForeground(QColor(MUTED))
                cursor.insertText(f" ({_clean(span.href)})", muted)

    # -- content --------------------------------------------------------------------------------------------------
    def add_outline(self, outline: Outline) -> None:
        for conversation in outline.conversations:
            self.add_conversation(conversation)

    def add_conversation(self, conversation: ConversationOutline) -> None:
        self._start()
        self._block(conversation.title, self.styles.title, bottom=2)
        dates = f"Started {conversation.started}" if conversation.started else ""
        if conversation.updated and conversation.updated != conversation.started:
            dates += f" · updated {conversation.updated}"
        self._block(dates, self.styles.muted, bottom=10)
        if not conversation.messages:
            self._block("No messages.", self.styles.muted)
        for k, msg in enumerate(conversation.messages):
            if k and (self.page_break_between_messages or k % RUN_ON_MESSAGES == 0):
                self._start()
            self.add_message(msg, first=self._empty_block)

    def add_message(self, msg: MessageOutline, *, first: bool = False) -> None:
        self._block(msg.label, self.styles.roles.get(msg.role, self.styles.text), top=0 if first else 12, bottom=1)
        if msg.note:
            self._block(msg.note, self.styles.muted, bottom=4)
        if msg.reasoning:  # a marked, quoted section before the answer
            self._block("Reasoning", self.styles.muted, top=2, bottom=2, background=QUOTE_BACKGROUND)
            quoted = _Context(INDENT_PT * 0.6, quote=True)
            for block in msg.reasoning_blocks:
                self.add_block(block, quoted)
            self._block("Answer", self.styles.muted, top=4, bottom=2)
        for block in msg.blocks:
            self.add_block(block, _Context())

    def add_block(self, block: Block, ctx: _Context) -> None:
        background = QUOTE_BACKGROUND if ctx.quote else None
        base = self.styles.quote if ctx.quote else self.styles.text
        if isinstance(block, Paragraph):
            cursor = self._new_block(sum(len(s.text) for s in block.spans), base, bottom=5,
                                     indent=ctx.indent, background=background)
            self._spans(cursor, block.spans, base)
        elif isinstance(block, Heading):
            fmt = self.styles.headings.get(block.level, self.styles.heading)
            cursor = self._new_block(sum(len(s.text) for s in block.spans), fmt, top=5, bottom=3,
                                     indent=ctx.indent, background=background)
            self._spans(cursor, block.spans, fmt)
        elif isinstance(block, Verbatim):
            for piece in _pieces(block.text.strip("\n"), MAX_DOCUMENT_CHARS // 2):
                self._block(_clean(piece.rstrip("\n")), base, bottom=5, indent=ctx.indent,
                            background=background)
        elif isinstance(block, CodeBlock):
            if block.language:
                self._block(block.language, self.styles.muted, top=4, bottom=0, indent=ctx.indent + 2)
            for piece in _pieces(block.code.removesuffix("\n"), MAX_DOCUMENT_CHARS // 2):
                self._block(_clean(piece.rstrip("\n")), self.styles.code, background=CODE_BACKGROUND,
                            indent=ctx.indent + 2, right=2, bottom=6)
        elif isinstance(block, ListBlock):
            self._list(block, ctx)
        elif isinstance(block, Quote):
            inner = _Context(ctx.indent + INDENT_PT * 0.6, quote=True)
            for child in block.blocks:
                self.add_block(child, inner)
        elif isinstance(block, Table):
            self._table(block, ctx)
        elif isinstance(block, Rule):
            cursor = self._new_block(0, self.styles.text, top=4, bottom=4, indent=ctx.indent)
            rule = cursor.blockFormat()
            rule.setProperty(QTextFormat.Property.BlockTrailingHorizontalRulerWidth,
                             QTextLength(QTextLength.Type.PercentageLength, 100))
            cursor.setBlockFormat(rule)

    def _list(self, block: ListBlock, ctx: _Context) -> None:
        style = QTextListFormat.Style.ListDecimal if block.ordered else (
            QTextListFormat.Style.ListDisc, QTextListFormat.Style.ListCircle,
            QTextListFormat.Style.ListSquare)[int(ctx.indent // INDENT_PT) % 3]
        text_list: QTextList | None = None
        generation = -1
        item_indent = ctx.indent + INDENT_PT * 1.6
        for k, item in enumerate(block.items):
            first, rest = (item[0], item[1:]) if item and isinstance(item[0], Paragraph) else (None, item)
            spans = first.spans if isinstance(first, Paragraph) else ()
            last = k + 1 == len(block.items) and not rest
            base = self.styles.quote if ctx.quote else self.styles.text
            cursor = self._new_block(sum(len(s.text) for s in spans), base,
                                     bottom=5 if last else 1 if block.tight else 4, indent=0,
                                     background=QUOTE_BACKGROUND if ctx.quote else None)
            if text_list is None or generation != self._generation:
                fmt = QTextListFormat()
                fmt.setStyle(style)
                fmt.setIndent(1)
                if block.ordered:
                    fmt.setStart(block.start + k)
                text_list = cursor.createList(fmt)
                generation = self._generation
                margin = cursor.blockFormat()
                margin.setLeftMargin(ctx.indent * self.px)
                cursor.setBlockFormat(margin)
            else:
                text_list.add(cursor.block())
                margin = cursor.blockFormat()
                margin.setLeftMargin(ctx.indent * self.px)
                cursor.setBlockFormat(margin)
            self._spans(cursor, spans, base)
            for child in rest:
                self.add_block(child, _Context(item_indent, ctx.quote))

    def _table(self, block: Table, ctx: _Context) -> None:
        columns = max([len(block.header)] + [len(r) for r in block.rows]) if (block.header or block.rows) else 0
        if not columns:
            return
        size = sum(len(s.text) for row in (block.header, *block.rows) for cell in row for s in cell)
        cursor = self._new_block(size + columns * (len(block.rows) + 1), self.styles.text, bottom=0,
                                 indent=ctx.indent)
        fmt = QTextTableFormat()
        fmt.setBorder(0.75 * self.px)
        fmt.setBorderBrush(QColor(TABLE_BORDER))
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        fmt.setBorderCollapse(True)
        fmt.setCellPadding(2 * self.px)
        fmt.setCellSpacing(0)
        fmt.setHeaderRowCount(1 if block.header else 0)
        fmt.setLeftMargin(ctx.indent * self.px)
        fmt.setTopMargin(3 * self.px)
        fmt.setBottomMargin(6 * self.px)
        rows = ([block.header] if block.header else []) + list(block.rows)
        table = cursor.insertTable(len(rows), columns, fmt)
        aligns = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter,
                  "right": Qt.AlignmentFlag.AlignRight}
        for r, row in enumerate(rows):
            head = bool(block.header) and r == 0
            base = QTextCharFormat(self.styles.text)
            if head:
                base.setFontWeight(QFont.Weight.Bold)
            for c in range(columns):
                cell = table.cellAt(r, c)
                if head:
                    cell_format = cell.format()
                    cell_format.setBackground(QColor(TABLE_HEAD_BACKGROUND))
                    cell.setFormat(cell_format)
                cell_cursor = cell.firstCursorPosition()
                align = aligns.get(block.align[c] if c < len(block.align) else "")
                if align is not None:
                    block_format = cell_cursor.blockFormat()
                    block_format.setAlignment(align)
                    cell_cursor.setBlockFormat(block_format)
                if c < len(row):
                    self._spans(cell_cursor, row[c], base)
        assert self.cursor is not None
        self.cursor.movePosition(QTextCursor.MoveOperation.End)
        self._empty_block = True  # the empty block Qt leaves after a table takes the next block


def render_pdf(outline: Outline, *, page_break_between_messages: bool = True) -> Rendered:
    """The PDF of an export outline, with warnings for characters no installed font covers.

    Raises:
        ExportError: Qt could not make the PDF.
    """
    ensure_gui_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     MARGINS_MM, QPageLayout.Unit.Millimeter))
    writer.setTitle(outline.title)
    writer.setCreator(f"{APP_NAME} {__version__}")
    layer = TextLayer()
    pages = PdfPages(writer, layer)
    try:
        builder = PdfDocumentBuilder(pages, page_break_between_messages=page_break_between_messages)
        builder.add_outline(outline)
        builder.finish()
    finally:
        pages.finish()
    del writer  # finishes the file
    buffer.close()
    pdf = bytes(data.data())
    if not pdf.startswith(b"%PDF"):
        raise ExportError("Qt could not make the PDF")
    return Rendered(fix_text_layer(pdf, layer), tuple(coverage_warnings(layer.uncovered())))


def _render(conversations: Sequence[Conversation], options: ExportOptions) -> Rendered:
    return render_pdf(build_outline(conversations), page_break_between_messages=options.page_break_between_messages)


register(Writer("pdf", _render, text=False))
