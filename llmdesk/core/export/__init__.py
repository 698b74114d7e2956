"""Export conversations: Markdown, HTML, PDF, plain text, the app's JSON and two JSONL formats for training tools.

How it fits together:

- :mod:`~llmdesk.core.export.outline`: one neutral outline of what a reader sees (titles and dates; per message
  role, label, note and blocks: headings, paragraphs, lists, tables, quotes, code with its language), built once.
- one writer per format renders it: :mod:`~llmdesk.core.export.markdown`, :mod:`~llmdesk.core.export.html`,
  :mod:`~llmdesk.core.export.text`, and ``llmdesk.gui.export.pdf_export`` (it needs Qt); :mod:`~llmdesk.core.export.data`
  writes JSON and JSONL from the conversations themselves.
- :mod:`~llmdesk.core.export.registry` maps each format to its writer and writes files atomically.

What each format holds:

- ``json``: everything, losslessly: every conversation with every branch, each message's metadata, and the app and
  library versions. :mod:`llmdesk.core.importer` reads it back. See :func:`to_json` for the layout.
- ``md``, ``html``, ``txt``, ``pdf``: the path on show in each conversation (what the model was sent), for people
  to read: replies rendered as in the chat (``txt`` keeps their Markdown source), the user's text exactly as typed.
- ``openai-jsonl``, ``sharegpt-jsonl``: one line per conversation along the path on show, for training tools;
  conversations without messages are left out (a training example needs at least one message).

No Qt and no torch are imported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmdesk.core.conversation import Conversation
from llmdesk.core.export.common import ROLE_LABELS, ExportError, format_timestamp, message_note, shown_path
from llmdesk.core.export.data import (
    JSON_FORMAT,
    JSON_FORMAT_VERSION,
    LIBRARIES,
    SHAREGPT_ROLES,
    conversation_to_dict,
    library_versions,
    ordered_messages,
    to_json,
    to_json_data,
    to_openai_jsonl,
    to_sharegpt_jsonl,
)
from llmdesk.core.export.html import HTML_STYLE, render_html
from llmdesk.core.export.markdown import (
    TextBlock,
    fence_for,
    longest_run,
    md_escape_inline,
    message_markdown,
    render_markdown,
    split_markdown,
    verbatim_markdown,
)
from llmdesk.core.export.outline import CodeBlock, Outline, build_outline
from llmdesk.core.export.registry import (
    FORMATS,
    ExportOptions,
    Rendered,
    Writer,
    export_bytes,
    export_text,
    format_for_path,
    register,
    write_export,
    writer_for,
)
from llmdesk.core.export.text import render_text


def to_markdown(conversations: Sequence[Conversation]) -> str:
    """The Markdown export (see :func:`llmdesk.core.export.markdown.render_markdown`)."""
    return render_markdown(build_outline(conversations))


def to_html(conversations: Sequence[Conversation]) -> str:
    """The HTML export (see :mod:`llmdesk.core.export.html`)."""
    return render_html(build_outline(conversations))


def to_text(conversations: Sequence[Conversation]) -> str:
    """The plain-text export (see :func:`llmdesk.core.export.text.render_text`)."""
    return render_text(build_outline(conversations))


__all__ = [
    "FORMATS", "HTML_STYLE", "JSON_FORMAT", "JSON_FORMAT_VERSION", "LIBRARIES", "ROLE_LABELS", "SHAREGPT_ROLES",
    "CodeBlock", "ExportError", "ExportOptions", "Outline", "Rendered", "TextBlock", "Writer", "build_outline",
    "conversation_to_dict", "export_bytes", "export_text", "fence_for", "format_for_path", "format_timestamp",
    "library_versions", "longest_run", "md_escape_inline", "message_markdown", "message_note", "ordered_messages",
    "register", "render_html", "render_markdown", "render_text", "shown_path", "split_markdown", "to_html",
    "to_json", "to_json_data", "to_markdown", "to_openai_jsonl", "to_sharegpt_jsonl", "to_text",
    "verbatim_markdown", "write_export", "writer_for",
]
