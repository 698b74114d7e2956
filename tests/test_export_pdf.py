"""PDF export through Qt's PDF writer: real text on readable pages, one message per page, monospace code."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf
import pytest

from llmdesk.core.atomic import WriteError
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import ExportError
from llmdesk.core.export import ExportOptions, export_bytes, write_export
from llmdesk.core.export import build_outline
from tests.export_samples import (
    branched_conversation,
    hostile_conversation,
    simple_conversation,
    visible_lines,
)


def to_pdf_bytes(conversations, *, page_break_between_messages: bool = True) -> bytes:
    """The PDF export through the registry, as the window and the command line make it."""
    return export_bytes(conversations, "pdf", ExportOptions(page_break_between_messages)).data


def write_pdf(conversations, path) -> None:
    write_export(conversations, "pdf", path)


def _flat(text: str) -> str:
    # extractors put spaces and line ends between runs in different fonts: compare without any whitespace
    return "".join(text.split())


def _words(text: str) -> str:
    # text extraction turns spacing into tabs and newlines: compare word sequences
    return " ".join(text.split())


def _pages(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [_words(page.extract_text()) for page in reader.pages]


def _fonts(pdf: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def test_pdf_text_holds_every_message_one_per_page(qapp) -> None:
    convs = [branched_conversation(), simple_conversation()]
    pdf = to_pdf_bytes(convs)
    assert pdf.startswith(b"%PDF")
    pages = _pages(pdf)
    shown = [m for c in convs for m in c.path()]
    assert len(pages) == len(shown)  # each message starts a page, and these are short
    outline = build_outline(convs)
    for page, msg in zip(pages, [m for c in outline.conversations for m in c.messages], strict=True):
        # every line a reader sees of the message is on its page (code lines included, the fences are not)
        for line in visible_lines(msg.blocks):
            assert _flat(line) in _flat(page), (msg.id, line)
    assert "Four." not in " ".join(pages)  # another branch, not on show
    assert pages[0].startswith("Branches & <things> Started")
    assert all(page.endswith(f" {k}") for k, page in enumerate(pages, start=1))  # page numbers
    assert "local/tiny" in pages[2]


def test_pdf_code_blocks_are_monospace(qapp) -> None:
    conv = Conversation(title="code")
    conv.add(Message("assistant", "Text\n\n```python\nprint('x')\n```\n", stop_reason="eos"))
    fonts = _fonts(to_pdf_bytes([conv]))
    assert any("Mono" in f for f in fonts), fonts
    assert any("Mono" not in f for f in fonts), fonts
    plain = Conversation(title="no code")
    plain.add(Message("user", "just words"))
    assert not any("Mono" in f for f in _fonts(to_pdf_bytes([plain])))


def test_pdf_shows_markup_as_text(qapp) -> None:
    text = " ".join(_pages(to_pdf_bytes([hostile_conversation()])))
    assert "<script>alert('x')</script>" in text
    assert '<img src=x onerror="alert(1)">' in text


def test_pdf_without_page_breaks_runs_messages_on(qapp) -> None:
    convs = [branched_conversation(), simple_conversation()]
    pages = _pages(to_pdf_bytes(convs, page_break_between_messages=False))
    assert len(pages) < sum(len(c.path()) for c in convs)
    assert pages[0].startswith("Branches & <things>") and pages[-1].startswith("Second chat")  # a page each
    assert "You are terse. User Show code Assistant" in pages[0]


def test_write_pdf_is_atomic(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "chat.pdf"
    write_pdf([simple_conversation()], target)
    assert target.read_bytes().startswith(b"%PDF")
    before = target.read_bytes()

    def full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError, match="No space left on device"):
        write_pdf([branched_conversation()], target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["chat.pdf"]


def test_pdf_of_nothing_is_refused(qapp) -> None:
    with pytest.raises(ExportError, match="nothing to export"):
        to_pdf_bytes([])


def test_cli_exports_pdf(tmp_path: Path, qapp) -> None:
    from llmdesk.__main__ import main
    from llmdesk.core.store import ConversationStore

    with ConversationStore() as store:
        store.save_conversation(simple_conversation())
    out = tmp_path / "chat.pdf"
    assert main(["export", "--all", "--output", str(out)]) == 0
    assert "Hi! How can I help?" in " ".join(_pages(out.read_bytes()))


def test_long_message_is_split_across_documents_without_losing_text(qapp, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmdesk.gui import pdf_export

    monkeypatch.setattr(pdf_export, "MAX_DOCUMENT_CHARS", 400)  # Qt's layout limit, scaled down to test it
    lines = [f"line {k:04d} of a very long reply" for k in range(300)]
    conv = Conversation(title="long")
    conv.add(Message("assistant", "\n".join(lines[:150]) + "\n\n```text\n" + "\n".join(lines[150:]) + "\n```",
                     stop_reason="eos"))
    pages = _pages(to_pdf_bytes([conv]))
    text = " ".join(pages)
    assert all(line in text for line in lines)
    assert len(pages) > 2
