"""Import conversations: the app's own JSON (lossless), OpenAI chat JSONL (tool calls included) and ShareGPT JSONL,
ChatGPT's data export (``conversations.json``) and Open WebUI's chat export (see :mod:`llmdesk.core.import_trees`).

Reading is all or nothing: :func:`parse_import` checks the whole file and raises :class:`ImportFormatError` naming
the line (JSONL) or field (JSON) that is wrong before anything is handed on, so a partly valid file imports nothing.
Values that can be repaired without losing what the user would miss are repaired and described in
:attr:`ParsedImport.notes`: a lone UTF-16 surrogate (half an emoji) becomes U+FFFD, times in milliseconds are
read as such, impossible reply statistics are left out, tool calls and tool results become readable text in the
assistant's message. Impossible or non-finite times are refused with the field named.
:func:`import_into_store` then saves the conversations without clobbering any that are already there:

- a conversation whose id is not in the store is saved as it is (ids kept, so a JSON round trip is lossless);
- one whose id is in the store with the same messages is skipped ("already in the list");
- one whose id is in the store with different messages is imported as a copy, with new ids for the conversation
  and its messages and " (imported)" added to its title; the stored one is left untouched.

No Qt, no torch.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from llmdesk.core.conversation import ROLES, Conversation, Message, StopReason, new_id
from llmdesk.core.export import JSON_FORMAT, JSON_FORMAT_VERSION, conversation_to_dict
from llmdesk.core.import_checks import (
    ImportFormatError,
    Notes,
    check_optional_time,
    check_time,
    clean_stats,
    may_hold_surrogates,
    replace_surrogates,
    tool_call_text,
    tool_result_text,
)
from llmdesk.core.import_checks import json_type as _json_type

__all__ = ["FORMAT_NAMES", "ImportFormatError", "ImportPlan", "ImportReport", "ParsedImport", "import_into_store",
           "parse_import", "plan_import", "read_import_file", "save_plan"]

OPENAI_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "chatgpt": "assistant"}
TITLE_LENGTH = 60
MAX_IMPORT_BYTES = 2 * 2**30


# format -> what the import dialog calls it
FORMAT_NAMES = {
    "json": "llmdesk JSON export",
    "openai-jsonl": "OpenAI chat JSONL (fine-tuning format)",
    "openai-json": "OpenAI chat examples (a JSON list)",
    "sharegpt-jsonl": "ShareGPT JSONL",
    "sharegpt-json": "ShareGPT (a JSON list)",
    "chatgpt": "ChatGPT data export (conversations.json)",
    "open-webui": "Open WebUI chat export",
}


@dataclass
class ParsedImport:
    """What a file holds.

    Attributes:
        format: one of :data:`FORMAT_NAMES` ("json", "openai-jsonl", "sharegpt-jsonl", "openai-json" /
            "sharegpt-json" for a JSON list of examples, "chatgpt", "open-webui").
        conversations: the conversations, checked.
        notes: what was repaired or left out on the way, one line per kind, for the user.
    """

    format: str
    conversations: list[Conversation]
    notes: list[str] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        """The format as the user knows it, e.g. "ChatGPT data export (conversations.json)"."""
        return FORMAT_NAMES.get(self.format, self.format)

    @property
    def message_count(self) -> int:
        """Messages in all the conversations, every branch counted."""
        return sum(len(c.messages) for c in self.conversations)


class _Store(Protocol):
    def list_conversations(self) -> Sequence[Any]: ...
    def load_conversation(self, conversation_id: str) -> Conversation: ...
    def save_conversation(self, conversation: Conversation) -> None: ...


@dataclass
class ImportReport:
    """What an import did: the ids saved, and one line per conversation for the user."""

    format: str
    imported: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n = len(self.imported) + len(self.copied)
        text = f"Imported {n} conversation{'s' if n != 1 else ''}"
        if self.copied:
            text += f" ({len(self.copied)} as copies of ones already in the list)"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} already in the list"
        text += "."
        if self.notes:
            text += "\n" + "\n".join(f"Note: {line}" for line in self.notes)
        return text


# ---------------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------------


def _read_from_zip(path: Path) -> tuple[bytes, str]:
    """The bytes of the ``conversations.json`` in a zip (ChatGPT's data export), and its name for messages.

    Raises:
        ImportFormatError: the zip holds no conversations.json, or it is too large.
    """
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "conversations.json"]
        if not names:
            raise ImportFormatError("this zip file holds no conversations.json (the file ChatGPT's data export "
                                    "keeps the chats in)", source=str(path))
        name = min(names, key=len)
        if archive.getinfo(name).file_size > MAX_IMPORT_BYTES:
            raise ImportFormatError(f"{name} is larger than {MAX_IMPORT_BYTES // 2**30} GiB", source=str(path))
        return archive.read(name), f"{path} ({name})"


def read_import_file(path: str | os.PathLike[str]) -> ParsedImport:
    """Read and check a whole file (see :func:`parse_import`).

    Raises:
        ImportFormatError: unreadable, not UTF-8, or not a valid import file; the message names the file.
    """
    p = Path(path)
    source = str(p)
    try:
        if p.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportFormatError(f"the file is larger than {MAX_IMPORT_BYTES // 2**30} GiB", source=str(p))
        if zipfile.is_zipfile(p):  # ChatGPT's export as downloaded: conversations.json inside a zip
            data, source = _read_from_zip(p)
        else:
            data = p.read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"cannot read it: {exc.strerror or exc}", source=str(p)) from exc
    except (zipfile.BadZipFile, RuntimeError) as exc:
        raise ImportFormatError(f"cannot read the zip file: {exc}", source=str(p)) from exc
    p = Path(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFormatError("not UTF-8 text", line=line, source=str(p)) from exc
    try:
        return parse_import(text)
    except ImportFormatError as exc:
        raise ImportFormatError(exc.reason, line=exc.line, where=exc.where, source=str(p)) from exc


def parse_import(text: str, *, now: Callable[[], float] = time.time) -> ParsedImport:
    """Recognise and check an import file's text.

    The app's JSON is one JSON document with ``"format": "llmdesk-conversations"``. Training data is JSONL, one
    JSON object per non-blank line, every line ``{"messages": [...]}`` (OpenAI) or every line
    ``{"conversations": [...]}`` (ShareGPT); a JSON list of such objects is read the same way (format
    "openai-json" or "sharegpt-json"), with errors placed by item (``[3].messages[1].role``) instead of line.
    A JSON list of objects with a ``mapping`` tree is ChatGPT's data export; a list of chats with
    ``chat.history.messages`` is Open WebUI's (see :mod:`llmdesk.core.import_trees`).

    Raises:
        ImportFormatError: the first problem found, with its line or field; nothing is returned for a file with any.
    """
    text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if not stripped:
        raise ImportFormatError("the file is empty")
    notes = Notes()
    if stripped.startswith("["):  # a JSON list: chats exported by another app, or training examples
        items = _load_document(text, notes)
        if not items:
            raise ImportFormatError("the file holds no conversations")
        from llmdesk.core import import_trees

        tree_format = import_trees.detect(items)
        if tree_format is not None:
            conversations = import_trees.parse(tree_format, items, notes, now)
            return ParsedImport(tree_format, conversations, notes.lines())
        parsed = _parse_records([(None, f"[{k}].", item) for k, item in enumerate(items)], now, notes)
        return ParsedImport(parsed.format.replace("-jsonl", "-json"), parsed.conversations, parsed.notes)
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            first = next(line for line in text.split("\n") if line.strip())
            try:
                json.loads(first)
            except json.JSONDecodeError as first_exc:
                # The first line runs out before its object ends and more lines follow: one JSON document spread
                # over lines, with a mistake somewhere. Otherwise the JSONL reader names the line.
                if first_exc.pos >= len(first.rstrip()) and "\n" in stripped:
                    raise ImportFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                            line=exc.lineno) from exc
        else:
            if may_hold_surrogates(text):
                doc = replace_surrogates(doc, line=None, where="", notes=notes)
            if isinstance(doc, dict) and "format" in doc:
                conversations = parse_app_json(doc, notes=notes, now=now)
                return ParsedImport("json", conversations, notes.lines())
            if isinstance(doc, dict) and "mapping" in doc:  # one ChatGPT conversation on its own
                from llmdesk.core import import_trees

                return ParsedImport("chatgpt", import_trees.parse("chatgpt", [doc], notes, now), notes.lines())
            if isinstance(doc, dict) and "\n" in stripped and ("messages" in doc or "conversations" in doc):
                # one training example spread over several lines: read it as a one-line JSONL file
                return _parse_jsonl(json.dumps(doc), now)
    return _parse_jsonl(text, now)


def _load_document(text: str, notes: Notes) -> Any:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from exc
    if may_hold_surrogates(text):
        doc = replace_surrogates(doc, line=None, where="", notes=notes)
    return doc


def _parse_jsonl(text: str, now: Callable[[], float]) -> ParsedImport:
    records: list[tuple[int | None, str, Any]] = []
    notes = Notes()
    for lineno, raw in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 may sit in a string
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", line=lineno) from exc
        if may_hold_surrogates(raw):
            obj = replace_surrogates(obj, line=lineno, where="", notes=notes)
        records.append((lineno, "", obj))
    return _parse_records(records, now, notes)


def _parse_records(records: list[tuple[int | None, str, Any]], now: Callable[[], float],
                   notes: Notes | None = None) -> ParsedImport:
    """Training examples, each (line or None, field prefix, object), all OpenAI or all ShareGPT."""
    notes = notes if notes is not None else Notes()
    kind: str | None = None
    first_place = ""
    conversations: list[Conversation] = []
    base = now()
    for line, prefix, obj in records:
        place = f"line {line}" if line is not None else f"item {prefix.rstrip('.')}"
        if not isinstance(obj, dict):
            raise ImportFormatError(f"expected a JSON object, found {_json_type(obj)}", line=line,
                                    where=prefix.rstrip(".") or None)
        if "messages" in obj:
            this = "openai-jsonl"
        elif "conversations" in obj:
            this = "sharegpt-jsonl"
        else:
            raise ImportFormatError('expected a "messages" list (OpenAI chat format) or a "conversations" list '
                                    "(ShareGPT)", line=line, where=prefix.rstrip(".") or None)
        if kind is None:
            kind, first_place = this, place
        elif this != kind:
            raise ImportFormatError(f"this is {this} but {first_place} is {kind}; one format per file", line=line,
                                    where=prefix.rstrip(".") or None)
        if this == "openai-jsonl":
            turns = _openai_turns(obj["messages"], line, prefix, notes)
        else:
            turns = _sharegpt_turns(obj["conversations"], line, prefix, notes)
        conversations.append(_conversation_from_turns(turns, base + len(conversations)))
    if kind is None:
        raise ImportFormatError("the file holds no conversations")
    return ParsedImport(kind, conversations, notes.lines())


# A turn: (role, text, meta). The role "tool" (a tool's result) is folded into the assistant's message.
Turn = tuple[str, str, dict[str, Any]]
TOOL_NOTE = "tool calls and tool results were kept as text in the assistant's message"


def _text_parts(content: Any, line: int | None, where: str) -> Any:
    """Content given as a list of parts: the text of its text parts joined; other parts refused by place."""
    if not isinstance(content, list):
        return content
    texts = []
    for j, part in enumerate(content):
        if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
            raise ImportFormatError('only {"type": "text", "text": ...} parts can be imported', line=line,
                                    where=f"{where}.content[{j}]")
        texts.append(part["text"])
    return "".join(texts)


def _tool_calls_text(item: dict[str, Any], line: int | None, where: str,
                     names: dict[str, str]) -> tuple[list[str], list[Any]]:
    """The readable text of an assistant turn's ``tool_calls`` (or legacy ``function_call``) and the calls as given.
    Remembers each call's id -> name in ``names`` for the results that follow."""
    calls = item.get("tool_calls")
    key = "tool_calls"
    if calls is None and item.get("function_call") is not None:
        calls, key = [{"type": "function", "function": item["function_call"]}], "function_call"
    if calls is None:
        return [], []
    if not isinstance(calls, list):
        raise ImportFormatError(f"must be a list, found {_json_type(calls)}", line=line, where=f"{where}.{key}")
    texts = []
    for j, call in enumerate(calls):
        cwhere = f"{where}.{key}" + (f"[{j}]" if key == "tool_calls" else "")
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise ImportFormatError('must be an object with a "function": {"name", "arguments"}', line=line,
                                    where=cwhere)
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ImportFormatError(f"must be the tool's name, found {_json_type(name)}", line=line,
                                    where=f"{cwhere}.function.name" if key == "tool_calls" else f"{cwhere}.name")
        if isinstance(call.get("id"), str):
            names[call["id"]] = name
        texts.append(tool_call_text(name, function.get("arguments", "")))
    return texts, calls


def _openai_turns(messages: Any, line: int | None, prefix: str = "", notes: Notes | None = None) -> list[Turn]:
    if not isinstance(messages, list):
        raise ImportFormatError(f"must be a list, found {_json_type(messages)}", line=line, where=prefix + "messages")
    if not messages:
        raise ImportFormatError("has no messages", line=line, where=prefix + "messages")
    turns: list[Turn] = []
    names: dict[str, str] = {}
    for k, item in enumerate(messages):
        where = f"{prefix}messages[{k}]"
        if not isinstance(item, dict):
            raise ImportFormatError(f"must be an object, found {_json_type(item)}", line=line, where=where)
        role = item.get("role")
        if role not in OPENAI_ROLES and role not in ("tool", "function"):
            raise ImportFormatError(f"role {role!r} is not supported (system, developer, user, assistant, tool)",
                                    line=line, where=f"{where}.role")
        content = _text_parts(item.get("content"), line, where)
        if role in ("tool", "function"):
            if content is None:
                content = ""
            if not isinstance(content, str):
                raise ImportFormatError(f"must be a string, found {_json_type(content)}", line=line,
                                        where=f"{where}.content")
            name = item.get("name") if isinstance(item.get("name"), str) else names.get(str(item.get("tool_call_id")))
            result = {k2: item[k2] for k2 in ("tool_call_id", "name") if k2 in item}
            turns.append(("tool", tool_result_text(name, content), {"tool_results": [{**result, "content": content}]}))
            if notes is not None:
                notes.add(TOOL_NOTE, f"line {line}, {where}" if line is not None else where)
            continue
        call_texts, calls = _tool_calls_text(item, line, where, names) if role == "assistant" else ([], [])
        if content is None and calls:
            content = ""
        if not isinstance(content, str):
            raise ImportFormatError(f"must be a string, found {_json_type(content)}", line=line,
                                    where=f"{where}.content")
        if calls:
            content = "\n\n".join([content] + call_texts if content else call_texts)
            if notes is not None:
                notes.add(TOOL_NOTE, f"line {line}, {where}" if line is not None else where)
        turns.append((OPENAI_ROLES[role], content, {"tool_calls": calls} if calls else {}))
    return _merge_tool_turns(turns)


def _merge_tool_turns(turns: list[Turn]) -> list[Turn]:
    """Tool results and the assistant turns around them become one assistant message, so user and assistant keep
    taking turns (as chat templates expect); the calls and results as given are kept in its meta."""
    out: list[Turn] = []
    for role, text, meta in turns:
        assistant_side = role in ("assistant", "tool")
        if assistant_side and out and out[-1][0] == "assistant" and (role == "tool" or _has_tools(out[-1][2])):
            prev_role, prev_text, prev_meta = out[-1]
            merged = dict(prev_meta)
            for key in ("tool_calls", "tool_results"):
                if meta.get(key):
                    merged[key] = list(merged.get(key, [])) + list(meta[key])
            out[-1] = ("assistant", "\n\n".join(t for t in (prev_text, text) if t), merged)
        else:
            out.append(("assistant" if role == "tool" else role, text, meta))
    return out


def _has_tools(meta: dict[str, Any]) -> bool:
    return bool(meta.get("tool_calls") or meta.get("tool_results"))


SHAREGPT_TOOL_ROLES = {"function_call": "call", "observation": "result", "tool": "result", "function": "result"}


def _sharegpt_turns(items: Any, line: int | None, prefix: str = "", notes: Notes | None = None) -> list[Turn]:
    if not isinstance(items, list):
        raise ImportFormatError(f"must be a list, found {_json_type(items)}", line=line, where=prefix + "conversations")
    if not items:
        raise ImportFormatError("has no messages", line=line, where=prefix + "conversations")
    turns: list[Turn] = []
    for k, item in enumerate(items):
        where = f"{prefix}conversations[{k}]"
        if not isinstance(item, dict):
            raise ImportFormatError(f"must be an object, found {_json_type(item)}", line=line, where=where)
        who = item.get("from")
        if who not in SHAREGPT_ROLES and who not in SHAREGPT_TOOL_ROLES:
            raise ImportFormatError(f"'from' {who!r} is not supported (system, human, gpt, function_call, "
                                    "observation)", line=line, where=f"{where}.from")
        value = item.get("value")
        if not isinstance(value, str):
            raise ImportFormatError(f"must be a string, found {_json_type(value)}", line=line,
                                    where=f"{where}.value")
        if who in SHAREGPT_TOOL_ROLES:
            if notes is not None:
                notes.add(TOOL_NOTE, f"line {line}, {where}" if line is not None else where)
            if SHAREGPT_TOOL_ROLES[who] == "call":
                try:
                    call = json.loads(value)
                except ValueError:
                    call = None
                name = "tool"
                if isinstance(call, dict) and isinstance(call.get("name"), str):
                    name = call["name"]
                args = call.get("arguments", "") if isinstance(call, dict) else value
                turns.append(("assistant", tool_call_text(name, args), {"tool_calls": [value]}))
            else:
                turns.append(("tool", tool_result_text(None, value), {"tool_results": [value]}))
            continue
        turns.append((SHAREGPT_ROLES[who], value, {}))
    return _merge_tool_turns(turns)


def title_from(turns: Sequence[tuple[Any, ...]]) -> str:
    """A title from the first user message's first line (or the first message), at most ``TITLE_LENGTH`` chars.
    ``turns`` are (role, text, ...) tuples."""
    text = next((t[1] for t in turns if t[0] == "user" and isinstance(t[1], str) and t[1].strip()),
                next((t[1] for t in turns if isinstance(t[1], str) and t[1].strip()), ""))
    first = " ".join(text.strip().split("\n", 1)[0].split())
    if not first:
        return "Imported chat"
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1].rstrip() + "…"


def _conversation_from_turns(turns: list[Turn], created_at: float) -> Conversation:
    conv = Conversation(title=title_from(turns), title_is_auto=True, created_at=created_at, updated_at=created_at)
    parent: str | None = None
    for k, (role, content, meta) in enumerate(turns):
        # millisecond steps keep the order (children are sorted by created_at) without inventing real times
        msg = Message(role=role, content=content, parent_id=parent, created_at=created_at + k * 1e-3,
                      stop_reason="eos" if role == "assistant" else None, meta=dict(meta))
        conv.add(msg)
        parent = msg.id
    return conv


# -- the app's JSON ------------------------------------------------------------------------------------------------


def parse_app_json(doc: dict[str, Any], *, notes: Notes | None = None,
                   now: Callable[[], float] = time.time) -> list[Conversation]:
    """Check and read the app's JSON document (see :func:`llmdesk.core.export.to_json` for its layout).

    Times are checked (:func:`~llmdesk.core.import_checks.check_time`: milliseconds recognised, impossible times
    refused); impossible reply statistics are left out. Both are described in ``notes``.

    Raises:
        ImportFormatError: naming the field that is wrong, e.g. ``conversations[2].messages[5].parent_id``.
    """
    if doc.get("format") != JSON_FORMAT:
        raise ImportFormatError(f"expected {JSON_FORMAT!r}, found {doc.get('format')!r}", where="format")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportFormatError(f"must be a positive whole number, found {version!r}", where="format_version")
    if version > JSON_FORMAT_VERSION:
        raise ImportFormatError(f"version {version} was written by a newer llmdesk; this one reads up to "
                                f"{JSON_FORMAT_VERSION}", where="format_version")
    items = doc.get("conversations")
    if not isinstance(items, list):
        raise ImportFormatError(f"must be a list, found {_json_type(items)}", where="conversations")
    conversations: list[Conversation] = []
    seen_conv: set[str] = set()
    seen_msg: dict[str, str] = {}
    for k, item in enumerate(items):
        conv = _conversation_from_dict(item, f"conversations[{k}]", seen_msg, notes if notes is not None else Notes(),
                                       now)
        if conv.id in seen_conv:
            raise ImportFormatError(f"id {conv.id!r} appears twice in the file", where=f"conversations[{k}].id")
        seen_conv.add(conv.id)
        conversations.append(conv)
    if not conversations:
        raise ImportFormatError("the file holds no conversations", where="conversations")
    return conversations


def _field(obj: dict[str, Any], name: str, where: str, kinds: tuple[type, ...], *, optional: bool = False,
           what: str) -> Any:
    if name not in obj:
        if optional:
            return None
        raise ImportFormatError("is missing", where=f"{where}.{name}")
    value = obj[name]
    if value is None and optional:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ImportFormatError(f"must be {what}, found {_json_type(value)}", where=f"{where}.{name}")
    return value


def _conversation_from_dict(item: Any, where: str, seen_msg: dict[str, str], notes: Notes,
                            now: Callable[[], float]) -> Conversation:
    if not isinstance(item, dict):
        raise ImportFormatError(f"must be an object, found {_json_type(item)}", where=where)
    conv_id = _field(item, "id", where, (str,), what="a string")
    if not conv_id:
        raise ImportFormatError("must not be empty", where=f"{where}.id")
    title = _field(item, "title", where, (str,), what="a string")
    title_is_auto = _field(item, "title_is_auto", where, (bool,), optional=True, what="true or false")
    created_at = check_time(_field(item, "created_at", where, (int, float), what="a number (Unix seconds)"),
                            line=None, where=f"{where}.created_at", notes=notes, now=now)
    updated_at = check_optional_time(_field(item, "updated_at", where, (int, float), optional=True,
                                            what="a number (Unix seconds)"),
                                     line=None, where=f"{where}.updated_at", notes=notes, now=now)
    leaf = _field(item, "current_leaf_id", where, (str,), optional=True, what="a string or null")
    raw_messages = _field(item, "messages", where, (list,), what="a list")
    if not title.strip():  # the store needs a title: name it like an imported chat
        title = title_from([(m.get("role"), m.get("content")) for m in raw_messages
                            if isinstance(m, dict) and isinstance(m.get("content"), str)])
    conv = Conversation(title=title, id=conv_id, title_is_auto=True if title_is_auto is None else title_is_auto,
                        created_at=float(created_at) if isinstance(created_at, int) else created_at,
                        updated_at=created_at if updated_at is None else updated_at, current_leaf_id=None)
    messages: dict[str, Message] = {}
    for j, raw in enumerate(raw_messages):
        mwhere = f"{where}.messages[{j}]"
        if not isinstance(raw, dict):
            raise ImportFormatError(f"must be an object, found {_json_type(raw)}", where=mwhere)
        mid = _field(raw, "id", mwhere, (str,), what="a string")
        if not mid:
            raise ImportFormatError("must not be empty", where=f"{mwhere}.id")
        if mid in seen_msg:
            raise ImportFormatError(f"id {mid!r} is already used by {seen_msg[mid]}", where=f"{mwhere}.id")
        seen_msg[mid] = mwhere
        role = _field(raw, "role", mwhere, (str,), what="a string")
        if role not in ROLES:
            raise ImportFormatError(f"must be one of {', '.join(ROLES)}, not {role!r}", where=f"{mwhere}.role")
        content = _field(raw, "content", mwhere, (str,), what="a string")
        parent = _field(raw, "parent_id", mwhere, (str,), optional=True, what="a string or null")
        m_created = check_time(_field(raw, "created_at", mwhere, (int, float), what="a number (Unix seconds)"),
                               line=None, where=f"{mwhere}.created_at", notes=notes, now=now)
        stop = _field(raw, "stop_reason", mwhere, (str,), optional=True, what="a string or null")
        if stop is not None and stop not in set(StopReason):
            raise ImportFormatError(f"must be one of {', '.join(StopReason)} or null, not {stop!r}",
                                    where=f"{mwhere}.stop_reason")
        meta = _field(raw, "meta", mwhere, (dict,), optional=True, what="an object")
        if meta is not None:
            meta = clean_stats(meta, line=None, where=f"{mwhere}.meta", notes=notes)
        reasoning = _field(raw, "reasoning", mwhere, (str,), optional=True, what="a string")
        if reasoning:
            meta = {**(meta or {}), "reasoning": reasoning}
        messages[mid] = Message(role=role, content=content, parent_id=parent, id=mid, created_at=m_created,
                                stop_reason=stop, meta={} if meta is None else meta)
    positions = {m.id: j for j, m in enumerate(messages.values())}
    for mid, msg in messages.items():
        if msg.parent_id is not None and msg.parent_id not in messages:
            raise ImportFormatError(f"{msg.parent_id!r} is not a message of this conversation",
                                    where=f"{where}.messages[{positions[mid]}].parent_id")
    # every message must reach a root: no cycles
    reaches_root: set[str] = set()
    for mid in messages:
        chain: list[str] = []
        node: str | None = mid
        while node is not None and node not in reaches_root:
            if node in chain:
                raise ImportFormatError("its parents lead back to itself (a cycle)",
                                        where=f"{where}.messages[{positions[node]}].parent_id")
            chain.append(node)
            node = messages[node].parent_id
        reaches_root.update(chain)
    if leaf is not None and leaf not in messages:
        raise ImportFormatError(f"{leaf!r} is not a message of this conversation", where=f"{where}.current_leaf_id")
    conv.messages = messages
    conv.current_leaf_id = leaf
    return conv


# ---------------------------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------------------------


def same_conversation(a: Conversation, b: Conversation) -> bool:
    """Whether two conversations hold the same data (title, branches, messages, metadata)."""
    da, db = conversation_to_dict(a), conversation_to_dict(b)
    da.pop("updated_at"), db.pop("updated_at")
    return json.dumps(da, sort_keys=True, default=str) == json.dumps(db, sort_keys=True, default=str)


def renumbered_copy(conversation: Conversation, *, title_suffix: str = " (imported)") -> Conversation:
    """The conversation with new ids for itself and every message (parents and current leaf follow)."""
    mapping = {mid: new_id() for mid in conversation.messages}
    copy = Conversation(title=conversation.title + title_suffix, title_is_auto=False,
                        created_at=conversation.created_at, updated_at=conversation.updated_at,
                        current_leaf_id=mapping.get(conversation.current_leaf_id or ""))
    for mid, msg in conversation.messages.items():
        copy.messages[mapping[mid]] = Message(
            role=msg.role, content=msg.content, parent_id=mapping[msg.parent_id] if msg.parent_id else None,
            id=mapping[mid], created_at=msg.created_at, stop_reason=msg.stop_reason, meta=dict(msg.meta))
    return copy


def _message_ids_taken(store: _Store, conversation: Conversation) -> bool:
    """Whether any of the conversation's message ids already belongs to a conversation in the store."""
    get_message = getattr(store, "get_message", None)
    if get_message is None:
        return False
    for mid in conversation.messages:
        try:
            get_message(mid)
        except KeyError:
            continue
        return True
    return False


@dataclass
class ImportPlan:
    """What an import will do, worked out before anything is saved (for the import dialog to show and ask).

    Attributes:
        parsed: the file's contents.
        to_save: the conversations that will be saved (copies where the rule in the module docstring says so).
        report: the report the import will give, with one line per conversation.
    """

    parsed: ParsedImport
    to_save: list[Conversation]
    report: ImportReport

    @property
    def message_count(self) -> int:
        """Messages that will be added, every branch counted."""
        return sum(len(c.messages) for c in self.to_save)

    def describe(self) -> str:
        """E.g. "Recognised: ChatGPT data export (conversations.json). It will add 3 conversations with 45
        messages." followed by what is skipped and the notes."""
        n = len(self.to_save)
        text = (f"Recognised: {self.parsed.format_name}.\nIt will add {n} conversation{'s' if n != 1 else ''} with "
                f"{self.message_count} message{'s' if self.message_count != 1 else ''}.")
        if self.report.copied:
            text += f" {len(self.report.copied)} of them as copies: a different version is already in the list."
        if self.report.skipped:
            k = len(self.report.skipped)
            text += (f"\n{k} conversation{'s are' if k != 1 else ' is'} already in the list, unchanged, and will be "
                     "skipped.")
        if self.parsed.notes:
            text += "\n\n" + "\n".join(f"Note: {line}" for line in self.parsed.notes)
        return text


def plan_import(store: _Store, parsed: ParsedImport) -> ImportPlan:
    """Work out what importing ``parsed`` would save, without saving (see the module docstring for the rule)."""
    report = ImportReport(parsed.format, notes=list(parsed.notes))
    existing = {s.id for s in store.list_conversations()}
    to_save: list[Conversation] = []
    for conv in parsed.conversations:
        label = f"“{conv.title}”"
        if conv.id in existing:
            try:
                stored = store.load_conversation(conv.id)
            except KeyError:
                stored = None
            if stored is not None and same_conversation(stored, conv):
                report.skipped.append(conv.id)
                report.messages.append(f"Skipped {label}: it is already in the list, unchanged.")
                continue
            copy = renumbered_copy(conv)
            to_save.append(copy)
            report.copied.append(copy.id)
            report.messages.append(f"Imported {label} as a copy: a different version is already in the list.")
            continue
        if _message_ids_taken(store, conv):
            copy = renumbered_copy(conv, title_suffix="")
            copy.title_is_auto = conv.title_is_auto
            to_save.append(copy)
            report.copied.append(copy.id)
            report.messages.append(f"Imported {label} with new message ids: its ids were already in use.")
            continue
        to_save.append(conv)
        existing.add(conv.id)
        report.imported.append(conv.id)
        report.messages.append(f"Imported {label} ({len(conv.messages)} messages).")
    return ImportPlan(parsed, to_save, report)


def save_plan(store: _Store, plan: ImportPlan) -> ImportReport:
    """Save what :func:`plan_import` worked out. With a store that has ``save_conversations`` every conversation is
    saved in one transaction: all or none. Raises whatever the store raises; then nothing was imported."""
    save_many = getattr(store, "save_conversations", None)
    if save_many is not None:
        save_many(plan.to_save)
    else:
        for conv in plan.to_save:
            store.save_conversation(conv)
    return plan.report


def import_into_store(store: _Store, parsed: ParsedImport) -> ImportReport:
    """Save the parsed conversations without clobbering any (see the module docstring for the rule).

    With a store that has ``save_conversations`` every conversation is saved in one transaction: all or none.
    Raises whatever the store raises (``StoreError``, ``ValueError``); then nothing was imported.
    """
    return save_plan(store, plan_import(store, parsed))
