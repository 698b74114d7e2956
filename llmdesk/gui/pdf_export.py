"""PDF export through Qt's own PDF writer: a QTextDocument built block by block, printed to a QPdfWriter.

Real text (selectable and searchable), not a screenshot: A4 pages with page numbers, each message starting on a new
page under its role heading, code blocks in a monospace font on a shaded background with their language above.
Message text is inserted as plain text, never parsed as HTML. The PDF is made in memory and written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from llmdesk import APP_NAME, __version__
from llmdesk.core.atomic import atomic_write_bytes
from llmdesk.core.conversation import Conversation
from llmdesk.core.export import ROLE_LABELS, CodeBlock, ExportError, message_note, shown_path, split_markdown

ROLE_COLORS = {"system": "#8a6d1f", "user": "#2f5fb8", "assistant": "#2e7d4f"}
LINE_SEPARATOR = "\u2028"  # a line break inside one block: a code block stays one shaded block
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
    """Turn off ligatures, so text copied or searched in the PDF reads "ff", not "\ufb00"."""
    if hasattr(font, "setFeature"):  # Qt 6.7+
        for tag in ("liga", "clig", "dlig"):
            font.setFeature(QFont.Tag(tag), 0)


def _clean(text: str) -> str:
    # Qt turns "\n" into a new block; inside a block we want line separators. \r and NUL would show as boxes.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\n", LINE_SEPARATOR)


class PdfDocumentBuilder:
    """Builds the QTextDocument for a list of conversations.

    Args:
        page_break_between_messages: start every message on a new page (the default); when False only each
            conversation starts on a new page.
    """

    def __init__(self, *, page_break_between_messages: bool = True) -> None:
        self.page_break_between_messages = page_break_between_messages
        self.document = QTextDocument()
        self.document.setDocumentMargin(0)
        base = QFont()
        base.setFamilies(["DejaVu Sans", "Noto Sans", "Helvetica", "Arial", "sans-serif"])
        base.setPointSizeF(10.5)
        _no_ligatures(base)
        self.document.setDefaultFont(base)
        self.cursor = QTextCursor(self.document)
        self._first_block = True

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setFamilies(["DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "Courier New", "monospace"])
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setFixedPitch(True)
        mono.setPointSizeF(9)
        _no_ligatures(mono)
        self.code_format = QTextCharFormat()
        self.code_format.setFont(mono)
        self.text_format = QTextCharFormat()
        self.text_format.setFont(base)
        self.muted_format = QTextCharFormat()
        small = QFont(base)
        small.setPointSizeF(8.5)
        self.muted_format.setFont(small)
        self.muted_format.setForeground(QColor("#667085"))
        self.title_format = QTextCharFormat()
        title = QFont(base)
        title.setPointSizeF(17)
        title.setBold(True)
        self.title_format.setFont(title)

    # -- blocks ---------------------------------------------------------------------------------------------------
    def _block(self, text: str, char_format: QTextCharFormat, *, page_break: bool = False, top: float = 0,
               bottom: float = 4, background: str | None = None, indent: float = 0) -> None:
        fmt = QTextBlockFormat()
        fmt.setTopMargin(top)
        fmt.setBottomMargin(bottom)
        if indent:
            fmt.setLeftMargin(indent)
            fmt.setRightMargin(indent)
        if background:
            fmt.setBackground(QColor(background))
        if page_break and not self._first_block:
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        if self._first_block:
            self.cursor.setBlockFormat(fmt)
            self.cursor.setBlockCharFormat(char_format)
            self._first_block = False
        else:
            self.cursor.insertBlock(fmt, char_format)
        self.cursor.insertText(text, char_format)

    def add_conversation(self, conversation: Conversation) -> None:
        self._block(" ".join((conversation.title or "Untitled").split()), self.title_format, page_break=True,
                    bottom=2)
        from llmdesk.core.export import _iso  # one date format for every export

        started = _iso(conversation.created_at)
        self._block(f"Started {started}" if started else "", self.muted_format, bottom=10)
        messages = shown_path(conversation)
        if not messages:
            self._block("No messages.", self.muted_format)
        for k, msg in enumerate(messages):
            heading = QTextCharFormat(self.text_format)
            font = QFont(self.text_format.font())
            font.setBold(True)
            font.setPointSizeF(11.5)
            heading.setFont(font)
            heading.setForeground(QColor(ROLE_COLORS.get(msg.role, "#333333")))
            self._block(ROLE_LABELS.get(msg.role, msg.role), heading,
                        page_break=self.page_break_between_messages and k > 0, top=0 if k == 0 else 12, bottom=1)
            note = message_note(msg)
            if note:
                self._block(note, self.muted_format, bottom=4)
            self.add_content(msg.content)

    def add_content(self, content: str) -> None:
        for block in split_markdown(content):
            if isinstance(block, CodeBlock):
                if block.language:
                    self._block(block.language, self.muted_format, top=4, bottom=0, indent=4)
                code = block.code[:-1] if block.code.endswith("\n") else block.code
                self._block(_clean(code), self.code_format, background="#f0f2f5", indent=4, top=0, bottom=6)
            else:
                for para in block.text.strip("\n").split("\n\n"):
                    if para.strip():
                        self._block(_clean(para.strip("\n")), self.text_format, bottom=5)


def to_pdf_bytes(conversations: Sequence[Conversation], *, page_break_between_messages: bool = True) -> bytes:
    """The PDF of the shown path of each conversation, as bytes.

    Raises:
        ExportError: no conversations, or Qt could not make the PDF.
    """
    if not conversations:
        raise ExportError("nothing to export: no conversations were chosen")
    ensure_gui_application()
    builder = PdfDocumentBuilder(page_break_between_messages=page_break_between_messages)
    for conv in conversations:
        builder.add_conversation(conv)

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    # QTextDocument.print_ adds its own 2 cm margin and the page numbers to an unpaginated document
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(conversations[0].title if len(conversations) == 1 else f"{len(conversations)} conversations")
    writer.setCreator(f"{APP_NAME} {__version__}")
    builder.document.print_(writer)
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
