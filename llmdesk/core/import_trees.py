"""Chats exported by other apps as message trees: ChatGPT's data export and Open WebUI's chat export.

ChatGPT (Settings → Data controls → Export; the ``conversations.json`` in the zip) is a JSON list of conversations,
each with ``title``, ``create_time``, ``update_time``, ``current_node`` and a ``mapping`` of node id -> ``{"message",
"parent", "children"}``; a message has ``author.role``, ``content`` (``content_type`` and ``parts`` or ``text``),
``create_time`` and ``metadata``. Open WebUI (Settings → Chats → Export, or a chat's Download → Export chat) is a
JSON list of chats, each ``{"id", "title", "chat": {"history": {"messages": {id: {"id", "parentId",
"childrenIds", "role", "content", "timestamp", "model"}}, "currentId"}}, "created_at", "updated_at"}``.

Both trees become llmdesk branches: a regenerated or edited message is another child of the same parent, and the
branch on show in the other app is the one shown. Nodes without text (ChatGPT's empty root and hidden system
messages, custom instructions, reasoning summaries) are left out and their children hang from the nearest message
kept; images become ``[image]``. Tool calls and tool output (code the assistant ran, its result, browsing) are kept
as readable text in the assistant's message, folded together with the assistant turns around them so that user
and assistant still take turns.

Ids are derived from the other app's ids (UUID version 5), so importing the same export twice skips what is
already in the list instead of making copies.

No Qt, no torch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.import_checks import (
    ImportFormatError,
    Notes,
    check_optional_time,
    json_type,
    tool_call_text,
    tool_result_text,
)

_NAMESPACE = uuid.UUID("5b0e3c1e-6f55-4c39-9a0b-6c6c6d646573")
TOOL_NOTE = "tool calls and tool output were kept as text in the assistant's message"


def _id(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).hex


def detect(items: Any) -> str | None:
    """"chatgpt" or "open-webui" when a decoded JSON list looks like that app's export, else None."""
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    first = items[0]
    if "mapping" in first:
        return "chatgpt"
    chat = first.get("chat")
    if isinstance(chat, dict) and ("history" in chat or "messages" in chat):
        return "open-webui"
    if "history" in first and isinstance(first.get("history"), dict) and "messages" in first["history"]:
        return "open-webui"
    return None


def parse(kind: str, items: list[Any], notes: Notes, now: Callable[[], float]) -> list[Conversation]:
    """The conversations of a ChatGPT (``kind`` "chatgpt") or Open WebUI ("open-webui") export.

    Raises:
        ImportFormatError: the first problem, with its place (``[2].mapping.n5.message.author.role``).
    """
    reader = _chatgpt_conversation if kind == "chatgpt" else _open_webui_conversation
    conversations = []
    seen: dict[str, str] = {}
    for k, item in enumerate(items):
        where = f"[{k}]"
        if not isinstance(item, dict):
            raise ImportFormatError(f"must be an object, found {json_type(item)}", where=where)
        conv = reader(item, where, notes, now)
        if conv.id in seen:
            raise ImportFormatError(f"the same conversation as {seen[conv.id]}", where=where)
        seen[conv.id] = where
        conversations.append(conv)
    return conversations


# -- the tree shared by both ----------------------------------------------------------------------------------------

class _Node:
    __slots__ = ("key", "parent", "role", "text", "created_at", "meta", "tool")

    def __init__(self, key: str, parent: str | None, role: str | None, text: str, created_at: float | None,
                 meta: dict[str, Any], tool: bool = False) -> None:
        self.key, self.parent, self.role, self.text = key, parent, role, text
        self.created_at, self.meta, self.tool = created_at, meta, tool


def _build(conv: Conversation, nodes: dict[str, _Node], current: str | None, where: str) -> Conversation:
    """Turn nodes (``role`` None: left out) into the conversation's messages: children of a left-out node hang from
    its nearest kept ancestor; an assistant message with tool output and the assistant turns that follow it in a
    straight line become one message. Raises ImportFormatError on a cycle."""
    def kept_ancestor(key: str | None) -> str | None:
        seen: set[str] = set()
        while key is not None and key in nodes and nodes[key].role is None:
            if key in seen:
                raise ImportFormatError("its parents lead back to itself (a cycle)", where=f"{where}.{key}")
            seen.add(key)
            key = nodes[key].parent
        return key if key in nodes else None

    parent_of = {k: kept_ancestor(n.parent) for k, n in nodes.items() if n.role is not None}
    children: dict[str | None, list[str]] = {}
    for k, p in parent_of.items():
        children.setdefault(p, []).append(k)
    # fold an assistant-side child into its assistant parent when the parent has tool output and only this child
    survivor: dict[str, str] = {}
    order = _topological(parent_of, where)
    for k in order:
        node = nodes[k]
        p = parent_of[k]
        target = survivor.get(p, p) if p is not None else None
        if (target is not None and node.role == "assistant" and nodes[target].role == "assistant"
                and (node.tool or nodes[target].tool) and len(children.get(p, [])) == 1):
            t = nodes[target]
            t.text = "\n\n".join(x for x in (t.text, node.text) if x)
            t.tool = t.tool or node.tool
            for key in ("tool_calls", "tool_results"):
                if node.meta.get(key):
                    t.meta[key] = list(t.meta.get(key, [])) + list(node.meta[key])
            for key, value in node.meta.items():
                t.meta.setdefault(key, value)
            survivor[k] = target
    base = conv.created_at
    ids = {k: _id(conv.id, k) for k in order}
    last_time: dict[str | None, float] = {None: base}
    for k in order:
        if k in survivor:
            continue
        node = nodes[k]
        p = parent_of[k]
        p = survivor.get(p, p) if p is not None else None
        created = node.created_at
        if created is None:  # no time given: just after the parent, keeping the order
            created = last_time.get(p, base) + 1e-3
        last_time[k] = created
        conv.add(Message(role=node.role or "assistant", content=node.text, parent_id=ids[p] if p else None, id=ids[k],
                         created_at=created, stop_reason="eos" if node.role == "assistant" else None,
                         meta=node.meta))
    leaf = kept_ancestor(current) if current is not None else None
    leaf = survivor.get(leaf, leaf) if leaf is not None else None
    if leaf is not None and ids.get(leaf) in conv.messages:
        conv.current_leaf_id = ids[leaf]
    elif conv.messages:
        conv.current_leaf_id = max(conv.messages.values(), key=lambda m: m.created_at).id
    return conv


def _topological(parent_of: dict[str, str | None], where: str) -> list[str]:
    out: list[str] = []
    done: set[str] = set()
    for start in parent_of:
        chain = []
        k: str | None = start
        while k is not None and k not in done:
            if k in chain:
                raise ImportFormatError("its parents lead back to itself (a cycle)", where=f"{where}.{k}")
            chain.append(k)
            k = parent_of.get(k)
        for c in reversed(chain):
            done.add(c)
            out.append(c)
    return out


def _when(value: Any, where: str, notes: Notes, now: Callable[[], float]) -> float | None:
    return check_optional_time(value, line=None, where=where, notes=notes, now=now)


def _title(title: Any, nodes: dict[str, _Node]) -> str:
    if isinstance(title, str) and title.strip():
        return " ".join(title.split())
    from llmdesk.core.importer import title_from

    return title_from([(n.role, n.text) for n in nodes.values() if n.role is not None])


# -- ChatGPT ----------------------------------------------------------------------------------------------------------

_HIDDEN_TYPES = {"user_editable_context", "thoughts", "reasoning_recap", "model_editable_context"}


def _chatgpt_text(message: dict[str, Any], where: str, notes: Notes) -> tuple[str | None, bool]:
    """(text, is tool traffic) of a ChatGPT message; text None when there is nothing to show."""
    content = message.get("content")
    if content is None:
        return None, False
    if not isinstance(content, dict):
        raise ImportFormatError(f"must be an object, found {json_type(content)}", where=f"{where}.content")
    ctype = content.get("content_type", "text")
    role = (message.get("author") or {}).get("role")
    if ctype in _HIDDEN_TYPES:
        return None, False
    if "parts" in content:
        parts = content["parts"]
        if not isinstance(parts, list):
            raise ImportFormatError(f"must be a list, found {json_type(parts)}", where=f"{where}.content.parts")
        texts = []
        for j, part in enumerate(parts):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                kind = part.get("content_type", "")
                if "image" in kind:
                    texts.append("[image]")
                    notes.add("images are not imported; [image] marks where one was", f"{where}.content.parts[{j}]")
                elif isinstance(part.get("text"), str):
                    texts.append(part["text"])
                else:
                    notes.add("attachments are not imported", f"{where}.content.parts[{j}]")
            elif part is not None:
                raise ImportFormatError(f"must be text or an object, found {json_type(part)}",
                                        where=f"{where}.content.parts[{j}]")
        text = "".join(texts)
    elif isinstance(content.get("text"), str):
        text = content["text"]
    elif isinstance(content.get("result"), str):
        text = content["result"]
    else:
        notes.add(f"messages of kind {ctype!r} hold no text and were left out", f"{where}.content")
        return None, False
    recipient = message.get("recipient")
    if role == "tool":
        name = (message.get("author") or {}).get("name")
        return (tool_result_text(name if isinstance(name, str) else None, text) if text.strip() else None), True
    if role == "assistant" and (ctype == "code" or (isinstance(recipient, str) and recipient not in ("all", ""))):
        return (tool_call_text(recipient if isinstance(recipient, str) else "tool", text) if text.strip()
                else None), True
    return text, False


def _chatgpt_conversation(item: dict[str, Any], where: str, notes: Notes, now: Callable[[], float]) -> Conversation:
    mapping = item.get("mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise ImportFormatError(f"must be an object of message nodes, found {json_type(mapping)}",
                                where=f"{where}.mapping")
    key = item.get("id") or item.get("conversation_id")
    created = _when(item.get("create_time"), f"{where}.create_time", notes, now)
    updated = _when(item.get("update_time"), f"{where}.update_time", notes, now)
    nodes: dict[str, _Node] = {}
    for node_id, node in mapping.items():
        nwhere = f"{where}.mapping.{node_id}"
        if not isinstance(node, dict):
            raise ImportFormatError(f"must be an object, found {json_type(node)}", where=nwhere)
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise ImportFormatError(f"must be a node id or null, found {json_type(parent)}", where=f"{nwhere}.parent")
        if parent is not None and parent not in mapping:
            raise ImportFormatError(f"{parent!r} is not a node of this conversation", where=f"{nwhere}.parent")
        message = node.get("message")
        role = None
        text = ""
        m_created = None
        meta: dict[str, Any] = {}
        tool = False
        if message is not None:
            mwhere = f"{nwhere}.message"
            if not isinstance(message, dict):
                raise ImportFormatError(f"must be an object or null, found {json_type(message)}", where=mwhere)
            author = message.get("author")
            raw_role = author.get("role") if isinstance(author, dict) else None
            if raw_role not in ("system", "user", "assistant", "tool"):
                raise ImportFormatError(f"role {raw_role!r} is not one of system, user, assistant, tool",
                                        where=f"{mwhere}.author.role")
            m_created = _when(message.get("create_time"), f"{mwhere}.create_time", notes, now)
            metadata: dict[str, Any] = message["metadata"] if isinstance(message.get("metadata"), dict) else {}
            hidden = bool(metadata.get("is_visually_hidden_from_conversation"))
            shown, tool = _chatgpt_text(message, mwhere, notes)
            if shown is not None and not hidden and (shown.strip() or raw_role == "assistant"):
                role = "assistant" if raw_role == "tool" else raw_role
                text = shown
                model = metadata.get("model_slug")
                if isinstance(model, str) and role == "assistant":
                    meta["model"] = model
                if tool:
                    meta["tool_calls" if raw_role == "assistant" else "tool_results"] = [message.get("content")]
                    notes.add(TOOL_NOTE, mwhere)
        nodes[node_id] = _Node(node_id, parent, role, text, m_created, meta, tool)
    if not any(n.role is not None for n in nodes.values()):
        raise ImportFormatError("holds no messages with text", where=f"{where}.mapping")
    first_time = min((n.created_at for n in nodes.values() if n.created_at is not None), default=None)
    created = created if created is not None else (first_time if first_time is not None else now())
    conv = Conversation(title=_title(item.get("title"), nodes), id=_id("chatgpt", str(key or where + str(created))),
                        title_is_auto=False, created_at=created, updated_at=updated if updated else created)
    current = item.get("current_node")
    if current is not None and current not in mapping:
        raise ImportFormatError(f"{current!r} is not a node of this conversation", where=f"{where}.current_node")
    return _build(conv, nodes, current, f"{where}.mapping")


# -- Open WebUI -------------------------------------------------------------------------------------------------------

def _open_webui_conversation(item: dict[str, Any], where: str, notes: Notes,
                             now: Callable[[], float]) -> Conversation:
    chat: dict[str, Any] = item["chat"] if isinstance(item.get("chat"), dict) else item
    cwhere = f"{where}.chat" if chat is not item else where
    history = chat.get("history")
    raw: dict[str, Any]
    current: Any = None
    if isinstance(history, dict) and isinstance(history.get("messages"), dict):
        raw = history["messages"]
        current = history.get("currentId")
        mwhere = f"{cwhere}.history.messages"
    elif isinstance(chat.get("messages"), list):  # an older export: the shown branch only, as a list
        raw = {}
        previous = None
        for j, m in enumerate(chat["messages"]):
            if not isinstance(m, dict):
                raise ImportFormatError(f"must be an object, found {json_type(m)}", where=f"{cwhere}.messages[{j}]")
            mid = str(m.get("id") or f"m{j}")
            raw[mid] = {**m, "id": mid, "parentId": m.get("parentId", previous)}
            previous = mid
        current = previous
        mwhere = f"{cwhere}.messages"
    else:
        raise ImportFormatError('must hold "history": {"messages": {...}} or a "messages" list',
                                where=cwhere)
    key = item.get("id") or chat.get("id")
    nodes: dict[str, _Node] = {}
    for mid, m in raw.items():
        w = f"{mwhere}.{mid}"
        if not isinstance(m, dict):
            raise ImportFormatError(f"must be an object, found {json_type(m)}", where=w)
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            raise ImportFormatError(f"role {role!r} is not one of system, user, assistant, tool", where=f"{w}.role")
        content = m.get("content", "")
        if content is None:
            content = ""
        if isinstance(content, list):  # content parts, as the OpenAI API takes them
            content = "".join(p.get("text", "") if isinstance(p, dict) and p.get("type") == "text" else ""
                              for p in content)
        if not isinstance(content, str):
            raise ImportFormatError(f"must be text, found {json_type(content)}", where=f"{w}.content")
        parent = m.get("parentId")
        if parent is not None and parent not in raw:
            raise ImportFormatError(f"{parent!r} is not a message of this chat", where=f"{w}.parentId")
        created = _when(m.get("timestamp"), f"{w}.timestamp", notes, now)
        meta: dict[str, Any] = {}
        if isinstance(m.get("model"), str) and role == "assistant":
            meta["model"] = m["model"]
        tool = role == "tool"
        if tool:
            content = tool_result_text(m.get("name") if isinstance(m.get("name"), str) else None, content)
            meta["tool_results"] = [m.get("content")]
            notes.add(TOOL_NOTE, w)
        if m.get("files"):
            notes.add("attached files are not imported", f"{w}.files")
        keep = bool(content.strip()) or role == "assistant"
        nodes[mid] = _Node(mid, parent, ("assistant" if tool else role) if keep else None, content, created, meta,
                           tool)
    if not any(n.role is not None for n in nodes.values()):
        raise ImportFormatError("holds no messages", where=mwhere)
    created = _when(item.get("created_at"), f"{where}.created_at", notes, now)
    if created is None:
        created = _when(chat.get("timestamp"), f"{cwhere}.timestamp", notes, now)
    if created is None:
        created = min((n.created_at for n in nodes.values() if n.created_at is not None), default=now())
    updated = _when(item.get("updated_at"), f"{where}.updated_at", notes, now)
    title = item.get("title") if isinstance(item.get("title"), str) else chat.get("title")
    conv = Conversation(title=_title(title, nodes), id=_id("open-webui", str(key or where + str(created))),
                        title_is_auto=False, created_at=created, updated_at=updated if updated else created)
    if current is not None and current not in raw:
        raise ImportFormatError(f"{current!r} is not a message of this chat", where=f"{cwhere}.history.currentId")
    return _build(conv, nodes, current, mwhere)
