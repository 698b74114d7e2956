"""PDF export through Qt's own PDF writer: QTextDocuments built block by block, painted page by page on a QPdfWriter.

Real text (selectable and searchable), not a screenshot: A4 pages with page numbers, each message starting on a new
page under its role heading (optional), code blocks in a monospace font on a shaded background with their language
above. Message text is inserted as plain text, never parsed as HTML. The PDF is made in memory, then written
atomically.

Each message (or, without page breaks, each run of messages) is laid out as its own QTextDocument and painted onto
the pages of one PDF. One document for everything would not do: Qt lays text out in 26.6 fixed-point numbers, and
a single document silently stops after about 33 million device pixels (a few thousand pages). A message too long
for one document is split at line ends and continues on the next page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

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
)

from llmdesk import APP_NAME, __version__
from llmdesk.core.atomic import atomic_write_bytes
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import (
    ROLE_LABELS,
    CodeBlock,
    ExportError,
    format_timestamp,
    message_note,
    shown_path,
    split_markdown,
    text_parts,
)

ROLE_COLORS = {"system": "#8a6d1f", "user": "#2f5fb8", "assistant": "#2e7d4f"}
MUTED = "#667085"
CODE_BACKGROUND = "#f0f2f5"
LINE_SEPARATOR = "\u2028"  # a line break inside one block: a code block stays one shaded block
RESOLUTION = 300  # device pixels per inch of the PDF's coordinate system (text stays vector)
MARGINS_MM = QMarginsF(18, 16, 18, 12)
FOOTER_PT = 20
MAX_DOCUMENT_CHARS = 200_000  # about 60 pages: far below Qt's layout limit
RUN_ON_MESSAGES = 100  # without page breaks: messages per document
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

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setFamilies(["DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "Courier New", "monospace"])
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setFixedPitch(True)
        mono.setPointSizeF(9)
        _no_ligatures(mono)

        self.text = QTextCharFormat()
        self.text.setFont(self.base)
        self.code = QTextCharFormat()
        self.code.setFont(mono)
        self.muted = QTextCharFormat()
        small = QFont(self.base)
        small.setPointSizeF(8.5)
        self.muted.setFont(small)
        self.muted.setForeground(QColor(MUTED))
        self.title = QTextCharFormat()
        title = QFont(self.base)
        title.setPointSizeF(17)
        title.setBold(True)
        self.title.setFont(title)
        self.heading = QTextCharFormat()
        heading = QFont(self.base)
        heading.setBold(True)
        heading.setPointSizeF(11.5)
        self.heading.setFont(heading)
        self.roles: dict[str, QTextCharFormat] = {}
        for role in ("system", "user", "assistant"):
            fmt = QTextCharFormat()
            font = QFont(self.base)
            font.setBold(True)
            font.setPointSizeF(11.5)
            fmt.setFont(font)
            fmt.setForeground(QColor(ROLE_COLORS[role]))
            self.roles[role] = fmt


class PdfPages:
    """Paints laid-out documents onto the pages of a QPdfWriter; each document starts on a new page.

    Args:
        writer: the PDF writer (its page size, margins and resolution already set).
    """

    def __init__(self, writer: QPdfWriter) -> None:
        self.writer = writer
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

    def finish(self) -> None:
        self.painter.end()


class PdfDocumentBuilder:
    """Turns conversations into documents for :class:`PdfPages`.

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
        self._first_block = True
        self._chars = 0

    # -- documents ------------------------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self.doc is not None and not self._first_block:
            self.pages.add(self.doc)
        self.doc = None
        self.cursor = None

    def _start(self) -> None:
        """Start a new page (a new document)."""
        self._flush()
        self.doc = self.pages.new_document(self.styles)
        self.cursor = QTextCursor(self.doc)
        self._first_block = True
        self._chars = 0

    def finish(self) -> None:
        self._flush()

    def _block(self, text: str, char_format: QTextCharFormat, *, top: float = 0, bottom: float = 4,
               background: str | None = None, indent: float = 0) -> None:
        if self.doc is None or (self._chars + len(text) > MAX_DOCUMENT_CHARS and not self._first_block):
            self._start()
        assert self.cursor is not None
        fmt = QTextBlockFormat()
        fmt.setTopMargin(top * self.px)
        fmt.setBottomMargin(bottom * self.px)
        if indent:
            fmt.setLeftMargin(indent * self.px)
            fmt.setRightMargin(indent * self.px)
        if background:
            fmt.setBackground(QColor(background))
        if self._first_block:
            self.cursor.setBlockFormat(fmt)
            self.cursor.setBlockCharFormat(char_format)
            self._first_block = False
        else:
            self.cursor.insertBlock(fmt, char_format)
        self.cursor.insertText(text, char_format)
        self._chars += len(text) + 1

    # -- content --------------------------------------------------------------------------------------------------
    def add_conversation(self, conversation: Conversation) -> None:
        self._start()
        self._block(" ".join((conversation.title or "Untitled").split()), self.styles.title, bottom=2)
        started = format_timestamp(conversation.created_at)
        self._block(f"Started {started}" if started else "", self.styles.muted, bottom=10)
        messages = shown_path(conversation)
        if not messages:
            self._block("No messages.", self.styles.muted)
        for k, msg in enumerate(messages):
            if k and (self.page_break_between_messages or k % RUN_ON_MESSAGES == 0):
                self._start()
            self.add_message(msg, first=self._first_block)

    def add_message(self, msg: Message, *, first: bool = False) -> None:
        self._block(ROLE_LABELS.get(msg.role, msg.role), self.styles.roles.get(msg.role, self.styles.text),
                    top=0 if first else 12, bottom=1)
        note = message_note(msg)
        if note:
            self._block(note, self.styles.muted, bottom=4)
        for block in split_markdown(msg.content):
            if isinstance(block, CodeBlock):
                if block.language:
                    self._block(block.language, self.styles.muted, top=4, bottom=0, indent=2)
                code = block.code.removesuffix("\n")
                for piece in _pieces(code, MAX_DOCUMENT_CHARS // 2):
                    self._block(_clean(piece.rstrip("\n")), self.styles.code, background=CODE_BACKGROUND,
                                indent=2, bottom=6)
            else:
                for kind, text in text_parts(block.text):
                    if kind == "heading":
                        self._block(_clean(text), self.styles.heading, top=4, bottom=3)
                        continue
                    for piece in _pieces(text.strip("\n"), MAX_DOCUMENT_CHARS // 2):
                        self._block(_clean(piece.rstrip("\n")), self.styles.text, bottom=5)


def to_pdf_bytes(conversations: Sequence[Conversation], *, page_break_between_messages: bool = True) -> bytes:
    """The PDF of the shown path of each conversation, as bytes.

    Raises:
        ExportError: no conversations, or Qt could not make the PDF.
    """
    if not conversations:
        raise ExportError("nothing to export: no conversations were chosen")
    ensure_gui_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     MARGINS_MM, QPageLayout.Unit.Millimeter))
    writer.setTitle(conversations[0].title if len(conversations) == 1 else f"{len(conversations)} conversations")
    writer.setCreator(f"{APP_NAME} {__version__}")
    pages = PdfPages(writer)
    try:
        builder = PdfDocumentBuilder(pages, page_break_between_messages=page_break_between_messages)
        for conv in conversations:
            builder.add_conversation(conv)
        builder.finish()
    finally:
        pages.finish()
    del writer  # finishes the file
    buffer.close()
    pdf = bytes(data.data())
    if not pdf.startswith(b"%PDF"):
        raise ExportError("Qt could not make the PDF")
    return pdf


def write_pdf(conversations: Sequence[Conversation], path: str | os.PathLike[str], *,
              page_break_between_messages: bool = True) -> None:
    """Write the PDF atomically: ``path`` is either the whole PDF or left as it was.

    Raises:
        ExportError: see :func:`to_pdf_bytes`.
        llmdesk.core.atomic.WriteError: the folder is unwritable, the disk is full...; no partial file is left.
    """
    atomic_write_bytes(path, to_pdf_bytes(conversations, page_break_between_messages=page_break_between_messages))
