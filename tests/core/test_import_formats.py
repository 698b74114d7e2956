"""Imports from other tools (ChatGPT's data export, Open WebUI's chat export, OpenAI files with tool calls) and bad
values (lone surrogates, times in milliseconds, impossible times and statistics): named, never raw."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from llmdesk.__main__ import main
from llmdesk.core.importer import (
    ImportFormatError,
    import_into_store,
    parse_import,
    plan_import,
    read_import_file,
)
from llmdesk.core.store import ConversationStore

CASES = Path("/work/shared/cases")
if not CASES.exists():
    CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"

NOW = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path):
    s = ConversationStore(tmp_path / "db.sqlite3")
    yield s
    s.close()


def parse(text: str):
    return parse_import(text, now=lambda: NOW)


# -- ChatGPT ----------------------------------------------------------------------------------------------------------

def test_chatgpt_case_file_imports(store: ConversationStore):
    parsed = read_import_file(CASES / "07-import-chatgpt-conversations.json")
    assert parsed.format == "chatgpt" and parsed.format_name == "ChatGPT data export (conversations.json)"
    (conv,) = parsed.conversations
    assert conv.title == "Trip planning" and conv.created_at == pytest.approx(1717000000.1)
    assert [(m.role, m.content) for m in conv.path()] == [
        ("user", "Plan a day in Kyoto"), ("assistant", "Morning: Fushimi Inari."), ("user", "Thanks")]
    assert [m.created_at for m in conv.path()] == [1717000001.0, 1717000002.0, 1717000003.0]
    report = import_into_store(store, parsed)
    assert len(report.imported) == 1
    again = import_into_store(store, read_import_file(CASES / "07-import-chatgpt-conversations.json"))
    assert again.skipped == report.imported and again.imported == []  # stable ids: the same export is skipped


def _chatgpt_node(nid, parent, children, role=None, text=None, t=None, **extra):
    message = None
    if role is not None:
        message = {"id": nid, "author": {"role": role, "name": extra.pop("name", None)},
                   "content": extra.pop("content", {"content_type": "text", "parts": [text]}),
                   "create_time": t, "metadata": extra.pop("metadata", {}), **extra}
    return {"id": nid, "message": message, "parent": parent, "children": children}


def chatgpt_export() -> list[dict]:
    """A realistic conversations.json entry: a hidden system message, an edited question (two branches), a
    regenerated answer, a python tool call with its output, an image, and reasoning that is not shown."""
    mapping = {
        "root": _chatgpt_node("root", None, ["sys"]),
        "sys": _chatgpt_node("sys", "root", ["u1", "u1b"], "system", "", 1717000000.0,
                             metadata={"is_visually_hidden_from_conversation": True}),
        "u1": _chatgpt_node("u1", "sys", ["a1", "a1b"], "user", "What is 2**100?", 1717000001.0),
        "a1": _chatgpt_node("a1", "u1", [], "assistant", "A big number.", 1717000002.0,
                            metadata={"model_slug": "gpt-4o"}),
        "a1b": _chatgpt_node("a1b", "u1", ["think"], "assistant", None, 1717000003.0, recipient="python",
                             content={"content_type": "code", "language": "python", "text": "print(2**100)"}),
        "think": _chatgpt_node("think", "a1b", ["tool"], "assistant", None, 1717000003.5,
                               content={"content_type": "thoughts", "thoughts": [{"summary": "x"}]}),
        "tool": _chatgpt_node("tool", "think", ["a2"], "tool", None, 1717000004.0, name="python",
                              content={"content_type": "execution_output", "text": "1267650600228229401496703205376"}),
        "a2": _chatgpt_node("a2", "tool", ["u2"], "assistant", "It is 1267650600228229401496703205376.", 1717000005.0),
        "u2": _chatgpt_node("u2", "a2", [], "user", None, 1717000006.0,
                            content={"content_type": "multimodal_text",
                                     "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-1"},
                                               "and this picture?"]}),
        "u1b": _chatgpt_node("u1b", "sys", [], "user", "What is 2**10?", 1717000010.0),
    }
    return [{"title": "Powers of two", "create_time": 1717000000.0, "update_time": 1717000010.0,
             "current_node": "u2", "mapping": mapping, "id": "6650f0aa-0000-4000-8000-00000000abcd"}]


def test_chatgpt_branches_tools_and_hidden_nodes():
    parsed = parse(json.dumps(chatgpt_export()))
    (conv,) = parsed.conversations
    shown = conv.path()
    assert [m.role for m in shown] == ["user", "assistant", "user"]
    assert shown[0].content == "What is 2**100?"
    answer = shown[1].content
    assert "Tool call `python`" in answer and "print(2**100)" in answer
    assert "Tool result (`python`)" in answer and "1267650600228229401496703205376" in answer
    assert answer.endswith("It is 1267650600228229401496703205376.")
    assert shown[2].content == "[image]and this picture?"
    # the edited question and the first answer are other branches
    assert [m.content for m in conv.siblings(shown[0].id)] == ["What is 2**100?", "What is 2**10?"]
    assert [m.content for m in conv.siblings(shown[1].id)][0] == "A big number."
    assert conv.messages[conv.siblings(shown[1].id)[0].id].meta == {"model": "gpt-4o"}
    assert all(m.role != "system" for m in conv.messages.values())  # the hidden system message is left out
    notes = "\n".join(parsed.notes)
    assert "tool calls and tool output were kept as text" in notes and "images are not imported" in notes


def test_chatgpt_refuses_bad_values_with_the_field_named():
    bad = chatgpt_export()
    bad[0]["mapping"]["u1"]["message"]["author"]["role"] = "robot"
    with pytest.raises(ImportFormatError, match=r"^\[0\]\.mapping\.u1\.message\.author\.role: role 'robot'"):
        parse(json.dumps(bad))
    bad = chatgpt_export()
    bad[0]["mapping"]["a2"]["message"]["create_time"] = 1e300
    with pytest.raises(ImportFormatError, match=r"^\[0\]\.mapping\.a2\.message\.create_time: 1e\+300 is not a "
                                                r"possible time"):
        parse(json.dumps(bad))
    bad = chatgpt_export()
    bad[0]["mapping"]["a2"]["parent"] = "nowhere"
    with pytest.raises(ImportFormatError, match=r"^\[0\]\.mapping\.a2\.parent: 'nowhere' is not a node"):
        parse(json.dumps(bad))


# -- Open WebUI -------------------------------------------------------------------------------------------------------

def open_webui_export() -> list[dict]:
    """Open WebUI's "Export chats" file: a list of chat rows, each with the chat's message tree in
    chat.history.messages (parentId / childrenIds), the shown leaf in currentId, times in seconds, the chat's own
    timestamp in milliseconds, and a regenerated reply (two children of one user message)."""
    messages = {
        "0a1": {"id": "0a1", "parentId": None, "childrenIds": ["0a2", "0a3"], "role": "user",
                "content": "Explain 임베딩 in one line", "timestamp": 1720000000, "models": ["llama3.1:8b"]},
        "0a2": {"id": "0a2", "parentId": "0a1", "childrenIds": [], "role": "assistant",
                "content": "An embedding maps text to vectors.", "model": "llama3.1:8b", "modelName": "Llama 3.1",
                "timestamp": 1720000005, "done": True, "info": {"eval_count": 12}},
        "0a3": {"id": "0a3", "parentId": "0a1", "childrenIds": ["0a4"], "role": "assistant",
                "content": "임베딩은 데이터를 벡터로 표현해요.", "model": "qwen2.5:7b", "timestamp": 1720000060,
                "done": True},
        "0a4": {"id": "0a4", "parentId": "0a3", "childrenIds": [], "role": "user", "content": "Thanks!",
                "timestamp": 1720000100},
    }
    chat = {"id": "", "title": "Embeddings", "models": ["llama3.1:8b"], "params": {},
            "history": {"messages": messages, "currentId": "0a4"},
            "messages": [messages[k] for k in ("0a1", "0a3", "0a4")], "tags": [], "timestamp": 1720000000123,
            "files": []}
    return [{"id": "4f3c9a8e-1b2d-4c5e-8f70-123456789abc", "user_id": "u-1", "title": "Embeddings", "chat": chat,
             "updated_at": 1720000100, "created_at": 1720000000, "share_id": None, "archived": False,
             "pinned": False, "meta": {"tags": []}, "folder_id": None}]


def test_open_webui_export_imports_with_branches(store: ConversationStore, tmp_path: Path):
    path = tmp_path / "chat-export-1720000200.json"
    path.write_text(json.dumps(open_webui_export(), ensure_ascii=False), "utf-8")
    parsed = read_import_file(path)
    assert parsed.format == "open-webui" and parsed.format_name == "Open WebUI chat export"
    (conv,) = parsed.conversations
    assert conv.title == "Embeddings" and conv.created_at == 1720000000
    shown = conv.path()
    assert [(m.role, m.content) for m in shown] == [
        ("user", "Explain 임베딩 in one line"), ("assistant", "임베딩은 데이터를 벡터로 표현해요."), ("user", "Thanks!")]
    assert shown[1].meta == {"model": "qwen2.5:7b"} and shown[1].stop_reason == "eos"
    assert [m.content for m in conv.siblings(shown[1].id)] == ["An embedding maps text to vectors.",
                                                               "임베딩은 데이터를 벡터로 표현해요."]
    plan = plan_import(store, parsed)
    assert "Recognised: Open WebUI chat export.\nIt will add 1 conversation with 4 messages." in plan.describe()
    import_into_store(store, parsed)
    assert len(store.search("베딩")) == 2


def test_open_webui_single_chat_and_milliseconds():
    chats = open_webui_export()
    for m in chats[0]["chat"]["history"]["messages"].values():
        m["timestamp"] *= 1000  # some versions write milliseconds
    del chats[0]["created_at"]
    parsed = parse(json.dumps(chats))
    (conv,) = parsed.conversations
    assert conv.path()[0].created_at == 1720000000.0 and conv.created_at == pytest.approx(1720000000.123)
    assert any("milliseconds were recognised" in n for n in parsed.notes)


def test_open_webui_refuses_a_broken_tree():
    chats = open_webui_export()
    chats[0]["chat"]["history"]["messages"]["0a4"]["parentId"] = "gone"
    with pytest.raises(ImportFormatError, match=r"^\[0\]\.chat\.history\.messages\.0a4\.parentId: 'gone' is not"):
        parse(json.dumps(chats))
    chats = open_webui_export()
    chats[0]["chat"]["history"]["messages"]["0a2"]["role"] = "bot"
    with pytest.raises(ImportFormatError, match=r"0a2\.role: role 'bot' is not one of"):
        parse(json.dumps(chats))


# -- OpenAI files with tool calls ---------------------------------------------------------------------------------

def test_openai_tool_calls_case_file_is_kept_readably(store: ConversationStore):
    parsed = read_import_file(CASES / "07-import-openai-tool-calls.jsonl")
    (conv,) = parsed.conversations
    shown = conv.path()
    assert [m.role for m in shown] == ["system", "user", "assistant"]  # user and assistant still alternate
    text = shown[2].content
    assert text.index("Tool call `get_weather`") < text.index('"city": "Paris"') < \
        text.index("Tool result (`get_weather`)") < text.index("18C, sunny") < \
        text.index("It is 18C and sunny in Paris.")
    assert shown[2].meta["tool_calls"][0]["function"]["name"] == "get_weather"
    assert shown[2].meta["tool_results"] == [{"tool_call_id": "call_1", "content": "18C, sunny"}]
    assert parsed.notes and "tool calls and tool results were kept as text" in parsed.notes[0]
    assert "line 1, messages[2]" in parsed.notes[0]
    import_into_store(store, parsed)
    assert len(store.search("sunny")) == 1


def test_tool_calls_with_bad_values_are_named():
    line = {"messages": [{"role": "user", "content": "x"},
                         {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "function": {}}]}]}
    with pytest.raises(ImportFormatError, match=r"^line 1: messages\[1\]\.tool_calls\[0\]\.function\.name: must be"):
        parse(json.dumps(line))
    line = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": None}]}
    with pytest.raises(ImportFormatError, match=r"^line 1: messages\[1\]\.content: must be a string, found null"):
        parse(json.dumps(line))


def test_legacy_function_call_and_sharegpt_tool_turns():
    line = {"messages": [{"role": "user", "content": "sum"},
                         {"role": "assistant", "content": None, "function_call": {"name": "add",
                                                                                  "arguments": "{\"a\": 1}"}},
                         {"role": "function", "name": "add", "content": "1"},
                         {"role": "assistant", "content": "One."}]}
    (conv,) = parse(json.dumps(line)).conversations
    assert [m.role for m in conv.path()] == ["user", "assistant"]
    assert "Tool call `add`" in conv.path()[1].content and "Tool result (`add`)" in conv.path()[1].content
    share = {"conversations": [{"from": "human", "value": "q"},
                               {"from": "function_call", "value": "{\"name\": \"f\", \"arguments\": {\"x\": 1}}"},
                               {"from": "observation", "value": "42"}, {"from": "gpt", "value": "42."}]}
    (conv,) = parse(json.dumps(share)).conversations
    assert [m.role for m in conv.path()] == ["user", "assistant"]
    assert "Tool call `f`" in conv.path()[1].content and conv.path()[1].content.endswith("42.")


# -- bad values ---------------------------------------------------------------------------------------------------------

def test_lone_surrogates_are_replaced_and_the_place_named(store: ConversationStore):
    parsed = read_import_file(CASES / "08-import-lone-surrogate.jsonl")
    (conv,) = parsed.conversations
    assert [m.content for m in conv.path()] == ["Broken emoji half: \ufffd end", "ok \ufffd tail"]
    (note,) = parsed.notes
    assert "line 1, messages[0].content (\\ud83d)" in note and "line 1, messages[1].content (\\udc00)" in note
    import_into_store(store, parsed)  # no codec error on the way into SQLite
    assert len(store.search("broken")) == 1


def test_surrogate_pairs_stay_whole_and_app_json_titles_are_cleaned():
    (conv,) = parse('{"messages": [{"role": "user", "content": "pair \\ud83d\\ude00 ok"}]}').conversations
    assert conv.path()[0].content == "pair 😀 ok"
    doc = json.loads((CASES / "12-import-timestamps-milliseconds.json").read_text())
    doc["conversations"][1]["title"] = "bad \ud800 title"
    parsed = parse(json.dumps(doc))
    assert parsed.conversations[1].title == "bad \ufffd title"
    assert any("conversations[1].title (\\ud800)" in n for n in parsed.notes)


def test_millisecond_times_are_recognised(store: ConversationStore):
    parsed = read_import_file(CASES / "12-import-timestamps-milliseconds.json")
    first, second = parsed.conversations
    assert first.created_at == pytest.approx(1717000000.123) and first.updated_at == pytest.approx(1717000000.123)
    assert all(m.created_at == pytest.approx(1717000000.123) for m in first.messages.values())
    assert second.created_at == 1717000000.0
    notes = "\n".join(parsed.notes)
    assert "times given in milliseconds were recognised and converted" in notes
    assert "conversations[0].created_at" in notes
    # the statistics nobody could have measured are left out, by field
    reply = first.path()[-1]
    assert reply.meta["stats"]["tokens_per_s"] is None and reply.meta["stats"]["new_tokens"] is None
    assert "meta.stats.tokens_per_s = 1e+308" in notes
    import_into_store(store, parsed)
    top = store.list_conversations()[0]
    assert top.updated_at < 2e9  # not dated in the year 56379, pinned above every new chat


@pytest.mark.parametrize("value, message", [
    ("NaN", r"must be a finite number of Unix seconds, found nan"),
    ("Infinity", r"must be a finite number of Unix seconds, found inf"),
    ("-5", r"-5 is not a possible time"),
    ("1e25", r"1e\+25 is not a possible time"),
    ("\"yesterday\"", r"must be a number \(Unix seconds\), found a string"),
    ("true", r"must be a number \(Unix seconds\), found true/false"),
])
def test_impossible_times_are_refused_with_the_field_named(value: str, message: str):
    doc = json.loads((CASES / "12-import-timestamps-milliseconds.json").read_text())
    doc["conversations"][1]["messages"][1]["created_at"] = "__X__"
    text = json.dumps(doc).replace('"__X__"', value)
    with pytest.raises(ImportFormatError, match=r"^conversations\[1\]\.messages\[1\]\.created_at: " + message):
        parse(text)


def test_microseconds_and_far_future_seconds():
    doc = json.loads((CASES / "12-import-timestamps-milliseconds.json").read_text())
    doc["conversations"][1]["created_at"] = 1717000000.0 * 1e6
    parsed = parse(json.dumps(doc))
    assert parsed.conversations[1].created_at == pytest.approx(1717000000.0)
    doc["conversations"][1]["created_at"] = NOW + 30 * 86400  # a month ahead: no unit makes it possible
    with pytest.raises(ImportFormatError, match=r"^conversations\[1\]\.created_at: .* is not a possible time"):
        parse(json.dumps(doc))


def test_a_bad_value_anywhere_imports_nothing(store: ConversationStore, tmp_path: Path):
    good = {"messages": [{"role": "user", "content": "fine"}]}
    bad = {"messages": [{"role": "user", "content": 5}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    assert main(["import", str(path)]) == 1
    assert store.list_conversations() == []


def test_cli_import_names_the_format_and_the_notes(capsys: pytest.CaptureFixture[str]):
    assert main(["import", str(CASES / "08-import-lone-surrogate.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "Recognised: OpenAI chat JSONL (fine-tuning format)." in out
    assert "Note: a broken character" in out and "line 1, messages[0].content" in out
    assert main(["import", str(CASES / "07-import-chatgpt-conversations.json")]) == 0
    assert "Recognised: ChatGPT data export (conversations.json)." in capsys.readouterr().out


def test_plan_counts_what_will_be_added(store: ConversationStore):
    parsed = parse(json.dumps(chatgpt_export() + open_webui_export()[:0]))
    plan = plan_import(store, parsed)
    assert len(plan.to_save) == 1 and plan.message_count == len(parsed.conversations[0].messages)
    import_into_store(store, parsed)
    again = plan_import(store, parse(json.dumps(chatgpt_export())))
    assert again.to_save == [] and "1 conversation is already in the list, unchanged, and will be skipped" in \
        again.describe()
    changed = copy.deepcopy(chatgpt_export())
    changed[0]["mapping"]["u1b"]["message"]["content"]["parts"] = ["What is 2**12?"]
    plan = plan_import(store, parse(json.dumps(changed)))
    assert len(plan.to_save) == 1 and "as copies" in plan.describe()
    assert not math.isnan(plan.to_save[0].created_at)


def test_chatgpt_zip_as_downloaded(tmp_path: Path, store: ConversationStore):
    import zipfile

    path = tmp_path / "0123abcd-2024-06-01-12-00-00.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("chat.html", "<html></html>")
        archive.writestr("conversations.json", json.dumps(chatgpt_export()))
        archive.writestr("user.json", "{}")
    parsed = read_import_file(path)
    assert parsed.format == "chatgpt" and len(parsed.conversations) == 1
    empty = tmp_path / "other.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", "x")
    with pytest.raises(ImportFormatError, match=r"other\.zip: this zip file holds no conversations\.json"):
        read_import_file(empty)
    bad = tmp_path / "bad.zip"
    broken = chatgpt_export()
    broken[0]["mapping"]["u1"]["message"]["author"]["role"] = "robot"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("conversations.json", json.dumps(broken))
    with pytest.raises(ImportFormatError, match=r"bad\.zip \(conversations\.json\): \[0\]\.mapping\.u1"):
        read_import_file(bad)


def test_reasoning_in_imported_replies_is_kept_apart_from_the_answer(tmp_path):
    """A reasoning model's reply exported by another tool holds its reasoning in the text (``<think>…</think>``,
    or only the closing tag): it is imported as the chat stores one, answer as text, reasoning in meta, and so is
    never sent back in a later prompt."""
    from llmdesk.core import branches
    from llmdesk.core.importer import read_import_file

    path = tmp_path / "think.jsonl"
    path.write_text(json.dumps({"messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "<think>SECRET reasoning here</think>The answer is 4."},
        {"role": "user", "content": "and?"},
        {"role": "assistant", "content": "more SECRET2 reasoning</think>Final answer B."}]}) + "\n",
        encoding="utf-8")
    parsed = read_import_file(path)
    [conv] = parsed.conversations
    replies = [m for m in conv.path() if m.role == "assistant"]
    assert [m.content.strip() for m in replies] == ["The answer is 4.", "Final answer B."]
    assert "SECRET reasoning here" in replies[0].meta["reasoning"]
    assert "SECRET2" in replies[1].meta["reasoning"]
    assert any("Reasoning" in note for note in parsed.notes)
    _user, _reply, turns = branches.send_message(conv, "next")
    assert not any("SECRET" in t.content for t in turns)
