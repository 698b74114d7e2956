"""The Markdown writer: a file any CommonMark reader shows as the chat did.

Replies keep their Markdown, made safe to sit between other messages (every code block closed by a fence nothing
inside it can close, HTML blocks that would run on into the next message shown as text); the user's own text is
escaped so that it shows exactly as typed (``__init__`` stays ``__init__``, ``# not a heading`` stays a line of
text, line breaks and leading spaces are kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmdesk.core.export.outline import CodeBlock, MessageOutline, Outline
from llmdesk.core.markdown_blocks import open_fence

# Reading the Markdown inside replies: fenced code blocks and the HTML blocks that would run past a message.

_HTML_BLOCKS = (  # CommonMark HTML blocks 1-5: they end only at their end marker, not at a blank line
    (re.compile(r"^ {0,3}<(?:script|pre|style|textarea)(?:[\s>]|$)", re.IGNORECASE),
     re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)),
    (re.compile(r"^ {0,3}<!--"), re.compile(r"-->")),
    (re.compile(r"^ {0,3}<\?"), re.compile(r"\?>")),
    (re.compile(r"^ {0,3}<![A-Za-z]"), re.compile(r">")),
    (re.compile(r"^ {0,3}<!\[CDATA\["), re.compile(r"\]\]>")),
)
_OUR_MARKER = re.compile(r"^( {0,3})<!-- ?llmdesk:")


@dataclass(frozen=True)
class TextBlock:
    """Message text between code blocks, as written (Markdown source)."""

    text: str


def split_markdown(content: str) -> list[TextBlock | CodeBlock]:
    """Split message text into text and fenced code blocks, following CommonMark's rules for top-level fences.

    A fence opens with three or more backticks or tildes (indented at most three spaces) and closes with a fence of
    the same character at least as long; a fence still open at the end of the message (a reply cut off mid-code)
    runs to the end, as CommonMark reads it. Fences inside HTML blocks that end only at their end marker
    (``<!-- ... -->``, ``<script>``, ``<pre>``...) are left alone. Fences nested in list items are read as top-level
    ones (exported at the left margin); fences behind ``>`` or a list marker on the same line stay in the text.
    """
    lines = content.split("\n")
    out: list[TextBlock | CodeBlock] = []
    text: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if _OUR_MARKER.match(line):  # a message must not be able to fake the exporter's message markers
            text.append(_escape_html_start(line))
            i += 1
            continue
        fence = open_fence(line)  # the one fence grammar, shared with the chat view
        if fence is not None:
            code: list[str] = []
            i += 1
            while i < n and not fence.closed_by(lines[i]):
                code.append(fence.strip_indent(lines[i]))
                i += 1
            if i >= n and code and not code[-1]:
                code.pop()  # open to the end: the text's final newline ends the last line, it is not one more
            i += 1  # the closing fence (or past the end)
            if text:
                out.append(TextBlock("\n".join(text)))
                text = []
            out.append(CodeBlock(fence.language, "".join(c + "\n" for c in code)))
            continue
        for start, end in _HTML_BLOCKS:
            opened = start.match(line)
            if opened:
                j = i
                while j < n and not end.search(lines[j], 0 if j > i else opened.end()):
                    j += 1
                if j < n and not any(_OUR_MARKER.match(x) for x in lines[i + 1:j + 1]):
                    # closed inside this message: keep it, fences in it included, as it is
                    text.extend(lines[i:j + 1])
                    i = j + 1
                else:  # it would swallow the messages after this one (or hide a fake marker): show it as text
                    text.append(_escape_html_start(line))
                    i += 1
                break
        else:
            text.append(line)
            i += 1
    if text and (len(text) > 1 or text[0]):
        out.append(TextBlock("\n".join(text)))
    return out


def _escape_html_start(line: str) -> str:
    stripped = line.lstrip(" ")
    return line[: len(line) - len(stripped)] + "\\" + stripped


def longest_run(text: str, char: str) -> int:
    """The length of the longest run of ``char`` in ``text`` (0 if none)."""
    best = 0
    for m in re.finditer(re.escape(char) + "+", text):
        best = max(best, len(m.group()))
    return best


def fence_for(code: str, language: str = "") -> str:
    """A fence for ``code`` that nothing inside it can close: backticks, one longer than any run of them in the
    code (at least three); tildes when the language itself holds a backtick."""
    char = "~" if "`" in language else "`"
    return char * max(3, longest_run(code, char) + 1)


_MD_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!&~#|])")
_MARKUP = re.compile(r"([\\`*_\[\]<>&~#|!])")  # characters that can start or end markup anywhere in a line
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d{1,9}(?=[.)]))")  # list items, setext underlines, ordered lists
# spacing a paragraph would not keep: white space (any kind) at a line's start or end, tabs, runs of spaces
_SPACING = re.compile(r"^[^\S\n]|[^\S\n]$|\t|  ", re.MULTILINE)


def md_escape_inline(text: str) -> str:
    """Text safe to put in a Markdown heading or paragraph: one line, special characters backslash-escaped."""
    return _MD_INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def verbatim_markdown(text: str) -> str:
    """Markdown that any CommonMark reader shows as exactly ``text``.

    Text whose spacing matters (white space at the start or end of a line, a tab, two spaces in a row: pasted
    code, aligned columns) becomes a fenced block with no language, whose fence nothing in the
    text can close: readers show every character and space of it as it is. Other text stays prose: the characters
    that can make markup are backslash-escaped (``\\ ` * _ [ ] < > & ~ # | !`` anywhere, and list,
    heading-underline and ordered-list markers at the start of a line), so nothing becomes emphasis, a heading, a
    list, a table, a link, an entity or HTML, and each line end is a hard line break (blank lines included).
    Line ends at the very end are dropped; ``\\r\\n`` and ``\\r`` count as line ends.

    Returns "" for text with nothing but line ends.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if not text:
        return ""
    if _SPACING.search(text):
        fence = fence_for(text)
        return f"{fence}\n{text}\n{fence}"
    out = []
    for line in text.split("\n"):
        line = _MARKUP.sub(r"\\\1", line)
        out.append(_LINE_START.sub(_escape_line_start, line))
    return "\\\n".join(out)


def _escape_line_start(m: re.Match[str]) -> str:
    marker = m.group(2)
    if marker.isdigit():  # "1." / "1)": escape the dot or bracket after the number
        return m.group(1) + marker + "\\"
    return m.group(1) + "\\" + marker


def message_markdown(content: str) -> str:
    """A reply's Markdown, made safe to put between other messages: every fenced code block keeps its language and
    gets a fence longer than any backtick run inside it (so a fence cut off mid-reply is closed), and HTML blocks
    that would run on into the next message are shown as text."""
    parts: list[str] = []
    for block in split_markdown(content):
        if isinstance(block, CodeBlock):
            fence = fence_for(block.code, block.language)
            parts.append(f"{fence}{block.language}\n{block.code}{fence}")
        else:
            parts.append(block.text.strip("\n"))
    return "\n\n".join(p for p in parts if p)


def message_body(message: MessageOutline) -> str:
    """A message's Markdown in the export: the reply's own Markdown made safe, or the typed text escaped."""
    return message_markdown(message.source) if message.markdown else verbatim_markdown(message.source)


REASONING_LABEL = "Reasoning"


def reasoning_markdown(reasoning: str) -> str:
    """A reply's reasoning as a quoted section headed **Reasoning**: every line of its (made safe) Markdown
    behind ``> ``, so it reads as apart from the answer and cannot end early or fake a message marker."""
    lines = message_markdown(reasoning).rstrip("\n").split("\n")
    return "\n".join([f"> **{REASONING_LABEL}**", ">", *(f"> {line}" if line else ">" for line in lines)]) + "\n"


def render_markdown(outline: Outline) -> str:
    """CommonMark: a ``#`` heading per conversation, a ``##`` heading per message on the shown path.

    Each message is preceded by an HTML comment ``<!-- llmdesk:message role=... id=... -->`` (invisible when
    rendered) so tools can split the file back into messages even when the text holds ``##`` headings.
    """
    out: list[str] = []
    for k, conv in enumerate(outline.conversations):
        if k:
            out.append("---\n")
        out.append(f"<!-- llmdesk:conversation id={conv.id} -->\n")
        out.append(f"# {md_escape_inline(conv.title)}\n")
        if conv.started:
            dates = f"Started {conv.started}"
            if conv.updated and conv.updated != conv.started:
                dates += f" · updated {conv.updated}"
            out.append(f"*{dates}*\n")
        if not conv.messages:
            out.append("*No messages.*\n")
        for msg in conv.messages:
            out.append(f"<!-- llmdesk:message role={msg.role} id={msg.id} -->\n")
            heading = msg.label + (" · " + msg.note if msg.note else "")
            out.append(f"## {md_escape_inline(heading)}\n")
            if msg.reasoning:
                out.append(reasoning_markdown(msg.reasoning))
            body = message_body(msg)
            if body:
                out.append(body + "\n")
    return "\n".join(out)
