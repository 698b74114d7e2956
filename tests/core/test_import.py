"""Import: the app's JSON (lossless), OpenAI and ShareGPT JSONL; bad files are refused whole, with the place named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmdesk.__main__ import main
from llmdesk.core import export
from llmdesk.core.importer import (
    ImportFormatError,
    import_into_store,
    parse_import,
    read_import_file,
    same_conversation,
)
from llmdesk.core.store import ConversationStore
from tests.support.export_samples import branched_conversation, simple_conversation

# -- parsing --------------------------------------------------------------------------------------------------------


def test_openai_jsonl_becomes_one_conversation_per_line() -> None:
    text = (
        '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there\\nsecond"},'
        ' {"role": "assistant", "content": "Hello."}]}\n'
        "\n"
        '{"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}\n'
    )
    parsed = parse_import(text, now=lambda: 1000.0)
    assert parsed.format == "openai-jsonl"
    first, second = parsed.conversations
    assert [(m.role, m.content) for m in first.path()] == [("system", "Be brief."), ("user", "Hi there\nsecond"),
                                                           ("assistant", "Hello.")]
    assert first.title == "Hi there"
    assert first.path()[-1].stop_reason == "eos"
    assert [m.content for m in second.path()] == ["ab"]
    assert first.id != second.id


def test_sharegpt_jsonl_maps_human_and_gpt() -> None:
    text = json.dumps({"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q"},
                                         {"from": "gpt", "value": "A"}]}) + "\n"
    parsed = parse_import(text)
    assert parsed.format == "sharegpt-jsonl"
    assert [(m.role, m.content) for m in parsed.conversations[0].path()] == [("system", "S"), ("user", "Q"),
                                                                             ("assistant", "A")]


def test_a_json_list_of_sharegpt_examples_is_read_like_jsonl() -> None:
    items = [{"id": "x1", "conversations": [{"from": "human", "value": "Q1"}, {"from": "gpt", "value": "A1"}]},
             {"id": "x2", "conversations": [{"from": "human", "value": "Q2"}]}]
    parsed = parse_import(json.dumps(items, indent=2))
    assert parsed.format == "sharegpt-json"
    assert [[m.content for m in c.path()] for c in parsed.conversations] == [["Q1", "A1"], ["Q2"]]


@pytest.mark.parametrize("fmt", ["openai-jsonl", "sharegpt-jsonl"])
def test_jsonl_export_imports_back_to_the_shown_path(fmt: str) -> None:
    convs = [branched_conversation(), simple_conversation()]
    parsed = parse_import(export.export_text(convs, fmt))
    assert parsed.format == fmt
    assert [[(m.role, m.content) for m in c.path()] for c in parsed.conversations] == \
        [[(m.role, m.content) for m in c.path()] for c in convs]


@pytest.mark.parametrize(("text", "message"), [
    ('{"messages": [{"role": "user", "content": "ok"}]}\n{"messages": [}\n', r"^line 2: not valid JSON"),
    (('{"messages": [{"role": "user", "content": "ok"}]}\n\n{"messages": [{"role": "user", "content": "a"}, '
      '{"role": "robot", "content": "x"}]}\n'), r"^line 3: messages\[1\]\.role: role 'robot' is not supported"),
    ('{"messages": [{"role": "user", "content": null}]}', r"^line 1: messages\[0\]\.content: must be a string"),
    ('{"messages": []}', r"^line 1: messages: has no messages"),
    ('{"messages": [{"role": "user", "content": "a"}]}\n{"conversations": [{"from": "human", "value": "b"}]}',
     r"^line 2: this is sharegpt-jsonl but line 1 is openai-jsonl"),
    ('{"conversations": [{"from": "human", "value": "b"}, {"from": "bot", "value": "c"}]}',
     r"^line 1: conversations\[1\]\.from: 'from' 'bot' is not supported"),
    ('{"conversations": [{"from": "human", "value": 3}]}', r"^line 1: conversations\[0\]\.value: must be a string"),
    ('{"text": "hello"}\n', r'^line 1: expected a "messages" list'),
    ("[1, 2]", r"^\[0\]: expected a JSON object, found a number"),
    ("[]", r"^the file holds no conversations"),
    ('[{"conversations": [{"from": "human", "value": "a"}]},\n {"conversations": [{"from": "gpt"}]}]',
     r"^\[1\]\.conversations\[0\]\.value: must be a string"),
    ('[{"conversations": [{"from": "human", "value": "a"}]}, {"messages": []}]',
     r"^\[1\]: this is openai-jsonl but item \[0\] is sharegpt-jsonl"),
    ('[{"messages": [}]', r"^line 1: not valid JSON"),
    ("   \n\n", r"^the file is empty"),
    ('{"messages": [{"role": "user"\n', r"^line 1: not valid JSON"),
    ('\n{"messages": [}\n{"messages": [{"role": "user", "content": "a"}]}\n', r"^line 2: not valid JSON"),
    ('{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}',
     r"^line 1: messages\[0\]\.content\[0\]: only"),
    ("{\n  \"format\": \"llmdesk-conversations\",\n  \"format_version\": 1,\n  \"conversations\": [\n}\n",
     r"^line 5: not valid JSON"),
])
def test_malformed_jsonl_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse_import(text)


def _app_doc() -> dict:
    return json.loads(export.to_json([branched_conversation(), simple_conversation()]))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format_version=2), r"^format_version: version 2 was written by a newer llmdesk"),
    (lambda d: d.update(format="other"), r"^format: expected 'llmdesk-conversations'"),
    (lambda d: d.update(conversations={}), r"^conversations: must be a list"),
    (lambda d: d["conversations"][1]["messages"][1].update(parent_id="nope"),
     r"^conversations\[1\]\.messages\[1\]\.parent_id: 'nope' is not a message of this conversation"),
    (lambda d: d["conversations"][0]["messages"][2].update(role="bot"),
     r"^conversations\[0\]\.messages\[2\]\.role: must be one of system, user, assistant, not 'bot'"),
    (lambda d: d["conversations"][0]["messages"][0].pop("content"),
     r"^conversations\[0\]\.messages\[0\]\.content: is missing"),
    (lambda d: d["conversations"][0]["messages"][0].update(created_at="yesterday"),
     r"^conversations\[0\]\.messages\[0\]\.created_at: must be a number"),
    (lambda d: d["conversations"][0]["messages"][3].update(stop_reason="tired"),
     r"^conversations\[0\]\.messages\[3\]\.stop_reason: must be one of"),
    (lambda d: d["conversations"][0].update(current_leaf_id="zz"),
     r"^conversations\[0\]\.current_leaf_id: 'zz' is not a message"),
    (lambda d: d["conversations"][1].update(id=d["conversations"][0]["id"]),
     r"^conversations\[1\]\.id: id .* appears twice"),
    (lambda d: d["conversations"][1]["messages"][0].update(id="s1"),
     r"^conversations\[1\]\.messages\[0\]\.id: id 's1' is already used by conversations\[0\]\.messages\[0\]"),
    (lambda d: d["conversations"][0]["messages"][0].update(parent_id="a3"),
     r"^conversations\[0\]\.messages\[\d+\]\.parent_id: its parents lead back to itself"),
    (lambda d: d["conversations"][0]["messages"][0].update(meta=[1]),
     r"^conversations\[0\]\.messages\[0\]\.meta: must be an object"),
])
def test_malformed_app_json_is_refused_with_its_field(change, message: str) -> None:
    doc = _app_doc()
    change(doc)
    with pytest.raises(ImportFormatError, match=message):
        parse_import(json.dumps(doc, indent=1))


def test_read_import_file_names_the_file_and_refuses_non_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"messages": [{"role": "user", "content": "ok"}]}\n{"messages": "\xff"}\n')
    with pytest.raises(ImportFormatError, match=r"bad\.jsonl: line 2: not UTF-8 text"):
        read_import_file(bad)
    with pytest.raises(ImportFormatError, match=r"missing\.json: cannot read it"):
        read_import_file(tmp_path / "missing.json")


def test_app_json_with_an_empty_title_gets_one_from_its_messages() -> None:
    doc = _app_doc()
    doc["conversations"][1]["title"] = "  "
    parsed = parse_import(json.dumps(doc))
    assert parsed.conversations[1].title == "Hello, ünïcödé ✓"


# -- into the store -------------------------------------------------------------------------------------------------


def _store(tmp_path: Path, name: str) -> ConversationStore:
    return ConversationStore(tmp_path / f"{name}.sqlite3")


def test_json_round_trip_through_two_stores_is_lossless(tmp_path: Path) -> None:
    source = _store(tmp_path, "a")
    convs = [branched_conversation(), simple_conversation()]
    for conv in convs:
        source.save_conversation(conv)
    exported = export.to_json([source.load_conversation(c.id) for c in convs])
    source.close()

    target = _store(tmp_path, "b")
    report = import_into_store(target, parse_import(exported))
    assert sorted(report.imported) == sorted(c.id for c in convs) and not report.copied and not report.skipped
    for conv in convs:
        assert target.load_conversation(conv.id) == conv
    target.close()


def test_reimporting_never_clobbers(tmp_path: Path) -> None:
    store = _store(tmp_path, "a")
    original = branched_conversation()
    store.save_conversation(original)
    exported = export.to_json([original, simple_conversation()])

    report = import_into_store(store, parse_import(exported))  # same again: skipped; the new one imported
    assert report.skipped == [original.id]
    assert report.imported == [simple_conversation().id]
    assert "already in the list, unchanged" in report.messages[0]

    changed = json.loads(exported)
    changed["conversations"][0]["messages"][-1]["content"] = "edited elsewhere"
    report = import_into_store(store, parse_import(json.dumps(changed)))
    assert len(report.copied) == 1 and report.skipped == [simple_conversation().id]
    assert store.load_conversation(original.id) == original  # untouched
    copy = store.load_conversation(report.copied[0])
    assert copy.title == original.title + " (imported)"
    assert not set(copy.messages) & set(original.messages)
    assert [m.content for m in copy.path()] == [m.content for m in original.path()][:-1] + ["edited elsewhere"]
    assert {m.role for m in copy.children(copy.path()[1].id)} == {"assistant"}
    assert len(copy.messages) == len(original.messages)
    assert same_conversation(store.load_conversation(original.id), original)
    assert len(store.list_conversations()) == 3
    store.close()


def test_message_ids_taken_by_another_conversation_get_new_ones(tmp_path: Path) -> None:
    store = _store(tmp_path, "a")
    store.save_conversation(simple_conversation())
    other = simple_conversation(title="Same message ids, other conversation", cid="d" * 31 + "e")
    other.messages = {m.id: m for m in simple_conversation().messages.values()}
    other.current_leaf_id = simple_conversation().current_leaf_id
    report = import_into_store(store, parse_import(export.to_json([other])))
    assert len(report.copied) == 1
    assert store.load_conversation(simple_conversation().id) == simple_conversation()
    assert [m.content for m in store.load_conversation(report.copied[0]).path()] == ["Hello, ünïcödé ✓",
                                                                                      "Hi! How can I help?"]
    store.close()


# -- command line ---------------------------------------------------------------------------------------------------


def _seed_default_store() -> list[str]:
    with ConversationStore() as store:
        for conv in (branched_conversation(), simple_conversation()):
            store.save_conversation(conv)
    return [branched_conversation().id, simple_conversation().id]


@pytest.mark.parametrize("fmt", ["md", "html", "txt", "json", "openai-jsonl", "sharegpt-jsonl"])
def test_cli_export_writes_each_format(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed_default_store()
    out = tmp_path / f"x{export.FORMATS[fmt][0]}"
    assert main(["export", "--conversation", ids[0][:6], "--format", fmt, "--output", str(out)]) == 0
    assert "Exported 1 conversation" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "Show code" in text
    assert "Hello, ünïcödé" not in text  # only the chosen conversation


def test_cli_export_all_then_import_into_a_fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _seed_default_store()
    out = tmp_path / "all.json"
    assert main(["export", "--all", "--output", str(out)]) == 0  # format from the extension
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    assert main(["import", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Imported 2 conversations." in printed
    with ConversationStore() as store:
        assert store.load_conversation(branched_conversation().id) == branched_conversation()
    assert main(["import", str(out)]) == 0
    assert "skipped 2 already in the list" in capsys.readouterr().out


def test_cli_import_refuses_a_partly_valid_file_and_imports_nothing(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "fine"}]}\n'
                    '{"messages": [{"role": "user", "content": "fine too"}]}\n'
                    '{"messages": [{"role": "user"}]}\n', encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "mixed.jsonl: line 3: messages[0].content: must be a string" in err
    assert "Nothing was imported." in err
    with ConversationStore() as store:
        assert store.list_conversations() == []


def test_cli_export_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed_default_store()
    assert main(["export", "--conversation", "nope", "--format", "md", "--output", str(tmp_path / "a.md")]) == 2
    assert "no conversation has the id 'nope'" in capsys.readouterr().err
    assert main(["export", "--all", "--output", str(tmp_path / "a.docx")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export", "--all", "--format", "md", "--output", str(blocker / "a.md")]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "a.md").exists()


def test_cli_export_list(capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed_default_store()
    assert main(["export", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(i in out for i in ids) and "Branches & <things>" in out
