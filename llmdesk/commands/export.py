"""``llmdesk export``: write conversations to Markdown, HTML, PDF, plain text, llmdesk JSON or JSONL.

    llmdesk export --conversation ID [--conversation ID ...] --format md --output chat.md
    llmdesk export --all --format json --output backup.json

The format defaults to the one the output's extension names. Every format is written through the export registry
(:mod:`llmdesk.core.export.registry`); PDF needs Qt, which the registry imports only for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from llmdesk.core.export import FORMATS


def configure(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--conversation", "-c", metavar="ID", action="append", dest="conversations",
                       help="a conversation to export (repeat for several; a unique prefix of the id is enough)")
    which.add_argument("--all", action="store_true", help="export every conversation")
    which.add_argument("--list", action="store_true", help="list the conversations (id, messages, title) and exit")
    parser.add_argument("--format", "-f", choices=list(FORMATS),
                        help="output format (default: from the output's extension: .md .html .pdf .txt .json; "
                             ".jsonl means openai-jsonl)")
    parser.add_argument("--output", "-o", metavar="PATH", help="the file to write (required unless --list)")
    parser.add_argument("--no-page-breaks", action="store_true",
                        help="PDF only: run messages on without starting each on a new page")


def resolve_ids(wanted: Sequence[str], known: Sequence[str]) -> list[str]:
    """Full ids for ``wanted`` (exact ids or unique prefixes), in the order given, without repeats.

    Raises:
        ValueError: an id matches no conversation, or a prefix matches several.
    """
    out: list[str] = []
    for item in wanted:
        if item in known:
            match = item
        else:
            hits = [k for k in known if k.startswith(item)]
            if not hits:
                raise ValueError(f"no conversation has the id {item!r} (`llmdesk export --list` shows them)")
            if len(hits) > 1:
                raise ValueError(f"{item!r} matches {len(hits)} conversations; give more of the id")
            match = hits[0]
        if match not in out:
            out.append(match)
    return out


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.atomic import WriteError
    from llmdesk.core.export import ExportError, ExportOptions, format_for_path, write_export
    from llmdesk.core.store import ConversationStore, StoreError

    if args.list:
        return _list_conversations()
    if not args.output:
        print("llmdesk export: --output PATH is required", file=sys.stderr)
        return 2
    fmt = args.format or format_for_path(args.output)
    if fmt is None:
        print(f"llmdesk export: cannot tell the format from {args.output!r}; pass --format "
              f"({', '.join(FORMATS)})", file=sys.stderr)
        return 2
    try:
        store = ConversationStore()
    except StoreError as exc:
        print(f"llmdesk export: {exc}", file=sys.stderr)
        return 1
    try:
        if store.notice:
            print(f"llmdesk: {store.notice}", file=sys.stderr)
        known = [s.id for s in store.list_conversations()]
        try:
            ids = known if args.all else resolve_ids(args.conversations, known)
        except ValueError as exc:
            print(f"llmdesk export: {exc}", file=sys.stderr)
            return 2
        if not ids:
            print("llmdesk export: there are no conversations to export", file=sys.stderr)
            return 1
        conversations = [store.load_conversation(i) for i in ids]
        rendered = write_export(conversations, fmt, args.output,
                                ExportOptions(page_break_between_messages=not args.no_page_breaks))
    except (ExportError, WriteError, StoreError) as exc:
        print(f"llmdesk export: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    for warning in rendered.warnings:
        print(f"llmdesk export: warning: {warning}", file=sys.stderr)
    n = len(conversations)
    print(f"Exported {n} conversation{'s' if n != 1 else ''} as {FORMATS[fmt][1]} to {args.output}",
          file=sys.stderr)
    return 0


def _list_conversations() -> int:
    from llmdesk.core.store import ConversationStore, StoreError

    try:
        with ConversationStore() as store:
            for summary in store.list_conversations():
                print(f"{summary.id}  {summary.message_count:5d}  {summary.title}")
    except StoreError as exc:
        print(f"llmdesk export: {exc}", file=sys.stderr)
        return 1
    return 0
