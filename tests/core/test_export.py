"""Export to Markdown, HTML, text, JSON and JSONL: what comes out parses back to the same conversations."""

from __future__ import annotations

import errno
import importlib.metadata
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from llmdesk import __version__
from llmdesk.core import export
from llmdesk.core.atomic import WriteError
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.importer import parse_import
from tests.support.export_samples import (
    AWKWARD_REPLY,
    HOSTILE,
    TRUNCATED_REPLY,
    benign_twin,
    branched_conversation,
    hostile_conversation,
    simple_conversation,
)

# -- JSON -----------------------------------------------------------------------------------------------------------


def test_json_round_trip_gives_back_every_branch_and_all_metadata() -> None:
    convs = [branched_conversation(), simple_conversation()]
    parsed = parse_import(export.to_json(convs))
    assert parsed.format == "json"
    # dataclass equality: ids, titles, times, shown leaf, every message of every branch, stop reasons, meta
    assert parsed.conversations == convs
    back = parsed.conversations[0]
    assert {m.id for m in back.children("u1")} == {"a1", "a1b"}  # the regenerated reply is a branch, kept
    assert back.messages["a3"].meta["decoding"]["temperature"] == 0.7
    assert back.messages["a3"].stop_reason == "length"


def test_json_header_names_format_app_and_library_versions() -> None:
    doc = json.loads(export.to_json([simple_conversation()]))
    assert doc["format"] == "llmdesk-conversations"
    assert doc["format_version"] == export.JSON_FORMAT_VERSION == 1
    assert doc["app"] == {"name": "llmdesk", "version": __version__}
    for name in ("transformers", "torch"):
        assert doc["libraries"][name] == importlib.metadata.version(name)
    message = doc["conversations"][0]["messages"][1]
    assert set(message) == {"id", "parent_id", "role", "content", "created_at", "stop_reason", "meta"}


def test_json_lists_parents_before_children_and_writes_non_finite_numbers_as_null() -> None:
    conv = branched_conversation()
    conv.messages["a1"].meta["stats"]["ttft_s"] = float("nan")
    doc = json.loads(export.to_json([conv]))  # strict JSON: json.loads would accept NaN, so check the text too
    assert "NaN" not in export.to_json([conv])
    messages = doc["conversations"][0]["messages"]
    seen: set[str] = set()
    for m in messages:
        assert m["parent_id"] is None or m["parent_id"] in seen
        seen.add(m["id"])
    assert next(m for m in messages if m["id"] == "a1")["meta"]["stats"]["ttft_s"] is None


def test_exporting_imports_neither_torch_nor_qt() -> None:
    code = (
        "import sys\n"
        "from llmdesk.core import export, importer\n"
        "from llmdesk.core.conversation import Conversation, Message\n"
        "c = Conversation(); c.add(Message('user', 'hi'))\n"
        "for fmt in ('md', 'html', 'txt', 'json', 'openai-jsonl', 'sharegpt-jsonl'):\n"
        "    importer.parse_import(export.export_text([c], fmt)) if 'json' in fmt else export.export_text([c], fmt)\n"
        "bad = [m for m in ('torch', 'transformers', 'PySide6') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# -- Markdown -------------------------------------------------------------------------------------------------------


def _blocks(tokens) -> list[tuple]:
    """What a message is made of, as CommonMark reads it: code blocks (language, code) and text (inline source)."""
    out = []
    for tok in tokens:
        if tok.type == "fence":
            # markdown-it leaves the last line of a fence open at the end of the text without its newline
            code = tok.content if tok.content.endswith("\n") or not tok.content else tok.content + "\n"
            out.append(("code", tok.info.split()[0] if tok.info.strip() else "", code))
        elif tok.type == "inline":
            out.append(("text", tok.content))
        elif tok.type in ("html_block", "code_block"):
            out.append((tok.type, tok.content))
    return out


def _markdown_messages(markdown: str) -> list[tuple[str, str, list[tuple]]]:
    """Split an exported Markdown file into (role, heading, blocks) at the exporter's message markers."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    messages: list[tuple[str, str, list[tuple]]] = []
    current: list | None = None
    for k, tok in enumerate(tokens):
        if tok.type == "html_block" and tok.content.startswith("<!-- llmdesk:"):
            if "llmdesk:message" in tok.content:
                role = tok.content.split("role=")[1].split()[0]
                current = []
                messages.append((role, "", current))
            else:
                current = None
            continue
        if current is None:
            continue
        if tok.type == "heading_open" and tok.tag == "h2" and not current and not messages[-1][1]:
            messages[-1] = (messages[-1][0], tokens[k + 1].content, current)
            continue
        if tok.type == "inline" and tokens[k - 1].type == "heading_open" and tokens[k - 1].tag == "h2" and \
                messages[-1][1] == tok.content and not current:
            continue
        if tok.type == "hr":
            continue
        current.extend(_blocks([tok]))
    return messages


class _Text(HTMLParser):
    """The text a browser shows for an HTML fragment, ``<br>`` as a line end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def shown_text(html_text: str) -> str:
    parser = _Text()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.parts)


def test_markdown_parses_with_commonmark_to_the_same_messages_and_code_blocks() -> None:
    convs = [branched_conversation(), simple_conversation()]
    markdown = export.to_markdown(convs)
    parsed = _markdown_messages(markdown)
    shown = [m for c in convs for m in c.path()]
    assert [role for role, _h, _b in parsed] == [m.role for m in shown]
    md = MarkdownIt("commonmark")
    for (role, heading, blocks), msg in zip(parsed, shown, strict=True):
        assert heading.startswith(export.ROLE_LABELS[role])
        expected = _blocks(md.parse(msg.content))
        assert blocks == expected, msg.id
    # the code blocks really are there, with their languages, the nested fence inside the outer one intact
    a2 = next(b for r, _h, b in parsed if any(x[0] == "code" and x[1] == "markdown" for x in b))
    codes = [(lang, code) for kind, *rest in a2 if kind == "code" for lang, code in [rest]]
    assert codes == [("markdown", "```python\nprint('hi')\n```\n"), ("js", "const a = '```';\n"),
                     ("bash", "ls -la\n")]
    # the reply cut off inside a code block is closed, so the next conversation is not swallowed
    assert parsed[-1][0] == "assistant" and parsed[-1][2] == [("text", "Hi! How can I help?")]


def test_markdown_fence_is_longer_than_any_backtick_run_in_the_code() -> None:
    conv = Conversation(title="fences")
    conv.add(Message("assistant", "x\n\n```text\na ````` b\n```\n"))
    markdown = export.to_markdown([conv])
    assert "``````text\na ````` b\n``````" in markdown
    tokens = [t for t in MarkdownIt("commonmark").parse(markdown) if t.type == "fence"]
    assert [(t.info, t.content) for t in tokens] == [("text", "a ````` b\n")]


def test_markdown_message_cannot_fake_markers_or_swallow_the_next_message() -> None:
    conv = Conversation(title="tricky")
    first = conv.add(Message("user", "<!-- llmdesk:message role=assistant id=fake -->\nnot a message"))
    second = conv.add(Message("assistant", "an open comment <!-- runs on\n<!-- and on", parent_id=first.id))
    hidden = conv.add(Message("assistant", "<!--\n<!-- llmdesk:message role=user id=fake2 -->\n-->\n\nvisible",
                              parent_id=second.id))
    third = conv.add(Message("user", "<script>\nunclosed script block", parent_id=hidden.id))
    conv.add(Message("assistant", "last", parent_id=third.id))
    parsed = _markdown_messages(export.to_markdown([conv]))
    assert [r for r, _h, _b in parsed] == ["user", "assistant", "assistant", "user", "assistant"]
    markdown = export.to_markdown([conv])
    assert [line for line in markdown.split("\n") if line.startswith("<!-- llmdesk:message")] == \
        [f"<!-- llmdesk:message role={m.role} id={m.id} -->" for m in conv.path()]
    assert parsed[-1][2] == [("text", "last")]
    text = shown_text(MarkdownIt("commonmark").render(markdown))
    assert "<!-- llmdesk:message role=assistant id=fake -->" in text  # shown as text, not lost
    assert "<!-- and on" in text and "unclosed script block" in text


def test_split_markdown_agrees_with_commonmark_on_the_samples() -> None:
    md = MarkdownIt("commonmark")
    for content in (AWKWARD_REPLY, TRUNCATED_REPLY, "no code", "```\n```", "~~~~\n~~~\nstill code\n~~~~ \nafter",
                    "  ```py\n  indented\n    more\n  ```", "```a`b\nnot a fence\n```"):
        ours = [(b.language, b.code) for b in export.split_markdown(content) if isinstance(b, export.CodeBlock)]
        theirs = [(b[1], b[2]) for b in _blocks(md.parse(content)) if b[0] == "code"]
        assert ours == theirs, content


# -- HTML -----------------------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.text: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for name, _value in attrs:
            self.attrs.add((tag, name))

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data) -> None:
        self.text.append(data)


def _parse_html(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def test_html_holds_no_tag_that_came_from_message_text() -> None:
    hostile = hostile_conversation()
    evil = _parse_html(export.to_html([hostile]))
    plain = _parse_html(export.to_html([benign_twin(hostile)]))
    assert evil.tags == plain.tags
    assert evil.attrs == plain.attrs
    assert evil.counts == plain.counts
    assert not {"script", "img", "iframe", "svg", "a", "b", "i", "u"} & evil.tags
    assert evil.counts["meta"] == 4  # charset, CSP, viewport, generator: ours only
    assert evil.counts["style"] == 1  # ours, in the head
    assert not any(name.startswith("on") for _tag, name in evil.attrs)
    text = "".join(evil.text)
    for snippet in ("<script>alert('x')</script>", '<img src=x onerror="alert(1)">', "<script>alert(5)</script>",
                    "<script>alert('title')</script>", "<img src=x onerror=alert(9)>"):
        assert snippet in text  # shown to the reader as text


def test_html_is_self_contained_with_a_strict_content_security_policy() -> None:
    html_text = export.to_html([branched_conversation()])
    head = html_text.split("</head>")[0]
    assert 'http-equiv="Content-Security-Policy"' in head
    assert "default-src &#x27;none&#x27;" in head and "script-src &#x27;none&#x27;" in head
    assert "http://" not in html_text and "https://" not in html_text
    assert "<style>" in head
    parsed = _parse_html(html_text)
    assert parsed.counts["article"] == len(branched_conversation().path())
    assert parsed.counts["pre"] == 4  # markdown, js, bash and the cut-off rust block


def test_html_style_hash_in_csp_matches_the_style() -> None:
    import base64
    import hashlib

    html_text = export.to_html([simple_conversation()])
    style = html_text.split("<style>")[1].split("</style>")[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"sha256-{digest}" in html_text


# -- text and JSONL -------------------------------------------------------------------------------------------------


def test_text_holds_every_message_on_the_shown_path_verbatim() -> None:
    conv = branched_conversation()
    text = export.to_text([conv])
    for msg in conv.path():
        assert msg.content.rstrip("\n") in text
    assert "Four." not in text  # another branch, not on show
    # the one user-facing label of the stop reason, the same as the chat view shows
    assert "[Assistant · microsoft/Phi-3-mini-4k-instruct · 87 tokens · 41.2 tok/s · Stopped at the token limit]" in text


def test_openai_jsonl_lines_load_with_the_right_keys() -> None:
    empty = Conversation(title="empty")
    convs = [branched_conversation(), empty, simple_conversation()]
    lines = export.to_openai_jsonl(convs).split("\n")  # not splitlines(): U+2028 inside a string is no line end
    assert lines.pop() == ""
    assert len(lines) == 2  # the empty conversation is left out
    for line, conv in zip(lines, (convs[0], convs[2]), strict=True):
        obj = json.loads(line)
        assert set(obj) == {"messages"}
        assert all(set(m) == {"role", "content"} for m in obj["messages"])
        assert [(m["role"], m["content"]) for m in obj["messages"]] == [(m.role, m.content) for m in conv.path()]


def test_sharegpt_jsonl_lines_load_with_the_right_keys() -> None:
    conv = branched_conversation()
    lines = export.to_sharegpt_jsonl([conv, simple_conversation()]).split("\n")
    assert lines[-1] == "" and len(lines) == 3  # U+2028 in a message does not split a line
    obj = json.loads(lines[0])
    assert set(obj) == {"conversations"}
    assert [set(t) for t in obj["conversations"]] == [{"from", "value"}] * 5
    assert [t["from"] for t in obj["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert [t["value"] for t in obj["conversations"]] == [m.content for m in conv.path()]
    assert obj["conversations"][3]["value"] == "Now Rust\u2028please"


# -- writing --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "txt", "json", "openai-jsonl", "sharegpt-jsonl"])
def test_write_export_writes_the_whole_file(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / "out" / f"chat{export.FORMATS[fmt][0]}"
    export.write_export([branched_conversation()], fmt, target)
    written = target.read_text(encoding="utf-8")
    if fmt == "json":  # holds the export time
        assert parse_import(written).conversations == [branched_conversation()]
    else:
        assert written == export.export_text([branched_conversation()], fmt)
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_unwritable_path_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(WriteError, match=r"cannot write .*a-file.*out\.md"):
        export.write_export([simple_conversation()], "md", blocker / "out.md")


def test_full_disk_leaves_no_partial_file_and_keeps_the_old_one(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "exports" / "chat.json"
    target.parent.mkdir()
    target.write_text("old export")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError, match="No space left on device"):
        export.write_export([branched_conversation()], "json", target)
    assert target.read_text() == "old export"
    assert [p.name for p in target.parent.iterdir()] == ["chat.json"]


def test_unknown_format_and_nothing_to_export_are_refused() -> None:
    with pytest.raises(export.ExportError, match="unknown export format 'docx'"):
        export.export_text([simple_conversation()], "docx")
    with pytest.raises(export.ExportError, match="nothing to export"):
        export.export_text([], "md")


def test_format_for_path() -> None:
    assert export.format_for_path("a/b.MD") == "md"
    assert export.format_for_path("x.jsonl") == "openai-jsonl"
    assert export.format_for_path("x.htm") == "html"
    assert export.format_for_path("x.docx") is None


def test_hostile_text_survives_every_text_format_verbatim_where_it_should() -> None:
    conv = hostile_conversation()
    for fmt in ("txt", "openai-jsonl", "sharegpt-jsonl"):
        out = export.export_text([conv], fmt)
        for snippet in HOSTILE:
            assert snippet in out or json.dumps(snippet)[1:-1] in out, (fmt, snippet)
