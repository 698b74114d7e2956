"""The PDF's text layer: which glyphs stand for which characters, so copying or searching the PDF gives the text
that was exported.

Qt writes each font's ToUnicode map (what copying or searching the PDF gives) by taking, for each glyph, the
*lowest* BMP code point the font maps to it. Fonts that share one glyph between several code points (Noto Sans CJK
draws the Kangxi radical U+2F08 and the ideograph 人 U+4EBA with one glyph) then copy as the wrong character, and
glyphs reached only from outside the BMP (𩸽) copy as nothing. :class:`TextLayer` records which glyphs each font
drew for which characters and :func:`fix_text_layer` rewrites those maps with pypdf. Characters that no installed
font covers are reported by :func:`coverage_warnings`.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtGui import QRawFont, QTextDocument, QTextLayout

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


