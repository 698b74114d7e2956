"""The HTML writer: one self-contained page that looks like the chat.

Replies are rendered from the outline (headings, paragraphs, lists, tables, quotes, code with its language); a
link shows its text and its address as text, never as a live link, and images are never loaded. The user's text is
shown exactly as typed. Every character that came from a conversation is escaped: the only tags are the writer's
own. A Content-Security-Policy allows no scripts, no images and no outside resources.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from llmdesk import APP_NAME, __version__
from llmdesk.core.export.outline import (
    Block,
    CodeBlock,
    Heading,
    Inline,
    ListBlock,
    Outline,
    Paragraph,
    Quote,
    Rule,
    Table,
    Verbatim,
)

HTML_STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2025; --muted: #667085; --user: #e8f0fe;
  --assistant: #ffffff; --system: #fff6e0; --border: #d9dde3; --code-bg: #f0f2f5; --accent: #3b6fd8;
  --head-bg: #eef1f5; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1d21; --fg: #e6e8eb; --muted: #9aa3af; --user: #23314d; --assistant: #24272c;
    --system: #3a3320; --border: #3a3f47; --code-bg: #15171a; --accent: #7aa2f7; --head-bg: #2c3036; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
section.conversation + section.conversation { border-top: 2px solid var(--border); margin-top: 2.5rem; }
h1 { font-size: 1.4rem; margin: 1.2rem 0 0.2rem; }
.started, .meta, .href { color: var(--muted); font-size: 0.82rem; }
.href { overflow-wrap: anywhere; }
article { border: 1px solid var(--border); border-radius: 10px; padding: 0.6rem 0.9rem; margin: 0.9rem 0; }
article.user { background: var(--user); margin-left: 3rem; }
article.assistant { background: var(--assistant); margin-right: 3rem; }
article.system { background: var(--system); }
article h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--accent);
  margin: 0 0 0.3rem; }
article h3 { font-size: 1.15rem; margin: 0.8rem 0 0.3rem; }
article h4 { font-size: 1.05rem; margin: 0.8rem 0 0.3rem; }
article h5, article h6 { font-size: 0.98rem; margin: 0.7rem 0 0.3rem; }
article p { margin: 0.4rem 0; overflow-wrap: anywhere; }
article p.verbatim { white-space: pre-wrap; }
ul, ol { margin: 0.4rem 0; padding-left: 1.6rem; }
li > p { margin: 0.2rem 0; }
blockquote { margin: 0.5rem 0; padding: 0.1rem 0.8rem; border-left: 3px solid var(--border); color: var(--muted); }
details.reasoning { margin: 0.4rem 0; padding: 0.1rem 0.8rem; border-left: 3px solid var(--border); color: var(--muted); }
details.reasoning > summary { cursor: pointer; font-size: 0.85rem; font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--border); padding: 0.25rem 0.6rem; vertical-align: top; }
th { background: var(--head-bg); }
.al-left { text-align: left; } .al-center { text-align: center; } .al-right { text-align: right; }
hr { border: none; border-top: 1px solid var(--border); margin: 0.8rem 0; }
.image { font-style: italic; }
.code { margin: 0.5rem 0; border: 1px solid var(--border); border-radius: 6px; overflow: hidden; }
.code .lang { font-size: 0.75rem; color: var(--muted); padding: 0.15rem 0.6rem; border-bottom: 1px solid var(--border); }
pre { margin: 0; padding: 0.6rem; background: var(--code-bg); overflow-x: auto; }
code { font-family: ui-monospace, "DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
p code, li code, td code, th code { background: var(--code-bg); padding: 0 0.25em; border-radius: 4px; }
""".strip()


def inline_html(spans: Inline) -> str:
    """Inline runs as escaped HTML with our own ``strong``/``em``/``s``/``code`` tags; a link's address follows
    its text as plain text (``the docs (https://…)``), an image shows as ``[image: alt]`` and its source."""
    out: list[str] = []
    for k, span in enumerate(spans):
        text = escape(span.text, quote=False)
        if span.image:
            text = f'<span class="image">[image: {text}]</span>' if span.text else '<span class="image">[image]</span>'
        elif span.code:
            text = f"<code>{text}</code>"
        if span.strike:
            text = f"<s>{text}</s>"
        if span.italic:
            text = f"<em>{text}</em>"
        if span.bold:
            text = f"<strong>{text}</strong>"
        out.append(text)
        last_of_link = k + 1 == len(spans) or spans[k + 1].href != span.href or spans[k + 1].image or span.image
        if span.href is not None and last_of_link and (span.href != span.text or span.image):
            out.append(f' <span class="href">({escape(span.href, quote=False)})</span>')
    return "".join(out)


def block_html(block: Block, *, heading_offset: int = 2) -> str:
    """One outline block as HTML. Reply headings are shifted down ``heading_offset`` levels (an ``#`` in a reply
    is an ``h3``: the page's ``h1`` is the conversation, ``h2`` the message), never below ``h6``."""
    if isinstance(block, Paragraph):
        return f"<p>{inline_html(block.spans)}</p>"
    if isinstance(block, Heading):
        level = min(6, block.level + heading_offset)
        return f"<h{level}>{inline_html(block.spans)}</h{level}>"
    if isinstance(block, Verbatim):
        return f'<p class="verbatim">{escape(block.text, quote=False)}</p>'
    if isinstance(block, CodeBlock):
        lang = f'<div class="lang">{escape(block.language, quote=False)}</div>' if block.language else ""
        return f'<div class="code">{lang}<pre><code>{escape(block.code, quote=False)}</code></pre></div>'
    if isinstance(block, ListBlock):
        tag = "ol" if block.ordered else "ul"
        start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
        items = []
        for item in block.items:
            parts = [block_html(b, heading_offset=heading_offset) for b in item]
            if block.tight and item and isinstance(item[0], Paragraph):  # a tight list's text sits in the item
                parts[0] = inline_html(item[0].spans)
            inner = "\n".join(parts)
            items.append(f"<li>{inner}</li>")
        return f"<{tag}{start}>\n" + "\n".join(items) + f"\n</{tag}>"
    if isinstance(block, Quote):
        inner = "\n".join(block_html(b, heading_offset=heading_offset) for b in block.blocks)
        return f"<blockquote>\n{inner}\n</blockquote>"
    if isinstance(block, Table):
        def cell(tag: str, spans: Inline, col: int) -> str:
            align = block.align[col] if col < len(block.align) else ""
            cls = f' class="al-{align}"' if align else ""
            return f"<{tag}{cls}>{inline_html(spans)}</{tag}>"

        head = "".join(cell("th", spans, c) for c, spans in enumerate(block.header))
        rows = ["<tr>" + "".join(cell("td", spans, c) for c, spans in enumerate(row)) + "</tr>"
                for row in block.rows]
        body = f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n" if rows else ""
        return f"<table>\n<thead><tr>{head}</tr></thead>\n{body}</table>"
    if isinstance(block, Rule):
        return "<hr>"
    raise TypeError(f"not an outline block: {block!r}")


def _csp(style: str) -> str:
    digest = hashlib.sha256(style.encode()).digest()
    return (f"default-src 'none'; style-src 'sha256-{base64.b64encode(digest).decode()}'; "
            "img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'")


def render_html(outline: Outline) -> str:
    """One self-contained HTML file styled like the app (light and dark); see the module docstring."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(_csp(HTML_STYLE))}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{APP_NAME} {escape(__version__)}">',
        f"<title>{escape(outline.title)}</title>",
        f"<style>{HTML_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]
    for conv in outline.conversations:
        out.append('<section class="conversation">')
        out.append(f"<h1>{escape(conv.title)}</h1>")
        if conv.started:
            dates = f"Started {conv.started}"
            if conv.updated and conv.updated != conv.started:
                dates += f" · updated {conv.updated}"
            out.append(f'<div class="started">{escape(dates)}</div>')
        if not conv.messages:
            out.append('<p class="meta">No messages.</p>')
        for msg in conv.messages:
            role = msg.role if msg.role in ("system", "user", "assistant") else "system"
            out.append(f'<article class="{role}">')
            out.append(f"<h2>{escape(msg.label)}</h2>")
            if msg.note:
                out.append(f'<div class="meta">{escape(msg.note)}</div>')
            if msg.reasoning:  # folded, as in the app; a click (or Enter on the summary) opens it
                out.append('<details class="reasoning"><summary>Reasoning</summary>')
                out.extend(block_html(b) for b in msg.reasoning_blocks)
                out.append("</details>")
            out.extend(block_html(b) for b in msg.blocks)
            out.append("</article>")
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)
