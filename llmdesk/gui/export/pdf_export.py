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

The text layer: Qt writes each font's ToUnicode map (what copying or searching the PDF gives) by taking, for each
glyph, the *lowest* BMP code point the font maps to it. Fonts that share one glyph between several code points
(Noto Sans CJK draws the Kangxi radical U+2F08 and the ideograph 人 U+4EBA with one glyph) then copy as the wrong
character, and glyphs reached only from outside the BMP (𩸽) copy as nothing. :class:`TextLayer` records which
glyphs each font drew for which characters and :func:`fix_text_layer` rewrites those maps with pypdf so the PDF's
text is the text that was exported. Characters that no installed font covers are reported as export warnings.
"""

from __future__ import annotations

import io
import os
import re
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    QRawFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextLayout,
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
# The text layer: which glyphs stand for which characters
# ---------------------------------------------------------------------------------------------------------------


def postscript_name(raw: QRawFont) -> str:
    """The PostScript name of ``raw`` (the ``name`` table's name 6, as Qt names the font in a PDF), or "" if the
    font has none."""
    table = bytes(raw.fontTable("name").data())
    try:
        _fmt, count, offset = struct.unpack(">HHH", table[:6])
        for i in range(count):
            platform, _enc, _lang, name_id, length, start = struct.unpack(">6H", table[6 + 12 * i:18 + 12 * i])
            if name_id == 6:
                data = table[offset + start:offset + start + length]
                return data.decode("utf-16-be") if platform in (0, 3) else data.decode("latin-1")
    except (struct.error, UnicodeDecodeError):
        pass
    return ""


_BMP_CODES = [cp for cp in range(0x10000) if not 0xD800 <= cp < 0xE000]
_BMP = "".join(map(chr, _BMP_CODES))


@dataclass
class _FontUse:
    raw: QRawFont
    glyphs: dict[int, None] = field(default_factory=dict)  # glyph ids in the order first drawn
    drawn: dict[int, str] | None = None  # glyph -> character of the text (see TextLayer.glyph_chars)
    qt: dict[int, str] | None = None  # glyph -> what Qt's ToUnicode map says (see TextLayer.qt_names)


def _skip_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "ZC" or ch in "\t\n"


class TextLayer:
    """What the laid-out documents drew: per font (by PostScript name) the glyphs used, in order of first use, and
    every character of the text."""

    def __init__(self) -> None:
        self.fonts: dict[str, _FontUse] = {}
        self.chars: dict[str, None] = {}
        self._keys: dict[tuple, str] = {}  # (family, style, weight, slant) -> PostScript name

    def add_document(self, doc: QTextDocument) -> None:
        """Record a laid-out document (its blocks, table cells included)."""
        block = doc.begin()
        retrieve = QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes
        while block.isValid():
            text = block.text()
            self.chars.update(dict.fromkeys(text))
            if not text.isascii():  # ASCII glyphs are never mapped wrongly: spare the glyph runs
                layout = block.layout()
                for k in range(layout.lineCount()):
                    for run in layout.lineAt(k).glyphRuns(-1, -1, retrieve):
                        raw = run.rawFont()
                        face = (raw.familyName(), raw.styleName(), raw.weight(), raw.style())
                        key = self._keys.get(face)
                        if key is None:  # reading the name table for every run would cost more than the run
                            key = self._keys[face] = postscript_name(raw) or raw.familyName().replace(" ", "")
                        use = self.fonts.get(key)
                        if use is None:
                            use = self.fonts[key] = _FontUse(raw)
                        use.glyphs.update(dict.fromkeys(run.glyphIndexes()))
            block = block.next()

    def glyph_chars(self, key: str) -> dict[int, str]:
        """For the font ``key``: glyph id -> the character of the text it was drawn for (the first such character
        in the text, when several share a glyph)."""
        use = self.fonts[key]
        if use.drawn is None:
            chars = [c for c in self.chars if not _skip_char(c)]
            bmp = [c for c in chars if ord(c) <= 0xFFFF]
            glyphs = list(use.raw.glyphIndexesForString("".join(bmp))) if bmp else []
            pairs = list(zip(bmp, glyphs, strict=False))
            pairs += [(c, (list(use.raw.glyphIndexesForString(c)) or [0])[0]) for c in chars if ord(c) > 0xFFFF]
            order = {c: k for k, c in enumerate(chars)}
            use.drawn = {}
            for ch, glyph in sorted(pairs, key=lambda pair: order[pair[0]]):
                if glyph and glyph in use.glyphs and glyph not in use.drawn:
                    use.drawn[glyph] = ch
        return use.drawn

    def qt_names(self, key: str) -> dict[int, str]:
        """For the font ``key``: glyph id -> the code point Qt's ToUnicode map gives it (the lowest BMP code point
        the font maps to the glyph; absent when none does), as Qt's ``QFontSubset::getReverseMap`` computes it."""
        use = self.fonts[key]
        if use.qt is None:
            glyphs = use.raw.glyphIndexesForString(_BMP)
            use.qt = {}
            for cp, glyph in zip(_BMP_CODES, glyphs, strict=False):
                if glyph and glyph in use.glyphs and glyph not in use.qt:
                    use.qt[glyph] = chr(cp)
        return use.qt

    def needs_fix(self) -> bool:
        """Whether Qt's ToUnicode map names any drawn glyph with another character than the one drawn."""
        for key in self.fonts:
            drawn, qt = self.glyph_chars(key), self.qt_names(key)
            if any(qt.get(glyph) != ch for glyph, ch in drawn.items()):
                return True
        return False

    def uncovered(self) -> list[str]:
        """Characters of the text that no font used had a glyph for (they show as boxes)."""
        raws = [use.raw for use in self.fonts.values()]
        out = []
        for ch in self.chars:
            if _skip_char(ch) or ch.isascii():
                continue
            if not any(raw.supportsCharacter(ord(ch)) for raw in raws):
                out.append(ch)
        return out


_SCRIPT_NAMES = {"CJK": "Chinese/Japanese (Han)", "HANGUL": "Korean (Hangul)", "HIRAGANA": "Japanese (kana)",
                 "KATAKANA": "Japanese (kana)", "CJK COMPATIBILITY": "Chinese/Japanese (Han)"}


def coverage_warnings(chars: Sequence[str]) -> list[str]:
    """One warning per script whose characters no installed font covers, naming a few of them."""
    by_script: dict[str, list[str]] = {}
    for ch in chars:
        name = unicodedata.name(ch, "")
        word = name.split(" ")[0] if name else f"U+{ord(ch):04X}"
        script = _SCRIPT_NAMES.get(word, word.title() if name else "unnamed")
        by_script.setdefault(script, []).append(ch)
    out = []
    for script, found in by_script.items():
        sample = " ".join(found[:5]) + (" …" if len(found) > 5 else "")
        out.append(f"No installed font has {script} characters ({len(found)} of them, e.g. {sample}): they show "
                   f"as empty boxes in the PDF. Install a font that covers them (for example Noto Sans CJK for "
                   f"Chinese, Japanese and Korean, or the Noto font for the script) and export again.")
    return out


_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]*>)")
_CHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")


def parse_to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's ``bfrange`` and ``bfchar`` entries as CID -> text ("" for an entry mapped to 0)."""
    out: dict[int, str] = {}

    def text(hexa: bytes) -> str:
        raw = bytes.fromhex(hexa.decode())
        return "" if raw.strip(b"\0") == b"" else raw.decode("utf-16-be", "replace")

    for section in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in _RANGE.findall(section):
            first, last = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for k, item in enumerate(_HEX.findall(dst)):
                    out[first + k] = text(item)
            else:
                base = int(dst[1:-1] or b"0", 16)
                for k in range(last - first + 1):
                    out[first + k] = "" if base == 0 else chr(base + k)
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in _CHAR.findall(section):
            out[int(src, 16)] = text(dst)
    return out


def write_to_unicode(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap (``bfchar`` entries, 100 per section) for CID -> text."""
    head = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
    items = [(cid, text) for cid, text in sorted(mapping.items()) if text]
    body = []
    for k in range(0, len(items), 100):
        chunk = items[k:k + 100]
        body.append(f"{len(chunk)} beginbfchar\n".encode())
        body += [f"<{cid:04X}> <{text.encode('utf-16-be').hex().upper()}>\n".encode() for cid, text in chunk]
        body.append(b"endbfchar\n")
    tail = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    return head + b"".join(body) + tail


def _glyph_count(font_file: bytes) -> int:
    """``numGlyphs`` from an embedded TrueType font's ``maxp`` table (0 if it cannot be read)."""
    try:
        tables = struct.unpack(">H", font_file[4:6])[0]
        for i in range(tables):
            tag, _sum, offset, _length = struct.unpack(">4sIII", font_file[12 + 16 * i:28 + 16 * i])
            if tag == b"maxp":
                return struct.unpack(">H", font_file[offset + 4:offset + 6])[0]
    except struct.error:
        pass
    return 0


_FONT_HEAD = re.compile(rb"\d+\s+\d+\s+obj\s*<<(?:(?!endobj).){0,600}?/Subtype\s*/Type0", re.S)


def fix_text_layer(pdf: bytes, layer: TextLayer) -> bytes:
    """``pdf`` with each font's ToUnicode map corrected to the characters that were drawn (see the module
    docstring); ``pdf`` itself when Qt's maps are already right (the common case: nothing is read or written).

    A glyph Qt mapped to another code point than the character of the text it was drawn for is mapped to that
    character; glyphs Qt left unmapped (reached only from outside the BMP) are matched, in the order they were
    first drawn, with the used glyphs no BMP character reaches, when their numbers agree. The new maps are
    appended to the file as an incremental update (the PDF standard's way to change objects), so the time taken
    does not grow with the number of pages.
    """
    if not layer.fonts or not layer.needs_fix():
        return pdf
    import pypdf
    from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fixes: dict[int, bytes] = {}
    for idnum, offset in sorted(reader.xref.get(0, {}).items()):
        if not _FONT_HEAD.match(pdf, offset):  # a cheap look at the object's first bytes: only Type0 fonts
            continue
        font = reader.get_object(IndirectObject(idnum, 0, reader))
        if not isinstance(font, DictionaryObject):
            continue
        key = str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1]
        to_unicode = font.raw_get("/ToUnicode") if "/ToUnicode" in font else None
        stream = to_unicode.get_object() if isinstance(to_unicode, IndirectObject) else None
        if key not in layer.fonts or not isinstance(stream, StreamObject):
            continue
        old = parse_to_unicode(stream.get_data())
        new = _corrected(old, key, layer, font)
        if new != old:
            fixes[to_unicode.idnum] = write_to_unicode(new)  # type: ignore[union-attr]
    return append_objects(pdf, reader, fixes) if fixes else pdf


def append_objects(pdf: bytes, reader: Any, streams: dict[int, bytes]) -> bytes:
    """``pdf`` with new versions of the stream objects ``streams`` (object number -> data) appended as an
    incremental update: the objects, a cross-reference section for them and a trailer pointing back at the
    previous one."""
    from pypdf.generic import NameObject

    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for idnum, data in sorted(streams.items()):
        offsets[idnum] = len(out)
        out += b"%d 0 obj\n<< /Length %d >>\nstream\n" % (idnum, len(data)) + data + b"\nendstream\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"  # the free list's head, as readers expect every section to start
    for idnum, offset in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (idnum, offset)
    trailer = io.BytesIO()
    for key in ("/Root", "/Info", "/ID"):
        if key in reader.trailer:
            trailer.write(key.encode() + b" ")
            reader.trailer.raw_get(key).write_to_stream(trailer)
            trailer.write(b"\n")
    size = max(int(reader.trailer[NameObject("/Size")]), max(streams) + 1)
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf[-1024:])[-1])
    out += b"trailer\n<< /Size %d\n%s/Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, trailer.getvalue(), previous,
                                                                                  xref)
    return bytes(out)


def _corrected(old: dict[int, str], key: str, layer: TextLayer, font: Any) -> dict[int, str]:
    use = layer.fonts[key]
    drawn = layer.glyph_chars(key)  # glyph -> character of the text
    new = dict(old)
    for cid, text in old.items():
        if not text or len(text) != 1:
            continue
        glyphs = use.raw.glyphIndexesForString(text)
        right = drawn.get(glyphs[0]) if glyphs else None
        if right is None and text not in layer.chars:  # not a glyph we can name: try compatibility (Kangxi
            folded = unicodedata.normalize("NFKC", text)  # radicals, presentation forms)
            right = folded if folded != text and all(c in layer.chars for c in folded) else None
        if right is not None:
            new[cid] = right
    # glyphs Qt could not name (no BMP code point reaches them): match them in order of first use
    qt = layer.qt_names(key)
    unnamed_used = [g for g in use.glyphs if g in drawn and g not in qt]
    if unnamed_used:
        count = 0
        try:
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            count = _glyph_count(descriptor["/FontFile2"].get_object().get_data())
        except (KeyError, IndexError, TypeError):
            pass
        missing = [cid for cid in range(1, count) if not old.get(cid)]
        if len(missing) == len(unnamed_used):
            for cid, glyph in zip(missing, unnamed_used, strict=True):
                new[cid] = drawn[glyph]
    return new


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
