"""Text for the full-text search index, queries over it, and snippets with the hits marked.

The index (an FTS5 table with SQLite's ``unicode61`` tokenizer, see :mod:`llmdesk.core.store`) finds words by
their start, which is right for scripts that put spaces between words but finds nothing inside the long runs of
Chinese, Japanese, Korean or Thai text (``처리`` in ``자연어처리는``, ``语言`` in ``自然语言处理``). So the text is
rewritten before it is indexed (:func:`index_text`): each run of such characters becomes its overlapping bigrams
followed by its last character as a token of its own (``자연어처리는`` -> ``자연 연어 어처 처리 리는 는``). Every
character of a run is then the first character of exactly one token, and every substring of a run is a sequence
of consecutive tokens, so :func:`match_query` can find any part of a run:

- two characters or more: the phrase of the query's bigrams (``처리``; ``자연어`` -> ``"자연 연어"``);
- one character: the prefix query ``"처"*``, answered from FTS5's one-character prefix index.

Bigrams rather than single characters: a two-character query is one token lookup instead of the intersection of
two long position lists; measured on 200,000 messages (15 % of them CJK) a three-character phrase of common
characters that never meet took 9.9 ms with single-character tokens and 0.13 ms with bigrams. The FTS5
``trigram`` tokenizer was measured too: it cannot answer one- and two-character queries from its index (most
Korean and Chinese words are two characters; a scan took 600 ms), has no accent folding in SQLite 3.40, and made
the database 3.2 times the text (bigrams: 2.4 times).

Latin, Cyrillic, Greek and other space-separated scripts are left as words: matched case- and accent-
insensitively from their start, the last word of a query as a prefix while it is typed. Both the indexed text and
queries are NFKC-normalised first, so full-width letters and half-width kana match their usual forms.

The rewriting is part of the database format: the index is contentless (the text is in ``messages`` only) and
deleting a row from it re-tokenizes the old text, so any change to :func:`index_text` must come with a schema
migration that rebuilds the index.

Plain Python, no Qt.
"""

from __future__ import annotations

import re
import unicodedata

HIT_START = "\x02"
HIT_END = "\x03"

# Scripts written without spaces between words: Hangul (syllables, jamo, compatibility jamo, half-width), kana,
# CJK ideographs (with extensions and compatibility forms), Thai, Lao, Myanmar, Khmer.
_RUN_CHARS = (
    "\u0e00-\u0eff"          # Thai, Lao
    "\u1000-\u109f"          # Myanmar
    "\u1100-\u11ff"          # Hangul Jamo
    "\u1780-\u17ff"          # Khmer
    "\u2e80-\u2fdf"          # CJK radicals, Kangxi radicals
    "\u3005-\u3007"          # 々 〆 〇
    "\u3021-\u3029"          # Hangzhou numerals
    "\u3031-\u3035"          # kana repeat marks
    "\u3040-\u30ff"          # Hiragana, Katakana
    "\u3130-\u318f"          # Hangul compatibility jamo
    "\u31f0-\u31ff"          # Katakana phonetic extensions
    "\u3400-\u4dbf"          # CJK extension A
    "\u4e00-\u9fff"          # CJK unified ideographs
    "\ua960-\ua97f"          # Hangul Jamo extended A
    "\uac00-\ud7ff"          # Hangul syllables, Jamo extended B
    "\uf900-\ufaff"          # CJK compatibility ideographs
    "\uff66-\uffdc"          # half-width kana and Hangul (NFKC maps most of them to full width)
    "\U00020000-\U0003ffff"  # CJK extensions B-H
)
_RUN = re.compile(f"[{_RUN_CHARS}]+")
_TOKEN_CHAR = re.compile(r"[^\W_]", re.UNICODE)

# The tokenizer declared in the store's schema; combining marks count as letters, so Thai, Devanagari and other
# scripts with vowel signs keep their words whole (NFKC has already composed Latin letters with their accents).
TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
PREFIX_INDEX = "1 2 3"


def _run_tokens(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_text(text: str) -> str:
    """The text as it goes into the search index: NFKC-normalised, each CJK/Thai run replaced by its bigrams and
    its last character (see the module docstring). Deterministic: the same text always gives the same result."""
    if text.isascii():
        return text  # NFKC leaves ASCII as it is, and it holds no CJK runs
    text = unicodedata.normalize("NFKC", text)
    return _RUN.sub(lambda m: " " + " ".join(_run_tokens(m.group(0))) + " ", text)


def _has_token_char(text: str) -> bool:
    return _TOKEN_CHAR.search(text) is not None


def _phrase(word: str, *, last: bool) -> str | None:
    """One query word as an FTS5 phrase (quoted, with ``*`` for a prefix), or None when it holds nothing to find."""
    word = unicodedata.normalize("NFKC", word)
    if not _has_token_char(word):
        return None
    parts: list[str] = []
    pos = 0
    prefix = False
    runs = list(_RUN.finditer(word))
    for m in runs:
        parts.append(word[pos:m.start()])
        run = m.group(0)
        at_end = not _has_token_char(word[m.end():])
        if len(run) == 1:
            parts.append(run)
            prefix = at_end  # "처" is the first character of one token wherever it stands in the text
        else:
            tokens = _run_tokens(run)
            parts.append(" ".join(tokens[:-1] if at_end else tokens))
        pos = m.end()
    tail = word[pos:]
    parts.append(tail)
    if _has_token_char(tail):
        last_token = re.findall(r"[^\W_]+", tail)[-1]
        prefix = last and len(last_token) >= 2  # a one-letter prefix would match most of the index
    body = " ".join(p.strip() for p in parts if p.strip())
    return '"' + body.replace('"', '""') + '"' + ("*" if prefix else "")


def match_query(text: str) -> str | None:
    """What the user typed as an FTS5 query over :func:`index_text`: every word must occur; a CJK word anywhere
    in a run of CJK text; another word from its start, the last one (two letters or more, no space typed after
    it) as a prefix, so results follow typing. Quotes and FTS5 operators are taken literally. None when there is
    nothing to search for (blank, or only punctuation)."""
    words = text.split()
    trailing_space = text[-1:].isspace()
    phrases = []
    for k, word in enumerate(words):
        phrase = _phrase(word, last=(k == len(words) - 1 and not trailing_space))
        if phrase is not None:
            phrases.append(phrase)
    return " ".join(phrases) if phrases else None


# -- snippets ------------------------------------------------------------------------------------------------------

class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character NFKC-normalised, case-folded, Latin accents removed (filled lazily).
    Characters that fold to other than one character (``ß`` -> ``ss``, a lone accent -> nothing) are collected in
    :attr:`uneven`."""

    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[str] = set()

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        base = "".join(ch for ch in decomposed if not 0x300 <= ord(ch) <= 0x36F)
        folded = unicodedata.normalize("NFC", base.casefold())
        self[code] = folded
        if len(folded) != 1:
            self.uneven.add(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Text compared case- and accent-insensitively (for locating hits in a snippet, not for the index)."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


def _folded_with_positions(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when folding changed the length, the index in ``text`` of each folded character."""
    folded = fold(text)
    if _FOLD.uneven.isdisjoint(text):
        return folded, None
    positions: list[int] = []
    for i, ch in enumerate(text):
        positions.extend([i] * len(fold(ch)))
    return "".join(fold(ch) for ch in text), positions


def _is_run_char(ch: str) -> bool:
    return _RUN.match(ch) is not None


def _needles(query: str) -> list[tuple[str, bool, bool]]:
    """(folded text, starts a word, ends at a word end) for each query word that can match."""
    words = query.split()
    trailing_space = query[-1:].isspace()
    out = []
    for k, word in enumerate(words):
        w = fold(unicodedata.normalize("NFKC", word)).strip()
        w = re.sub(r"^[\W_]+|[\W_]+$", "", w)  # punctuation around a word is not searched for
        if not w:
            continue
        last = k == len(words) - 1 and not trailing_space
        latin_start = not _is_run_char(w[0])
        latin_end = not _is_run_char(w[-1])
        whole = latin_end and (not last or len(re.findall(r"[^\W_]+", w)[-1]) < 2)
        out.append((w, latin_start, whole))
    return out


def hit_ranges(text: str, query: str) -> list[tuple[int, int]]:
    """Where the query's words occur in ``text``, as (start, end) code-point offsets, sorted and not overlapping.

    A word that starts with a letter of a space-separated script is found at the start of a word (and, when the
    index would need the whole word, only as a whole word); a CJK word anywhere. A word found as a prefix is marked
    to the end of the word it starts, as the index matched that word."""
    if not text:
        return []
    folded, positions = _folded_with_positions(text)
    found: list[tuple[int, int]] = []
    for needle, word_start, whole in _needles(query):
        start = 0
        while True:
            i = folded.find(needle, start)
            if i < 0:
                break
            start = i + 1
            j = i + len(needle)
            if word_start and i > 0 and _TOKEN_CHAR.match(folded[i - 1]) and not _is_run_char(folded[i - 1]):
                continue
            if not _is_run_char(needle[-1]):
                end = j
                while end < len(folded) and _TOKEN_CHAR.match(folded[end]) and not _is_run_char(folded[end]):
                    end += 1
                if whole and end != j:
                    continue
                j = end
            found.append((i, j))
    if positions is not None:
        found = [(positions[i], positions[j - 1] + 1) for i, j in found]
    found.sort()
    merged: list[tuple[int, int]] = []
    for i, j in found:
        if merged and i <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(j, merged[-1][1]))
        else:
            merged.append((i, j))
    return merged


def make_snippet(text: str, query: str, *, before: int = 30, width: int = 160) -> str:
    """A short excerpt of ``text`` around the first hit of ``query``, each hit between ``\\x02`` and ``\\x03``, with
    ``…`` where text was cut. Whitespace runs become single spaces. Offsets are in code points (Python's); see
    :func:`utf16_offset` for Qt.

    Args:
        text: the message text.
        query: what the user typed.
        before: characters shown before the first hit (moved to a word start when one is near).
        width: the excerpt's length in characters, about.
    """
    text = text.replace(HIT_START, " ").replace(HIT_END, " ")
    hits = hit_ranges(text, query)
    first = hits[0][0] if hits else 0
    start = max(0, first - before)
    if start > 0:
        space = text.find(" ", start, first)
        if 0 <= space < first:
            start = space + 1
    end = min(len(text), max(start + width, hits[0][1] if hits else 0))
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        if space > (hits[0][1] if hits else 0):
            end = space
    out: list[str] = ["…"] if start > 0 else []
    pos = start
    for i, j in hits:
        if j <= start or i >= end:
            continue
        i, j = max(i, start), min(j, end)
        out += [text[pos:i], HIT_START, text[i:j], HIT_END]
        pos = j
    out.append(text[pos:end])
    if end < len(text):
        out.append("…")
    return " ".join("".join(out).split())


def utf16_offset(text: str, index: int) -> int:
    """The position of code point ``index`` of ``text`` in UTF-16 code units (what Qt's string positions count):
    each character outside the Basic Multilingual Plane (most emoji, 𝐁𝐨𝐥𝐝 letters) takes two units."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)
