"""The export's document model: one neutral outline of what a reader sees, built once, rendered by every writer.

:func:`build_outline` walks the conversations once (the path on show in each) and gives an :class:`Outline`:
conversation titles and dates, and per message its role, label, note and blocks. A reply's Markdown is parsed by
markdown-it-py (CommonMark plus GitHub tables and strikethrough, raw HTML off: it stays text, as in the chat view)
into headings, paragraphs, lists, tables, quotes, code blocks with their language and rules; inline text becomes
:class:`Span` runs (bold, italic, code, struck, a link's address). The user's own text (and a system prompt) is
one :class:`Verbatim` block: exactly what was typed, never read as Markdown.

Writers (:mod:`llmdesk.core.export.registry`) render an outline; none of them walks a conversation again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

from markdown_it import MarkdownIt
from markdown_it.token import Token

from llmdesk.core.conversation import Conversation, message_reasoning
from llmdesk.core.export.common import ROLE_LABELS, format_timestamp, message_note, shown_path


@dataclass(frozen=True)
class Span:
    """A run of inline text with one look.

    Attributes:
        text: the characters shown.
        bold, italic, code, strike: the run's emphasis; ``code`` is inline code (monospace).
        href: for a link, its address (shown as text beside the link text, never made live); for an image,
            its source (never loaded).
        image: the run is an image's alternative text.
    """

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    href: str | None = None
    image: bool = False


Inline = tuple[Span, ...]


@dataclass(frozen=True)
class Heading:
    """A heading inside a message; ``level`` 1-6 as in Markdown."""

    level: int
    spans: Inline


@dataclass(frozen=True)
class Paragraph:
    spans: Inline


@dataclass(frozen=True)
class Verbatim:
    """Text shown exactly as typed: every character, line break and space (the user's messages)."""

    text: str


@dataclass(frozen=True)
class CodeBlock:
    """A code block: ``language`` is the first word of the fence's info string ("" when none); ``code`` ends with
    a newline unless empty."""

    language: str
    code: str


@dataclass(frozen=True)
class ListBlock:
    """A list: each item is a sequence of blocks. ``start`` is the first number of an ordered list."""

    ordered: bool
    items: tuple[tuple[Block, ...], ...]
    start: int = 1
    tight: bool = True


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Table:
    """A table: a header row and body rows of cells; ``align`` per column is "", "left", "center" or "right"."""

    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    align: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A thematic break (``---``)."""


Block = Union[Heading, Paragraph, Verbatim, CodeBlock, ListBlock, Quote, Table, Rule]


@dataclass(frozen=True)
class MessageOutline:
    """One message as a reader sees it.

    Attributes:
        id, role: the message's id and role (``system``, ``user``, ``assistant``).
        label: the role as shown ("User").
        note: how a reply was made (model, tokens, speed, why it stopped); "" for other messages.
        source: the message's text as stored (a reply's Markdown source, the user's text).
        markdown: whether ``source`` is Markdown (a reply) or plain text typed by a person.
        blocks: what the message shows (read from ``source`` on first use: writers that need only the source,
            Markdown and plain text, never pay for parsing).
        reasoning: a reasoning model's reasoning (Markdown source), shown as a marked section before the
            answer; "" for none.
    """

    id: str
    role: str
    label: str
    note: str
    source: str
    markdown: bool
    reasoning: str = ""

    @cached_property
    def reasoning_blocks(self) -> tuple[Block, ...]:
        """The reasoning read as Markdown (empty when there is none)."""
        return parse_markdown(self.reasoning) if self.reasoning else ()

    @cached_property
    def blocks(self) -> tuple[Block, ...]:
        if self.markdown:
            return parse_markdown(self.source)
        return (Verbatim(self.source),) if self.source else ()


@dataclass(frozen=True)
class ConversationOutline:
    """One conversation: its id, title ("Untitled" when empty), start and last-change dates (UTC, "" when the
    time cannot be shown) and the messages on show."""

    id: str
    title: str
    started: str
    updated: str
    messages: tuple[MessageOutline, ...]


@dataclass(frozen=True)
class Outline:
    """What an export shows: a document title and the conversations."""

    title: str
    conversations: tuple[ConversationOutline, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------------------------------
# Reading a reply's Markdown
# ---------------------------------------------------------------------------------------------------------------

_md: MarkdownIt | None = None


def markdown_parser() -> MarkdownIt:
    """The CommonMark parser replies are read with: GitHub tables and strikethrough on, raw HTML off (it is text)."""
    global _md
    if _md is None:
        _md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return _md


def parse_markdown(text: str) -> tuple[Block, ...]:
    """A reply's Markdown as blocks (see the module docstring)."""
    tokens = markdown_parser().parse(text)
    blocks, _end = _read_blocks(tokens, 0, None)
    return tuple(blocks)


def _read_blocks(tokens: list[Token], i: int, closing: str | None) -> tuple[list[Block], int]:
    """Blocks from ``tokens[i:]`` up to the token of type ``closing`` (or the end); returns them and the index
    just past the closing token."""
    out: list[Block] = []
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        kind = tok.type
        if closing is not None and kind == closing:
            return out, i + 1
        if kind == "paragraph_open":
            out.append(Paragraph(_inline(tokens[i + 1])))
            i += 3
        elif kind == "heading_open":
            out.append(Heading(int(tok.tag[1:]), _inline(tokens[i + 1])))
            i += 3
        elif kind in ("fence", "code_block"):
            info = tok.info.strip() if kind == "fence" else ""
            code = tok.content
            if code and not code.endswith("\n"):  # a fence left open at the end of a reply cut off mid-code
                code += "\n"
            out.append(CodeBlock(info.split()[0] if info else "", code))
            i += 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            start = int(tok.attrs.get("start", 1)) if ordered else 1
            close = kind.replace("_open", "_close")
            items: list[tuple[Block, ...]] = []
            tight = True
            i += 1
            while i < n and tokens[i].type != close:
                if tokens[i].type == "list_item_open":
                    if i + 1 < n and tokens[i + 1].type == "paragraph_open":
                        tight = tight and tokens[i + 1].hidden
                    item, i = _read_blocks(tokens, i + 1, "list_item_close")
                    items.append(tuple(item))
                else:
                    i += 1
            out.append(ListBlock(ordered, tuple(items), start, tight))
            i += 1
        elif kind == "blockquote_open":
            inner, i = _read_blocks(tokens, i + 1, "blockquote_close")
            out.append(Quote(tuple(inner)))
        elif kind == "table_open":
            table, i = _read_table(tokens, i + 1)
            out.append(table)
        elif kind == "hr":
            out.append(Rule())
            i += 1
        else:
            i += 1
    return out, i


def _cell_align(tok: Token) -> str:
    style = str(tok.attrs.get("style", ""))
    for align in ("left", "center", "right"):
        if f"text-align:{align}" in style.replace(" ", ""):
            return align
    return ""


def _read_table(tokens: list[Token], i: int) -> tuple[Table, int]:
    header: list[Inline] = []
    rows: list[tuple[Inline, ...]] = []
    align: list[str] = []
    row: list[Inline] | None = None
    in_head = False
    n = len(tokens)
    while i < n and tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            if in_head:
                header = row
            else:
                rows.append(tuple(row))
            row = None
        elif tok.type in ("th_open", "td_open") and row is not None:
            if in_head:
                align.append(_cell_align(tok))
            row.append(_inline(tokens[i + 1]) if tokens[i + 1].type == "inline" else ())
        i += 1
    width = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
    align += [""] * (width - len(align))
    return Table(tuple(header), tuple(rows), tuple(align)), i + 1


def _inline(tok: Token) -> Inline:
    """An ``inline`` token's children as spans; adjacent runs with the same look are merged."""
    spans: list[Span] = []
    bold = italic = strike = 0
    href: list[str] = []

    def add(text: str, **look: object) -> None:
        span = Span(text, bold=bold > 0, italic=italic > 0, strike=strike > 0, href=href[-1] if href else None,
                    **look)  # type: ignore[arg-type]
        if spans and not span.code and not spans[-1].code and not span.image and not spans[-1].image and \
                (spans[-1].bold, spans[-1].italic, spans[-1].strike, spans[-1].href) == \
                (span.bold, span.italic, span.strike, span.href):
            spans[-1] = Span(spans[-1].text + text, span.bold, span.italic, False, span.strike, span.href)
        else:
            spans.append(span)

    for child in tok.children or []:
        kind = child.type
        if kind in ("text", "html_inline"):
            add(child.content)
        elif kind == "softbreak":  # a line end inside a paragraph: a space, as the chat view shows it
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "code_inline":
            add(child.content, code=True)
        elif kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "s_open":
            strike += 1
        elif kind == "s_close":
            strike -= 1
        elif kind == "link_open":
            href.append(str(child.attrs.get("href", "")))
        elif kind == "link_close":
            if href:
                href.pop()
        elif kind == "image":
            href.append(str(child.attrs.get("src", "")))
            add(child.content, image=True)
            href.pop()
    return tuple(spans)


def inline_text(spans: Inline) -> str:
    """The characters of ``spans`` as a reader sees them, with each link's address after its text."""
    out: list[str] = []
    for k, span in enumerate(spans):
        out.append(span.text)
        if span.href is not None and (k + 1 == len(spans) or spans[k + 1].href != span.href):
            if span.href != span.text:
                out.append(f" ({span.href})")
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Building the outline
# ---------------------------------------------------------------------------------------------------------------


def build_outline(conversations: Sequence[Conversation]) -> Outline:
    """The outline of the path on show in each conversation.

    Replies (``assistant``) are read as Markdown; user and system messages are :class:`Verbatim`.
    """
    title = conversations[0].title if len(conversations) == 1 else f"{len(conversations)} conversations"
    convs: list[ConversationOutline] = []
    for conv in conversations:
        messages: list[MessageOutline] = []
        for msg in shown_path(conv):
            messages.append(MessageOutline(msg.id, msg.role, ROLE_LABELS.get(msg.role, msg.role),
                                           message_note(msg), msg.content, msg.role == "assistant",
                                           message_reasoning(msg)))
        convs.append(ConversationOutline(conv.id, " ".join((conv.title or "").split()) or "Untitled",
                                         format_timestamp(conv.created_at), format_timestamp(conv.updated_at),
                                         tuple(messages)))
    return Outline(" ".join((title or "").split()) or "Untitled", tuple(convs))
