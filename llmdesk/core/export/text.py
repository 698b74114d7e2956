"""The plain-text writer: each message verbatim (a reply's Markdown source as written) under its role."""

from __future__ import annotations

from llmdesk.core.export.outline import Outline


def render_text(outline: Outline) -> str:
    """Plain text: a title underlined with ``=``, then each message on the shown path under ``[Role · note]``,
    verbatim."""
    out: list[str] = []
    for k, conv in enumerate(outline.conversations):
        if k:
            out.append("")
        out.append(conv.title)
        out.append("=" * max(3, len(conv.title)))
        if conv.started:
            out.append(f"Started {conv.started}" + (f" · updated {conv.updated}"
                                                    if conv.updated and conv.updated != conv.started else ""))
        if not conv.messages:
            out.append("")
            out.append("(no messages)")
        for msg in conv.messages:
            out.append("")
            out.append(f"[{msg.label}{' · ' + msg.note if msg.note else ''}]")
            if msg.reasoning:
                out.append("[Reasoning]")
                out.extend(f"| {line}".rstrip() for line in msg.reasoning.rstrip("\n").split("\n"))
                out.append("[Answer]")
            out.append(msg.source.rstrip("\n"))
    return "\n".join(out) + "\n"
