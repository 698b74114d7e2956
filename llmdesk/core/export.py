"""Export conversations: Markdown, HTML, plain text, the app's JSON and two JSONL formats for training tools.

Pure functions from :class:`~llmdesk.core.conversation.Conversation` objects to text, plus :func:`write_export`,
which writes one of them atomically. No Qt and no torch here: the PDF writer, which needs Qt, lives in
:mod:`llmdesk.gui.export.pdf_export`.

What each format holds:

- ``json``: everything, losslessly: every conversation with every branch, each message's metadata, and the app and
  library versions. :mod:`llmdesk.core.importer` reads it back. See :func:`to_json` for the layout.
- ``md``, ``html``, ``txt`` (and ``pdf``): the path on show in each conversation (what the model was sent), for
  people to read.
- ``openai-jsonl``, ``sharegpt-jsonl``: one line per conversation along the path on show, for training tools;
  conversations without messages are left out (a training example needs at least one message).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import importlib.metadata
import json
import math
import os
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmdesk import APP_NAME, __version__
from llmdesk.core.atomic import atomic_open
from llmdesk.core.conversation import Conversation, Message, stop_reason_label

JSON_FORMAT = "llmdesk-conversations"
JSON_FORMAT_VERSION = 1

# format name -> (file extension, label for menus and file dialogs)
FORMATS: dict[str, tuple[str, str]] = {
    "md": (".md", "Markdown"),
    "html": (".html", "HTML"),
    "pdf": (".pdf", "PDF"),
    "txt": (".txt", "Plain text"),
    "json": (".json", "llmdesk JSON (every branch, lossless)"),
    "openai-jsonl": (".jsonl", "OpenAI chat JSONL"),
    "sharegpt-jsonl": (".jsonl", "ShareGPT JSONL"),
}

ROLE_LABELS = {"system": "System", "user": "User", "assistant": "Assistant"}
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
LIBRARIES = ("transformers", "torch", "PySide6", "PySide6-Essentials", "accelerate", "safetensors")


class ExportError(ValueError):
    """The export cannot be made (unknown format, nothing to export); the message says why."""


def format_for_path(path: str | os.PathLike[str]) -> str | None:
    """The format a file name suggests by its extension (``.jsonl`` suggests ``openai-jsonl``), or None."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    aliases = {".markdown": "md", ".htm": "html", ".text": "txt"}
    if suffix in aliases:
        return aliases[suffix]
    for name, (ext, _label) in FORMATS.items():
        if ext == suffix:
            return name
    return None


# ---------------------------------------------------------------------------------------------------------------
# Reading the Markdown inside messages: fenced code blocks and the HTML blocks that would run past a message.
# ---------------------------------------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
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
class CodeBlock:
    """A fenced code block found in a message: its language (first word of the info string) and its code."""

    language: str
    code: str


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
        m = _FENCE_OPEN.match(line)
        if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
            indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
            close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
            code: list[str] = []
            i += 1
            while i < n and not close.match(lines[i]):
                code.append(_strip_indent(lines[i], indent))
                i += 1
            i += 1  # the closing fence (or past the end)
            if text:
                out.append(TextBlock("\n".join(text)))
                text = []
            language = info.split()[0] if info else ""
            out.append(CodeBlock(_unescape_info(language), "".join(c + "\n" for c in code)))
            continue
        for start, end in _HTML_BLOCKS:
            if start.match(line):
                j = i
                while j < n and not end.search(lines[j], 0 if j > i else start.match(line).end()):
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


def _strip_indent(line: str, indent: int) -> str:
    k = 0
    while k < indent and k < len(line) and line[k] == " ":
        k += 1
    return line[k:]


def _unescape_info(info: str) -> str:
    # CommonMark reads backslash escapes and entities in the info string.
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", info))


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


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------


def shown_path(conversation: Conversation) -> list[Message]:
    """The messages on show: root to the current leaf (empty when the conversation has none)."""
    if conversation.current_leaf_id is None or conversation.current_leaf_id not in conversation.messages:
        return []
    return conversation.path()


def message_note(message: Message) -> str:
    """A short line about how an assistant reply was made: model, tokens, speed, why it stopped (if not EOS)."""
    if message.role != "assistant":
        return ""
    meta = message.meta if isinstance(message.meta, dict) else {}
    parts: list[str] = []
    model = meta.get("model")
    if isinstance(model, str) and model:
        parts.append(model)
    server = meta.get("server")
    if isinstance(server, str) and server:  # a reply from a remote engine: which server made it
        parts.append(f"via {server}")
    stats = meta.get("stats") if isinstance(meta.get("stats"), dict) else {}
    tokens = stats.get("new_tokens")
    if isinstance(tokens, int) and not isinstance(tokens, bool):
        parts.append(f"{tokens} tokens")
    speed = stats.get("tokens_per_s", stats.get("decode_tokens_per_s"))
    if isinstance(speed, (int, float)) and not isinstance(speed, bool) and math.isfinite(speed) and speed > 0:
        parts.append(f"{speed:.1f} tok/s")
    if message.stop_reason and message.stop_reason != "eos":
        parts.append(stop_reason_label(message.stop_reason))
    return " · ".join(parts)


def format_timestamp(ts: float) -> str:
    try:
        return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return ""


def _now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------------------------

_MD_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!&~#|])")


def md_escape_inline(text: str) -> str:
    """Text safe to put in a Markdown heading or paragraph: one line, special characters backslash-escaped."""
    return _MD_INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def message_markdown(content: str) -> str:
    """A message's Markdown, made safe to put between other messages: every fenced code block keeps its language and
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


def to_markdown(conversations: Sequence[Conversation]) -> str:
    """CommonMark: a ``#`` heading per conversation, a ``##`` heading per message on the shown path.

    Each message is preceded by an HTML comment ``<!-- llmdesk:message role=... id=... -->`` (invisible when
    rendered) so tools can split the file back into messages even when the text holds ``##`` headings.
    """
    out: list[str] = []
    for k, conv in enumerate(conversations):
        if k:
            out.append("---\n")
        out.append(f"<!-- llmdesk:conversation id={conv.id} -->\n")
        out.append(f"# {md_escape_inline(conv.title) or 'Untitled'}\n")
        created = format_timestamp(conv.created_at)
        if created:
            out.append(f"*Started {created}*\n")
        messages = shown_path(conv)
        if not messages:
            out.append("*No messages.*\n")
        for msg in messages:
            out.append(f"<!-- llmdesk:message role={msg.role} id={msg.id} -->\n")
            heading = ROLE_LABELS.get(msg.role, msg.role)
            note = message_note(msg)
            if note:
                heading += " · " + note
            out.append(f"## {md_escape_inline(heading)}\n")
            body = message_markdown(msg.content)
            if body:
                out.append(body + "\n")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------------------

HTML_STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2025; --muted: #667085; --user: #e8f0fe;
  --assistant: #ffffff; --system: #fff6e0; --border: #d9dde3; --code-bg: #f0f2f5; --accent: #3b6fd8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1d21; --fg: #e6e8eb; --muted: #9aa3af; --user: #23314d; --assistant: #24272c;
    --system: #3a3320; --border: #3a3f47; --code-bg: #15171a; --accent: #7aa2f7; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
section.conversation + section.conversation { border-top: 2px solid var(--border); margin-top: 2.5rem; }
h1 { font-size: 1.4rem; margin: 1.2rem 0 0.2rem; }
.started, .meta { color: var(--muted); font-size: 0.82rem; }
article { border: 1px solid var(--border); border-radius: 10px; padding: 0.6rem 0.9rem; margin: 0.9rem 0; }
article.user { background: var(--user); margin-left: 3rem; }
article.assistant { background: var(--assistant); margin-right: 3rem; }
article.system { background: var(--system); }
article h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--accent);
  margin: 0 0 0.3rem; }
article h3 { font-size: 1.02rem; margin: 0.8rem 0 0.3rem; }
article p { margin: 0.4rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.code { margin: 0.5rem 0; border: 1px solid var(--border); border-radius: 6px; overflow: hidden; }
.code .lang { font-size: 0.75rem; color: var(--muted); padding: 0.15rem 0.6rem; border-bottom: 1px solid var(--border); }
pre { margin: 0; padding: 0.6rem; background: var(--code-bg); overflow-x: auto; }
code { font-family: ui-monospace, "DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
p code { background: var(--code-bg); padding: 0 0.25em; border-radius: 4px; }
""".strip()

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.DOTALL)


def _inline_html(text: str) -> str:
    """Escaped text with inline code, bold and italic made into our own tags; nothing from the text becomes markup."""
    pieces: list[str] = []
    pos = 0
    for m in _INLINE_CODE.finditer(text):
        pieces.append(_emphasis_html(text[pos:m.start()]))
        pieces.append("<code>" + html.escape(m.group(2).strip() or m.group(2)) + "</code>")
        pos = m.end()
    pieces.append(_emphasis_html(text[pos:]))
    return "".join(pieces)


def _emphasis_html(text: str) -> str:
    escaped = html.escape(text)  # escapes & < > " ' first; the tags below are ours
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(r"<em>\1</em>", escaped)


def text_parts(text: str) -> list[tuple[str, str]]:
    """Message text (outside code blocks) as ("heading", text) and ("paragraph", text) parts: paragraphs split at
    blank lines, ATX headings (``## Title``) on their own. Newlines inside a paragraph are kept."""
    parts: list[tuple[str, str]] = []
    for para in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines: list[str] = []
        for line in para.split("\n"):
            heading = _HEADING.match(line)
            if heading:
                if "".join(lines).strip():
                    parts.append(("paragraph", "\n".join(lines)))
                lines = []
                parts.append(("heading", heading.group(1)))
            else:
                lines.append(line)
        if "".join(lines).strip():
            parts.append(("paragraph", "\n".join(lines)))
    return parts


def message_html(content: str) -> str:
    """A message's text as safe HTML: paragraphs, headings, inline code, bold and italic, and code blocks as
    ``<pre>`` with their language shown. Every character of the message is escaped; the only tags are the
    exporter's own."""
    parts: list[str] = []
    for block in split_markdown(content):
        if isinstance(block, CodeBlock):
            lang = f'<div class="lang">{html.escape(block.language)}</div>' if block.language else ""
            parts.append(f'<div class="code">{lang}<pre><code>{html.escape(block.code)}</code></pre></div>')
        else:
            for kind, text in text_parts(block.text):
                tag = "h3" if kind == "heading" else "p"
                parts.append(f"<{tag}>{_inline_html(text)}</{tag}>")
    return "\n".join(parts)


def _csp(style: str) -> str:
    digest = hashlib.sha256(style.encode()).digest()
    return (f"default-src 'none'; style-src 'sha256-{base64.b64encode(digest).decode()}'; "
            "img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'")


def to_html(conversations: Sequence[Conversation]) -> str:
    """One self-contained HTML file styled like the app (light and dark), with a Content-Security-Policy that allows
    no scripts, no images and no outside resources; all message text is escaped."""
    title = conversations[0].title if len(conversations) == 1 else f"{len(conversations)} conversations"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(_csp(HTML_STYLE))}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{APP_NAME} {html.escape(__version__)}">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{HTML_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    for conv in conversations:
        out.append('<section class="conversation">')
        out.append(f"<h1>{html.escape(conv.title or 'Untitled')}</h1>")
        created = format_timestamp(conv.created_at)
        if created:
            out.append(f'<div class="started">Started {html.escape(created)}</div>')
        messages = shown_path(conv)
        if not messages:
            out.append('<p class="meta">No messages.</p>')
        for msg in messages:
            role = msg.role if msg.role in ROLE_LABELS else "system"
            out.append(f'<article class="{role}">')
            out.append(f"<h2>{html.escape(ROLE_LABELS.get(msg.role, msg.role))}</h2>")
            note = message_note(msg)
            if note:
                out.append(f'<div class="meta">{html.escape(note)}</div>')
            out.append(message_html(msg.content))
            out.append("</article>")
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------------------------------------------


def to_text(conversations: Sequence[Conversation]) -> str:
    """Plain text: a title underlined with ``=``, then each message on the shown path under ``[Role]``, verbatim."""
    out: list[str] = []
    for k, conv in enumerate(conversations):
        if k:
            out.append("")
        title = " ".join((conv.title or "Untitled").split())
        out.append(title)
        out.append("=" * max(3, len(title)))
        created = format_timestamp(conv.created_at)
        if created:
            out.append(f"Started {created}")
        messages = shown_path(conv)
        if not messages:
            out.append("")
            out.append("(no messages)")
        for msg in messages:
            head = ROLE_LABELS.get(msg.role, msg.role)
            note = message_note(msg)
            out.append("")
            out.append(f"[{head}{' · ' + note if note else ''}]")
            out.append(msg.content.rstrip("\n"))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# JSON (the app's own, lossless) and JSONL for training tools
# ---------------------------------------------------------------------------------------------------------------


def library_versions() -> dict[str, str | None]:
    """Python's version and those of the libraries the app runs on, from package metadata (nothing is imported);
    None for a library that is not installed."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null, everything else is returned as it is."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def ordered_messages(conversation: Conversation) -> list[Message]:
    """Every message of a conversation, parents before children, siblings oldest first."""
    by_parent: dict[str | None, list[Message]] = {}
    for msg in conversation.messages.values():
        by_parent.setdefault(msg.parent_id, []).append(msg)
    for kids in by_parent.values():
        kids.sort(key=lambda m: (m.created_at, m.id))
    out: list[Message] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        msg = stack.pop()
        out.append(msg)
        stack.extend(reversed(by_parent.get(msg.id, [])))
    if len(out) != len(conversation.messages):  # orphans or cycles: keep them all, the importer will say what is wrong
        seen = {m.id for m in out}
        out.extend(m for m in conversation.messages.values() if m.id not in seen)
    return out


def conversation_to_dict(conversation: Conversation) -> dict[str, Any]:
    """One conversation as plain JSON data (the ``conversations[]`` item of the app's JSON)."""
    return {
        "id": conversation.id,
        "title": conversation.title,
        "title_is_auto": conversation.title_is_auto,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "current_leaf_id": conversation.current_leaf_id,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                "role": m.role,
                "content": m.content,
                "created_at": m.created_at,
                "stop_reason": m.stop_reason,
                "meta": m.meta,
            }
            for m in ordered_messages(conversation)
        ],
    }


def to_json_data(conversations: Sequence[Conversation]) -> dict[str, Any]:
    """The app's JSON document as plain data; :func:`to_json` serialises it."""
    return _finite({
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "exported_at": _now_iso(),
        "app": {"name": APP_NAME, "version": __version__},
        "libraries": library_versions(),
        "conversations": [conversation_to_dict(c) for c in conversations],
    })


def to_json(conversations: Sequence[Conversation]) -> str:
    """The app's own format, lossless: every conversation, every branch, every message's metadata.

    Layout (``format_version`` 1)::

        {"format": "llmdesk-conversations", "format_version": 1, "exported_at": "2026-...Z",
         "app": {"name": "llmdesk", "version": "0.1.0"},
         "libraries": {"python": "3.11.7", "transformers": "5.0.0", "torch": "2.13.0", ...},  # null: missing
         "conversations": [{"id", "title", "title_is_auto", "created_at", "updated_at", "current_leaf_id",
                            "messages": [{"id", "parent_id", "role", "content", "created_at", "stop_reason",
                                          "meta"}, ...]}]}

    Times are Unix seconds (floats). Messages are listed parents first; ``parent_id`` null marks a first message,
    and siblings (same parent) are the branches made by regenerating or editing. ``meta`` holds what made an
    assistant reply: model, revision, device, dtype, decoding settings, seed and stats. Non-finite numbers, which
    JSON cannot hold, are written as null.
    """
    # Laid out by hand: the header and each conversation's fields indented, one message per line. Readable and
    # diff-friendly like indent=1, but every message goes through json's C encoder (indent= forces the slow
    # Python one: 3.5x slower on 10,000 messages).
    doc = to_json_data([])
    out = ["{\n"]
    for key, value in doc.items():
        if key != "conversations":
            out.append(f" {_compact(key)}: {_compact(value)},\n")
    out.append(' "conversations": [')
    for k, conv in enumerate(conversations):
        data = conversation_to_dict(conv)
        messages = data.pop("messages")
        out.append(",\n  {" if k else "\n  {")
        out.extend(f"{_compact(key)}: {_compact(value)}, " for key, value in data.items())
        out.append('"messages": [')
        out.append(",".join("\n   " + _compact(m) for m in messages))
        out.append("\n  ]}" if messages else "]}")
    out.append("\n ]\n}\n" if conversations else "]\n}\n")
    return "".join(out)


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity somewhere in it
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)


def _jsonl(lines: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n" for line in lines)


def to_openai_jsonl(conversations: Sequence[Conversation]) -> str:
    """One line per conversation along the shown path: ``{"messages": [{"role": ..., "content": ...}, ...]}``."""
    return _jsonl(
        {"messages": [{"role": m.role, "content": m.content} for m in path]}
        for path in (shown_path(c) for c in conversations) if path
    )


def to_sharegpt_jsonl(conversations: Sequence[Conversation]) -> str:
    """One line per conversation along the shown path:
    ``{"conversations": [{"from": "system" | "human" | "gpt", "value": ...}, ...]}``."""
    return _jsonl(
        {"conversations": [{"from": SHAREGPT_ROLES[m.role], "value": m.content} for m in path]}
        for path in (shown_path(c) for c in conversations) if path
    )


TEXT_EXPORTERS = {
    "md": to_markdown,
    "html": to_html,
    "txt": to_text,
    "json": to_json,
    "openai-jsonl": to_openai_jsonl,
    "sharegpt-jsonl": to_sharegpt_jsonl,
}


def export_text(conversations: Sequence[Conversation], fmt: str) -> str:
    """The export of ``conversations`` in a text format (every format but ``pdf``).

    Raises:
        ExportError: unknown format, ``pdf`` (made by :func:`llmdesk.gui.export.pdf_export.to_pdf`), or no conversations.
    """
    if fmt == "pdf":
        raise ExportError("PDF is made by llmdesk.gui.export.pdf_export (it needs Qt)")
    if fmt not in TEXT_EXPORTERS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not conversations:
        raise ExportError("nothing to export: no conversations were chosen")
    return TEXT_EXPORTERS[fmt](conversations)


def write_export(conversations: Sequence[Conversation], fmt: str, path: str | os.PathLike[str]) -> None:
    """Write the export atomically: the file at ``path`` is either the whole export or left as it was.

    Raises:
        ExportError: see :func:`export_text`.
        llmdesk.core.atomic.WriteError: the folder is unwritable, the disk is full...; no partial file is left.
    """
    text = export_text(conversations, fmt)
    with atomic_open(path, "w") as fh:
        fh.write(text)
