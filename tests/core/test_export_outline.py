"""The export's document model and registry, and exports that look like the chat (case 06: export fidelity).

The outline is built once from the conversations; every writer renders it; the registry is the one place that maps
a format to its writer, and the command line and the window export through it.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from llmdesk.core import export
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import outline as o
from llmdesk.core.export import registry
from tests.support.export_samples import (
    CASE_06,
    FIDELITY_REPLY,
    FIDELITY_USER,
    branched_conversation,
    fidelity_conversation,
    simple_conversation,
)

# -- the outline ----------------------------------------------------------------------------------------------------


def test_case_file_matches_the_sample_the_tests_use() -> None:
    if not CASE_06.exists():
        pytest.skip("shared/cases is not beside this checkout")
    messages = json.loads(CASE_06.read_text(encoding="utf-8").splitlines()[0])["messages"]
    assert [m["content"] for m in messages] == [FIDELITY_USER, FIDELITY_REPLY]


def test_outline_of_a_reply_has_its_blocks_and_the_user_text_is_verbatim() -> None:
    outline = export.build_outline([fidelity_conversation()])
    assert outline.title == "Export fidelity"
    (conv,) = outline.conversations
    assert conv.started == "2026-09-21 14:13 UTC" and conv.updated
    user, reply = conv.messages
    assert (user.role, user.label, user.note, user.markdown) == ("user", "User", "", False)
    assert user.blocks == (o.Verbatim(FIDELITY_USER),)
    assert (reply.label, reply.note) == ("Assistant", "m")
    assert reply.blocks == (
        o.Paragraph((o.Span("Here is a "), o.Span("summary", bold=True), o.Span(":"))),
        o.Table(header=((o.Span("Option"),), (o.Span("Cost"),)),
                rows=(((o.Span("A"),), (o.Span("cheap", italic=True),)), ((o.Span("B"),), (o.Span("dear"),))),
                align=("", "")),
        o.ListBlock(False, ((o.Paragraph((o.Span("first point"),)),), (o.Paragraph((o.Span("second point"),)),))),
        o.Quote((o.Paragraph((o.Span("quoted advice"),)),)),
        o.Paragraph((o.Span("See "), o.Span("the docs", href="https://example.com"), o.Span("."))),
    )
    assert o.inline_text(reply.blocks[-1].spans) == "See the docs (https://example.com)."


def test_outline_reads_headings_code_ordered_lists_rules_and_keeps_html_and_images_as_text() -> None:
    blocks = o.parse_markdown(
        "# Title\n\n3. three\n4. four\n\n   ```py\n   x = 1\n   ```\n\n---\n\n"
        "<div onclick=x>raw</div>\n\n![a chart](https://e.x/c.png) and `a<b` ~~old~~\n\n"
        "| L | C | R |\n|:--|:-:|--:|\n| 1 | 2 |\n\n```rust\nfn cut_off() {")
    heading, numbered, rule, html_block, para, table, code = blocks
    assert heading == o.Heading(1, (o.Span("Title"),))
    assert numbered.ordered and numbered.start == 3 and not numbered.tight
    assert numbered.items[1] == (o.Paragraph((o.Span("four"),)), o.CodeBlock("py", "x = 1\n"))
    assert rule == o.Rule()
    assert html_block == o.Paragraph((o.Span("<div onclick=x>raw</div>"),))  # raw HTML is text, as in the chat
    assert para.spans == (o.Span("a chart", href="https://e.x/c.png", image=True), o.Span(" and "),
                          o.Span("a<b", code=True), o.Span(" "), o.Span("old", strike=True))
    assert table.align == ("left", "center", "right")
    assert table.rows == (((o.Span("1"),), (o.Span("2"),), ()),)  # a short row is padded by the parser
    assert code == o.CodeBlock("rust", "fn cut_off() {\n")  # a reply cut off inside code: closed


def test_outline_walks_only_the_path_on_show() -> None:
    conv = branched_conversation()
    outline = export.build_outline([conv, Conversation(title="  ")])
    assert [m.id for m in outline.conversations[0].messages] == [m.id for m in conv.path()]
    assert outline.title == "2 conversations"
    assert outline.conversations[1].title == "Untitled" and outline.conversations[1].messages == ()
    system = outline.conversations[0].messages[0]
    assert system.blocks == (o.Verbatim("You are terse."),) and not system.markdown


# -- the registry ---------------------------------------------------------------------------------------------------


def test_every_format_has_exactly_one_writer(qapp) -> None:
    for fmt, (ext, label) in export.FORMATS.items():
        writer = registry.writer_for(fmt)
        assert (writer.name, writer.extension, writer.label) == (fmt, ext, label)
        assert writer.text == (fmt != "pdf")
    with pytest.raises(export.ExportError, match="unknown export format 'docx'"):
        registry.writer_for("docx")
    with pytest.raises(export.ExportError, match="unknown format 'docx'"):
        registry.register(registry.Writer("docx", lambda c, o: registry.Rendered(b"")))
    with pytest.raises(export.ExportError, match="PDF is not a text format"):
        export.export_text([simple_conversation()], "pdf")


def test_a_writer_that_cannot_be_loaded_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(registry._WRITERS, "pdf", raising=False)
    monkeypatch.setitem(registry.PROVIDERS, "pdf", "llmdesk.no_such_module")
    with pytest.raises(export.ExportError, match=r"PDF export needs Qt \(PySide6\), which could not be loaded"):
        export.export_bytes([simple_conversation()], "pdf")


def _stand_in(monkeypatch: pytest.MonkeyPatch, fmt: str) -> list[int]:
    """Replace the writer for ``fmt`` by one that records its calls: whoever exports through the registry
    writes its bytes."""
    calls: list[int] = []

    def render(conversations, options):
        calls.append(len(conversations))
        return registry.Rendered(b"stand-in " + fmt.encode(), ("a warning from the writer",))

    monkeypatch.setitem(registry._WRITERS, fmt, registry.Writer(fmt, render))
    return calls


def test_the_command_line_exports_through_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from llmdesk.__main__ import main
    from llmdesk.core.store import ConversationStore

    with ConversationStore() as store:
        store.save_conversation(simple_conversation())
    calls = _stand_in(monkeypatch, "html")
    out = tmp_path / "chat.html"
    assert main(["export", "--all", "--output", str(out)]) == 0
    assert out.read_bytes() == b"stand-in html" and calls == [1]
    assert "warning: a warning from the writer" in capsys.readouterr().err


def test_the_window_exports_through_the_registry(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmdesk.core.store import ConversationStore
    from llmdesk.gui.export.export_dialog import ConversationTransfer

    calls = _stand_in(monkeypatch, "md")
    with ConversationStore() as store:
        store.save_conversation(simple_conversation())
        transfer = ConversationTransfer(store)
        warned: list[str] = []
        monkeypatch.setattr(transfer, "_warn", lambda title, text: warned.append(text))
        rendered = transfer.export_to([simple_conversation().id], "md", tmp_path / "a.md")
    assert (tmp_path / "a.md").read_bytes() == b"stand-in md" and calls == [1]
    assert rendered.warnings == ("a warning from the writer",)


# -- Markdown: the user's text exactly as typed ---------------------------------------------------------------------


class _Shown(HTMLParser):
    """The text a reader sees in an HTML fragment; ``<br>`` is a line end; ``section`` collects one element's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def _commonmark_shows(markdown: str) -> str:
    """What markdown-it's CommonMark reader shows for ``markdown`` (one block: a paragraph or a code block)."""
    rendered = MarkdownIt("commonmark").render(markdown).replace("<br />\n", "<br />")
    parser = _Shown()
    parser.feed(rendered)
    parser.close()
    shown = "".join(parser.parts)
    if not rendered:
        return ""
    ends = "\n\n" if rendered.startswith("<pre>") else "\n"  # a code block's last line end, then the block's
    assert shown.endswith(ends), rendered
    return shown[:-len(ends)]


def _qt_shows(markdown: str) -> str:
    """What Qt's Markdown reader (md4c, a second CommonMark implementation) shows for ``markdown``."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setMarkdown(markdown, QTextDocument.MarkdownFeature.MarkdownDialectCommonMark)
    return doc.toPlainText()


def test_markdown_export_shows_the_user_text_verbatim_and_renders_the_reply() -> None:
    markdown = export.to_markdown([fidelity_conversation()])
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    # the user's text makes no heading, emphasis, list or HTML: only the exporter's own headings
    headings = [tokens[k + 1].content for k, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Export fidelity", "User", "Assistant · m"]
    user_md = export.verbatim_markdown(FIDELITY_USER)
    assert user_md in markdown
    assert _commonmark_shows(user_md) == FIDELITY_USER
    # the reply keeps its Markdown: a CommonMark reader makes its table, list, quote and link
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert {"table_open", "bullet_list_open", "blockquote_open", "link_open", "strong_open"} <= kinds


@pytest.mark.parametrize("text", [
    FIDELITY_USER,
    "__init__ and *args* and **kw**",
    "# not a heading\n## nor this\nSetext?\n===\n---\n***",
    "1. one\n2) two\n- dash\n+ plus\n* star\n> quote",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[link](https://e.x) ![img](x.png) <https://auto.link> <b>bold</b> &amp; &copy; \\escaped",
    "    indented code?\n\ttabbed\nend  \n",
    "```python\nprint('a fence the user typed')\n```",
    "line one\n\n\nline four after two blank lines",
    "trailing backslash \\",
    "~~~\n~~strike~~ `code` ``double``",
])
def test_user_text_is_shown_verbatim_by_two_commonmark_readers(qapp, text: str) -> None:
    markdown = export.verbatim_markdown(text)
    assert _commonmark_shows(markdown) == text.rstrip("\n")
    assert _qt_shows(markdown) == text.rstrip("\n").replace("\t", "    ")  # Qt's reader turns tabs into spaces


_TRICKY = st.text(alphabet=st.sampled_from(list("ab 1.)*_`~#|<>[]()!&\\-+=:;'\"\t\n") + ["é", "中", "\u2028"]),
                  max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TRICKY)
def test_any_user_text_survives_a_commonmark_reader(text: str) -> None:
    assert _commonmark_shows(export.verbatim_markdown(text)) == text.rstrip("\n")


# -- HTML: replies rendered as in the chat, the user's text as typed ------------------------------------------------


class _Elements(HTMLParser):
    """Tags, and the text inside each ``article``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.articles: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag == "article":
            self.articles.append("")
            self._depth = 1
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data) -> None:
        if self.articles:
            self.articles[-1] += data


def test_html_renders_the_reply_like_the_chat_and_shows_the_user_text_as_typed() -> None:
    page = export.to_html([fidelity_conversation()])
    parsed = _Elements()
    parsed.feed(page)
    user, reply = parsed.articles
    assert user.strip().startswith("User") and f"\n{FIDELITY_USER}\n" in user
    for tag in ("table", "thead", "th", "td", "ul", "li", "blockquote", "strong", "em"):
        assert tag in parsed.tags, tag
    assert "a" not in parsed.tags  # links are never live
    assert "the docs (https://example.com)" in reply
    for raw in ("**", "|", "[the docs](", "- first", "> quoted"):
        assert raw not in reply, raw
    assert '<p class="verbatim">' in page  # pre-wrap: line breaks and spaces shown as typed


def test_html_table_alignment_uses_classes_the_policy_allows() -> None:
    conv = Conversation(title="t")
    conv.add(Message("assistant", "| L | R |\n|:--|--:|\n| a | b |"))
    page = export.to_html([conv])
    assert '<th class="al-left">L</th><th class="al-right">R</th>' in page
    assert "style=" not in page  # the CSP allows only the hashed style sheet
