"""PDF export through Qt's PDF writer: real text on readable pages, one message per page, monospace code."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pypdf
import pytest

from llmdesk.core.atomic import WriteError
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import ExportError
from llmdesk.core.export import ExportOptions, export_bytes, write_export
from llmdesk.core.export import build_outline
from tests.support.export_samples import (
    FIDELITY_USER,
    branched_conversation,
    fidelity_conversation,
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a PDF pypdf has to repair (xref, objects) fails the test
        reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
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
    from llmdesk.gui.export import pdf_export

    monkeypatch.setattr(pdf_export, "MAX_DOCUMENT_CHARS", 400)  # Qt's layout limit, scaled down to test it
    lines = [f"line {k:04d} of a very long reply" for k in range(300)]
    conv = Conversation(title="long")
    conv.add(Message("assistant", "\n".join(lines[:150]) + "\n\n```text\n" + "\n".join(lines[150:]) + "\n```",
                     stop_reason="eos"))
    pages = _pages(to_pdf_bytes([conv]))
    text = " ".join(pages)
    assert all(line in text for line in lines)
    assert len(pages) > 2


# -- exports that look like the chat, with a text layer that holds what was exported -------------------------------


def test_pdf_renders_the_reply_like_the_chat_and_shows_the_user_text_as_typed(qapp) -> None:
    user_page, reply_page = _pages(to_pdf_bytes([fidelity_conversation()]))  # the first message joins the title
    for line in FIDELITY_USER.split("\n"):
        assert _flat(line) in _flat(user_page), line  # "# not a heading", "__init__", "**kwargs" as typed
    flat = _flat(reply_page)
    for shown in ("Here is a summary:", "Option", "Cost", "cheap", "dear", "first point", "quoted advice",
                  "See the docs (https://example.com)."):
        assert _flat(shown) in flat, shown
    for raw in ("**", "|", "[the docs](", "*cheap*", "---"):
        assert raw not in reply_page, raw


def test_pdf_draws_tables_lists_and_emphasis_with_their_own_formats(qapp) -> None:
    fonts = _fonts(to_pdf_bytes([fidelity_conversation()]))
    assert any("Bold" in f for f in fonts) and any("Oblique" in f or "Italic" in f for f in fonts), fonts


def _family_covering(text: str) -> str | None:
    from PySide6.QtGui import QFont, QFontDatabase, QRawFont

    for family in QFontDatabase.families():
        raw = QRawFont.fromFont(QFont(family))
        if all(raw.supportsCharacter(ord(ch)) for ch in text):
            return family
    return None


# Among them the ideographs Noto Sans CJK shares with Kangxi radicals (人 一 日 生 大 子 女 山 水 火 ...), which
# Qt's own ToUnicode map turns into U+2F08, U+2F00, ...; and Hangul, kana and CJK punctuation.
CJK_SAMPLES = {
    "ko": "한국어 텍스트 처리와 임베딩 인코더를 검색합니다.",
    "zh": "我们的中国人是这个一个不在有了他来说大子女山水火月日生长。",
    "ja": "日本語のテキストです。私は学生です。東京都に住んでいる人。カタカナ、ひらがな。",
}


@pytest.fixture
def cjk_font(qapp) -> str:
    family = _family_covering("中한あ")
    if family is None:
        pytest.skip("no installed font covers Chinese, Japanese and Korean (apt-get install fonts-noto-cjk)")
    return family


def _cjk_conversation() -> Conversation:
    conv = Conversation(title="多言語 다국어 多语言")
    parent = None
    for lang, text in CJK_SAMPLES.items():
        user = conv.add(Message("user", text, parent_id=parent))
        reply = conv.add(Message("assistant", f"**{lang}**: {text}\n\n| 列 | 열 |\n|---|---|\n| {text[:4]} | 값 |",
                                 parent_id=user.id, stop_reason="eos"))
        parent = reply.id
    return conv


def test_pdf_text_layer_gives_back_korean_chinese_and_japanese_with_pypdf(cjk_font: str) -> None:
    text = _flat(" ".join(_pages(to_pdf_bytes([_cjk_conversation()]))))
    assert _flat("多言語 다국어 多语言") in text
    for lang, sample in CJK_SAMPLES.items():
        assert text.count(_flat(sample)) == 2, lang  # the user's message and the reply that repeats it
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text)  # no radical stands in for an ideograph


def test_pdf_text_layer_gives_back_korean_chinese_and_japanese_with_pdftotext(cjk_font: str, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "cjk.pdf"
    write_export([_cjk_conversation()], "pdf", path)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    text = _flat(out.stdout.decode("utf-8"))
    for lang, sample in CJK_SAMPLES.items():
        assert text.count(_flat(sample)) == 2, lang


def test_pdf_text_layer_names_glyphs_reached_only_from_outside_the_bmp(qapp) -> None:
    rare = "𩸽𠀋"  # hokke, and an ideograph of Japanese names: CJK Extension B
    if _family_covering(rare) is None:
        pytest.skip("no installed font covers CJK Extension B")
    conv = Conversation(title="rare")
    conv.add(Message("user", f"魚は{rare}です"))
    assert f"魚は{rare}です" in _flat(" ".join(_pages(to_pdf_bytes([conv]))))


def test_pdf_export_says_when_no_installed_font_covers_a_script(qapp, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    candidates = ["\U00013000\U00013001", "\u1c5a\u1c5b", "\U00010380\U00010381", "\ua984\ua985"]
    uncovered = next((c for c in candidates if all(_family_covering(ch) is None for ch in c)), None)
    if uncovered is None:
        pytest.skip("every candidate script is covered by an installed font")
    conv = Conversation(title="scripts")
    conv.add(Message("user", f"plain words and {uncovered}"))
    rendered = export_bytes([conv], "pdf")
    assert len(rendered.warnings) == 1
    assert "No installed font has" in rendered.warnings[0] and uncovered[0] in rendered.warnings[0]
    assert not export_bytes([simple_conversation()], "pdf").warnings

    from llmdesk.__main__ import main
    from llmdesk.core.store import ConversationStore

    with ConversationStore() as store:
        store.save_conversation(conv)
    assert main(["export", "--all", "--output", str(tmp_path / "s.pdf")]) == 0
    assert "warning: No installed font has" in capsys.readouterr().err


def test_to_unicode_maps_read_and_write_back() -> None:
    from llmdesk.gui.export.pdf_text_layer import parse_to_unicode, write_to_unicode

    qt_style = (b"2 beginbfrange\n<0000> <0000> <0000>\n<0001> <0003> [<0041> <2F08> <D867DE3D>]\nendbfrange\n"
                b"1 beginbfrange\n<0010> <0012> <0061>\nendbfrange\n1 beginbfchar\n<0020> <00660066>\nendbfchar\n")
    mapping = parse_to_unicode(qt_style)
    assert mapping == {0: "", 1: "A", 2: "\u2f08", 3: "𩸽", 16: "a", 17: "b", 18: "c", 32: "ff"}
    assert parse_to_unicode(write_to_unicode(mapping)) == {k: v for k, v in mapping.items() if v}


def test_a_latin_pdf_is_left_as_qt_wrote_it(qapp, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmdesk.gui.export import pdf_export

    seen: list[bytes] = []
    real = pdf_export.fix_text_layer
    monkeypatch.setattr(pdf_export, "fix_text_layer", lambda pdf, layer: seen.append(real(pdf, layer) == pdf))
    export_bytes([branched_conversation()], "pdf")
    assert seen == [True]


def test_pdf_marks_the_reasoning_before_the_answer(qapp) -> None:
    from tests.core.test_export_reasoning import reasoning_conversation

    pages = _pages(to_pdf_bytes([reasoning_conversation()]))
    reply = pages[1]
    assert "Reasoning" in reply and "add them" in reply and "Answer" in reply
    assert reply.index("Reasoning") < reply.index("add them") < reply.index("Answer") < reply.rindex("4")
    assert "Reasoning" not in pages[3]
