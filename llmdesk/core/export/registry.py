"""The one place that decides which writer handles which export format.

Every format is named here (:data:`FORMATS`: file extension and label). The writers that need only Python are
registered below; a writer that needs Qt (``pdf``) lives in the GUI package and registers itself when its module is
imported, which :func:`writer_for` does on first use (core itself never imports Qt). The window, the command line
and the tests all export through :func:`write_export` / :func:`export_bytes`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from llmdesk.core.atomic import atomic_write_bytes
from llmdesk.core.conversation import Conversation
from llmdesk.core.export import data
from llmdesk.core.export.common import ExportError
from llmdesk.core.export.html import render_html
from llmdesk.core.export.markdown import render_markdown
from llmdesk.core.export.outline import Outline, build_outline
from llmdesk.core.export.text import render_text

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

# formats whose writer lives outside core: the module that registers it when imported
PROVIDERS: dict[str, str] = {"pdf": "llmdesk.gui.export.pdf_export"}


@dataclass(frozen=True)
class ExportOptions:
    """Choices a writer may honour.

    Attributes:
        page_break_between_messages: PDF: start every message on a new page (else only each conversation).
    """

    page_break_between_messages: bool = True


@dataclass(frozen=True)
class Rendered:
    """A finished export: the file's bytes, and what the reader of the file should know (a script no installed
    font covers...), one sentence per warning."""

    data: bytes
    warnings: tuple[str, ...] = ()


RenderFn = Callable[[Sequence[Conversation], ExportOptions], Rendered]


@dataclass(frozen=True)
class Writer:
    """A format's writer.

    Attributes:
        name: the format's name (a key of :data:`FORMATS`).
        render: conversations and options to a :class:`Rendered` export.
        text: the output is UTF-8 text (every format but PDF).
    """

    name: str
    render: RenderFn
    text: bool = True

    @property
    def extension(self) -> str:
        return FORMATS[self.name][0]

    @property
    def label(self) -> str:
        return FORMATS[self.name][1]


_WRITERS: dict[str, Writer] = {}


def register(writer: Writer) -> None:
    """Make ``writer`` the one for its format (replacing any before it).

    Raises:
        ExportError: the format is not one of :data:`FORMATS`.
    """
    if writer.name not in FORMATS:
        raise ExportError(f"cannot register a writer for unknown format {writer.name!r}")
    _WRITERS[writer.name] = writer


def writer_for(fmt: str) -> Writer:
    """The writer for ``fmt``, importing the module that provides it if needed.

    Raises:
        ExportError: unknown format, or its writer cannot be loaded (PDF without Qt); the message says which.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt not in _WRITERS and fmt in PROVIDERS:
        try:
            importlib.import_module(PROVIDERS[fmt])
        except ImportError as exc:
            raise ExportError(f"{FORMATS[fmt][1]} export needs Qt (PySide6), which could not be loaded: {exc}") \
                from exc
    if fmt not in _WRITERS:
        raise ExportError(f"no writer is registered for {FORMATS[fmt][1]} ({fmt!r})")
    return _WRITERS[fmt]


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


def export_bytes(conversations: Sequence[Conversation], fmt: str,
                 options: ExportOptions | None = None) -> Rendered:
    """The export of ``conversations`` in ``fmt``.

    Raises:
        ExportError: unknown format, its writer cannot be loaded, no conversations, or the writer failed.
    """
    writer = writer_for(fmt)
    if not conversations:
        raise ExportError("nothing to export: no conversations were chosen")
    return writer.render(conversations, options or ExportOptions())


def export_text(conversations: Sequence[Conversation], fmt: str) -> str:
    """The export of ``conversations`` in a text format (every format but ``pdf``) as a string.

    Raises:
        ExportError: see :func:`export_bytes`; also a format whose output is not text.
    """
    writer = writer_for(fmt)
    if not writer.text:
        raise ExportError(f"{writer.label} is not a text format")
    return export_bytes(conversations, fmt).data.decode("utf-8")


def write_export(conversations: Sequence[Conversation], fmt: str, path: str | os.PathLike[str],
                 options: ExportOptions | None = None) -> Rendered:
    """Write the export atomically: the file at ``path`` is either the whole export or left as it was.

    Returns:
        what was written, with its warnings (for the caller to show).

    Raises:
        ExportError: see :func:`export_bytes`.
        llmdesk.core.atomic.WriteError: the folder is unwritable, the disk is full...; no partial file is left.
    """
    rendered = export_bytes(conversations, fmt, options)
    atomic_write_bytes(path, rendered.data)
    return rendered


def outline_writer(name: str, render: Callable[[Outline], str]) -> Writer:
    """A text writer that renders the outline of the conversations."""
    return Writer(name, lambda convs, _options: Rendered(render(build_outline(convs)).encode("utf-8")))


def data_writer(name: str, render: Callable[[Sequence[Conversation]], str]) -> Writer:
    """A text writer that works from the conversations themselves (JSON, JSONL)."""
    return Writer(name, lambda convs, _options: Rendered(render(convs).encode("utf-8")))


register(outline_writer("md", render_markdown))
register(outline_writer("html", render_html))
register(outline_writer("txt", render_text))
register(data_writer("json", data.to_json))
register(data_writer("openai-jsonl", data.to_openai_jsonl))
register(data_writer("sharegpt-jsonl", data.to_sharegpt_jsonl))
