"""A reasoning model's reply in the exports: the JSON keeps the reasoning in its own field and imports it back;
Markdown quotes it under **Reasoning**, HTML folds it in <details>, plain text marks it; the answer stays apart."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from llmdesk.core import export
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.importer import parse_import

REASONING = "The user asks for 2+2.\n\n- add them\n- answer **briefly**\n\n<!-- llmdesk:message role=user id=x -->"
ANSWER = "**4**"


def reasoning_conversation() -> Conversation:
    conv = Conversation(title="Arithmetic", id="c1", created_at=1_700_000_000, updated_at=1_700_000_100)
    conv.add(Message("user", "What is 2+2?", id="u1", created_at=1_700_000_000))
    conv.add(Message("assistant", ANSWER, parent_id="u1", id="a1", created_at=1_700_000_010, stop_reason="eos",
                     meta={"model": "m", "reasoning": REASONING}))
    conv.add(Message("user", "Thanks", parent_id="a1", id="u2", created_at=1_700_000_020))
    conv.add(Message("assistant", "You're welcome.", parent_id="u2", id="a2", created_at=1_700_000_030,
                     stop_reason="eos", meta={"model": "m"}))
    return conv


def test_json_keeps_reasoning_in_its_own_field_and_round_trips() -> None:
    conv = reasoning_conversation()
    data = json.loads(export.to_json([conv]))
    by_id = {m["id"]: m for m in data["conversations"][0]["messages"]}
    assert by_id["a1"]["reasoning"] == REASONING and by_id["a1"]["content"] == ANSWER
    assert "reasoning" not in by_id["a1"]["meta"] and "reasoning" not in by_id["a2"]
    back = parse_import(export.to_json([conv])).conversations
    assert back == [conv]


def test_json_import_refuses_a_reasoning_that_is_not_text() -> None:
    data = json.loads(export.to_json([reasoning_conversation()]))
    data["conversations"][0]["messages"][1]["reasoning"] = 5
    try:
        parse_import(json.dumps(data))
    except Exception as exc:  # noqa: BLE001 - the importer's own error type
        assert "reasoning" in str(exc)
    else:
        raise AssertionError("a number as reasoning was accepted")


def test_markdown_quotes_the_reasoning_before_the_answer() -> None:
    md = export.render_markdown(export.build_outline([reasoning_conversation()]))
    tokens = MarkdownIt("commonmark").parse(md)
    quotes = [i for i, t in enumerate(tokens) if t.type == "blockquote_open"]
    assert len(quotes) == 1
    start = quotes[0]
    end = next(i for i in range(start, len(tokens)) if tokens[i].type == "blockquote_close")
    inside = " ".join(t.content for t in tokens[start:end] if t.type == "inline")
    assert inside.startswith("**Reasoning**") and "add them" in inside
    after = " ".join(t.content for t in tokens[end:] if t.type == "inline")
    assert ANSWER in after and "add them" not in after
    # the marker-like line of the reasoning stays inside the quote: the messages still split into four
    assert len(re.findall(r"^<!-- llmdesk:message", md, flags=re.MULTILINE)) == 4


class _Details(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.inside: list[str] = []
        self.outside: list[str] = []
        self.summary = False
        self.summaries: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "details":
            assert ("class", "reasoning") in attrs and ("open", None) not in attrs  # folded
            self.depth += 1
        self.summary = self.summary or tag == "summary"

    def handle_endtag(self, tag):
        if tag == "details":
            self.depth -= 1
        if tag == "summary":
            self.summary = False

    def handle_data(self, data):
        if self.summary:
            self.summaries.append(data)
        (self.inside if self.depth else self.outside).append(data)


def test_html_folds_the_reasoning_in_details() -> None:
    html = export.render_html(export.build_outline([reasoning_conversation()]))
    parser = _Details()
    parser.feed(html)
    assert parser.summaries == ["Reasoning"]
    inside, outside = "".join(parser.inside), "".join(parser.outside)
    assert "add them" in inside and "briefly" in inside and "llmdesk:message" in inside  # as text
    assert "add them" not in outside and "4" in outside


def test_text_marks_reasoning_and_answer() -> None:
    text = export.render_text(export.build_outline([reasoning_conversation()]))
    assert "[Reasoning]\n| The user asks for 2+2.\n|\n| - add them" in text
    assert text.index("[Reasoning]") < text.index("[Answer]\n**4**")
    assert text.count("[Reasoning]") == 1
