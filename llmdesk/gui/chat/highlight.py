"""Syntax colours for fenced code blocks, through Pygments when it is installed (plain monospace otherwise).

The text is split into (text, QTextCharFormat) runs and inserted as text: nothing is ever parsed as HTML.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat

try:  # Pygments is optional: without it code is shown in plain monospace.
    from pygments.lexers import get_lexer_by_name
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    HAVE_PYGMENTS = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_PYGMENTS = False

LIGHT_STYLE = "default"
DARK_STYLE = "monokai"


@lru_cache(maxsize=64)
def _lexer(language: str) -> Any:
    if not HAVE_PYGMENTS or not language:
        return None
    try:
        return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


COMMON_LANGUAGES = ("python", "bash", "json", "javascript", "typescript", "c", "cpp", "rust", "go", "java",
                    "html", "css", "sql", "yaml", "toml", "markdown", "diff", "shell", "sh", "console")


def warm_up(languages: tuple[str, ...] = COMMON_LANGUAGES) -> None:
    """Build the lexers for common languages ahead of time (their regular expressions take up to ~100 ms each to
    compile, which would otherwise stall the window at a reply's first code block). Safe to run on a background
    thread: it touches no Qt object."""
    for language in languages:
        _lexer(language)
        if HAVE_PYGMENTS:
            lexer = _lexer(language)
            if lexer is not None:
                for _ in lexer.get_tokens("x = 1\n"):
                    pass


class CodeHighlighter:
    """Turns code into formatted runs for one colour scheme.

    Args:
        dark: use the dark style.
    """

    def __init__(self, *, dark: bool) -> None:
        self.dark = dark
        self.base = QTextCharFormat()
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.base.setFontFamilies([font.family(), "monospace"])
        self.base.setFontFixedPitch(True)
        self.base.setForeground(QColor("#f8f8f2" if dark else "#1f2328"))
        self._formats: dict[Any, QTextCharFormat] = {}
        self._style = get_style_by_name(DARK_STYLE if dark else LIGHT_STYLE) if HAVE_PYGMENTS else None

    @property
    def background(self) -> QColor:
        """The code block's background colour."""
        return QColor("#272822" if self.dark else "#f3f4f6")

    def _format(self, ttype: Any) -> QTextCharFormat:
        fmt = self._formats.get(ttype)
        if fmt is None:
            fmt = QTextCharFormat(self.base)
            style = self._style.style_for_token(ttype) if self._style is not None else {}
            if style.get("color"):
                fmt.setForeground(QColor("#" + style["color"]))
            if style.get("bold"):
                fmt.setFontWeight(QFont.Weight.Bold)
            if style.get("italic"):
                fmt.setFontItalic(True)
            self._formats[ttype] = fmt
        return fmt

    def runs(self, code: str, language: str) -> list[tuple[str, QTextCharFormat]]:
        """The code as (text, format) runs; text may contain newlines."""
        lexer = _lexer(language)
        if lexer is None:
            return [(code, self.base)]
        out: list[tuple[str, QTextCharFormat]] = []
        for ttype, value in lexer.get_tokens(code):
            if value:
                out.append((value, self._format(ttype)))
        return out or [(code, self.base)]
