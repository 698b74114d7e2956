"""``llmdesk search QUERY [--json]``: search every message from the terminal.

Prints each hit, newest first: the conversation (title and id), who wrote the message, when, its id, and a snippet
with the matching words marked (reverse video on a terminal, ``[...]`` otherwise). ``--json`` prints one JSON
document instead: ``{"query", "hits": [{"conversation_id", "conversation_title", "message_id", "role",
"created_at", "snippet", "hits"}]}``, where ``snippet`` is plain text and ``hits`` lists ``[start, end]`` offsets of
the matches in it, in code points. Exit status 0 with hits, 1 with none, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="QUERY", nargs="+",
                        help="words to find (all must occur; Chinese, Japanese and Korean words are found inside "
                             "longer words and sentences)")
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    parser.add_argument("--limit", "-n", type=int, default=50, help="at most this many hits (default 50)")


def open_store_with_progress(command: str):  # noqa: ANN201 (a ConversationStore; imported lazily)
    """The conversation store, printing the search-index rebuild's progress to stderr when an upgrade needs one.

    Raises:
        StoreError: as :class:`~llmdesk.core.store.ConversationStore`.
    """
    from llmdesk.core.store import ConversationStore

    state = {"last": 0.0}

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - state["last"] >= 0.5:
            state["last"] = now
            end = "\n" if done == total else "\r"
            print(f"llmdesk {command}: updating the search index: {done:,} of {total:,} messages", end=end,
                  file=sys.stderr, flush=True)

    return ConversationStore(progress=progress)


def _marked(snippet: str, ranges: list[tuple[int, int]], tty: bool) -> str:
    start_mark, end_mark = ("\x1b[7m", "\x1b[0m") if tty else ("[", "]")
    out = []
    pos = 0
    for start, length in ranges:
        out += [snippet[pos:start], start_mark, snippet[start:start + length], end_mark]
        pos = start + length
    out.append(snippet[pos:])
    return "".join(out)


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.search_text import HIT_END, HIT_START
    from llmdesk.core.store import StoreError

    query = " ".join(args.query)
    if args.limit <= 0:
        print("llmdesk search: --limit must be 1 or more", file=sys.stderr)
        return 2
    try:
        store = open_store_with_progress("search")
    except StoreError as exc:
        print(f"llmdesk search: {exc}", file=sys.stderr)
        return 2
    try:
        if store.notice:
            print(f"llmdesk: {store.notice}", file=sys.stderr)
        hits = store.search(query, limit=args.limit)
    except StoreError as exc:
        print(f"llmdesk search: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()

    rows = []
    for hit in hits:
        plain, ranges = _split(hit.snippet, HIT_START, HIT_END)
        rows.append((hit, plain, ranges))
    if args.json:
        doc = {"query": query, "hits": [
            {"conversation_id": h.conversation_id, "conversation_title": h.title, "message_id": h.message_id,
             "role": h.role, "created_at": h.created_at, "snippet": plain,
             "hits": [[s, s + n] for s, n in ranges]} for h, plain, ranges in rows]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0 if hits else 1
    if not hits:
        print(f"No message holds “{query}”.", file=sys.stderr)
        return 1
    tty = sys.stdout.isatty()
    for h, plain, ranges in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(h.created_at)) if h.created_at else ""
        print(f"{h.title}  ({h.conversation_id})")
        print(f"  {h.role}, {when}, message {h.message_id}")
        print(f"  {_marked(plain, ranges, tty)}")
        print()
    print(f"{len(hits)} hit{'s' if len(hits) != 1 else ''}" + (f" (at most {args.limit} shown)"
                                                             if len(hits) == args.limit else ""))
    return 0


def _split(snippet: str, start_mark: str, end_mark: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and (start, length) ranges of the marked parts, in code points."""
    plain: list[str] = []
    ranges: list[tuple[int, int]] = []
    pos = 0
    begin: int | None = None
    for ch in snippet:
        if ch == start_mark:
            begin = pos
        elif ch == end_mark:
            if begin is not None and pos > begin:
                ranges.append((begin, pos - begin))
            begin = None
        else:
            plain.append(ch)
            pos += 1
    return "".join(plain), ranges
