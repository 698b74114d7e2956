"""Markdown into Qt text documents that load nothing: the scratch documents a message's Markdown is parsed into,
and inserting them into a message's document at a cursor.

Model output is text, never live HTML: Markdown is parsed with raw HTML turned off (it shows as literal text) and
an image is shown as a line of text naming it; no document loads a resource of any scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import (QColor, QTextCharFormat, QTextCursor, QTextDocument, QTextDocumentFragment, QTextFormat,
                           QTextFrameFormat, QTextTable)

_F = QTextDocument.MarkdownFeature
MARKDOWN_FEATURES = QTextDocument.MarkdownFeature(_F.MarkdownDialectGitHub.value | _F.MarkdownNoHTML.value)


class InertTextDocument(QTextDocument):
    """A document that loads no resource of any scheme (``file:``, ``http:``, ``qrc:``, ``data:``...).

    A plain QTextDocument without a QTextEdit parent reads ``file:`` images from disk itself, and copying a
    fragment out of it (``QTextDocumentFragment``) copies the loaded image into the target document: model text
    must never make the app read a file or fetch anything.
    """

    def loadResource(self, type_: int, url: Any) -> Any:  # noqa: N802 - Qt override
        return None


_scratch: QTextDocument | None = None
_IMAGE_TEXT_LIMIT = 80


def markdown_fragment(text: str) -> QTextDocument:
    """Parse Markdown (GitHub dialect, raw HTML shown as text) into a scratch document, reused from call to call
    (GUI thread only: creating and destroying a document per streamed update is a measurable share of its cost).
    Images are shown as text, ``[image: alt text <address>]``, and nothing is loaded.
    """
    global _scratch
    if _scratch is None:
        _scratch = InertTextDocument()
        _scratch.setUndoRedoEnabled(False)
    _scratch.setMarkdown(text, MARKDOWN_FEATURES)
    if "![" in text:
        _images_as_text(_scratch)
    pad_tables(_scratch)
    return _scratch


def _images_as_text(doc: QTextDocument) -> None:
    """Replace every image in ``doc`` by a line of text naming its alt text and address."""
    found: list[tuple[int, int, str]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fragment.isValid() and fmt.isImageFormat():
                url = fmt.toImageFormat().name()
                if len(url) > _IMAGE_TEXT_LIMIT:
                    url = url[:_IMAGE_TEXT_LIMIT - 1] + "…"
                alt = str(fmt.property(QTextFormat.Property.ImageAltText) or "").strip()
                found.append((fragment.position(), fragment.length(), f"[image: {alt} <{url}>]" if alt
                              else f"[image: <{url}>]"))
            it += 1
        block = block.next()
    for position, length, label in reversed(found):
        cursor = QTextCursor(doc)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        plain = QTextCharFormat(cursor.charFormat())
        plain.clearProperty(QTextFormat.Property.ObjectType)
        for prop in (QTextFormat.Property.ImageName, QTextFormat.Property.ImageTitle,
                     QTextFormat.Property.ImageAltText, QTextFormat.Property.ImageWidth,
                     QTextFormat.Property.ImageHeight):
            plain.clearProperty(prop)
        cursor.insertText(label, plain)


def insert_markdown(cursor: QTextCursor, text: str, prepare: Callable[[QTextDocument], None] | None = None) -> None:
    """Insert Markdown at ``cursor``, which must be at the start of an empty block with default formats.

    ``QTextCursor.insertFragment`` merges the fragment's first block into the current one and drops its block
    format (a heading would lose its level); this puts the format back, or removes the empty block the fragment
    did not merge into (lists and tables start their own block). ``prepare`` may change the parsed document before
    it is inserted (cheaper there: the scratch document is never laid out).
    """
    doc = cursor.document()
    scratch = markdown_fragment(text)
    if prepare is not None:
        prepare(scratch)
    start = cursor.position()
    cursor.insertFragment(QTextDocumentFragment(scratch))
    first = doc.findBlock(start)
    scratch_first = scratch.begin()
    if first.text() == "" and scratch_first.text() != "":
        if first.next().isValid() and QTextCursor(first.next()).currentTable() is None:
            QTextCursor(first).deleteChar()
    else:
        # The scratch block's format names the scratch document's list (an object index that means nothing, or
        # another object, here): set it without, and put the block back into its list.
        fmt = scratch_first.blockFormat()
        fmt.setObjectIndex(-1)
        QTextCursor(first).setBlockFormat(fmt)
        scratch_list = scratch_first.textList()
        if scratch_list is not None:
            following, scratch_following = first.next(), scratch_first.next()
            if (following.isValid() and following.textList() is not None and scratch_following.isValid()
                    and scratch_following.textList() is not None
                    and scratch_following.textList().objectIndex() == scratch_list.objectIndex()):
                following.textList().add(first)
            else:
                QTextCursor(first).createList(scratch_list.format())


def first_table(doc: QTextDocument, start: int = 0) -> QTextTable | None:
    """The first table in ``doc`` at or after position ``start`` (None if there is none)."""
    for frame in doc.rootFrame().childFrames():
        if isinstance(frame, QTextTable) and frame.lastPosition() >= start:
            return frame
    return None


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
