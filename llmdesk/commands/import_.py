"""``llmdesk import PATH``: import conversations from an llmdesk JSON export, OpenAI chat JSONL or ShareGPT JSONL,
ChatGPT's data export (``conversations.json``) or Open WebUI's chat export.

The whole file is checked first; a file with any mistake is refused with the line or field that is wrong, and
nothing is imported from it. Conversations already in the list are never overwritten: an identical one is skipped,
a different one with the same id is imported as a copy with new ids.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH",
                        help="a .json file exported by llmdesk, ChatGPT (conversations.json) or Open WebUI, or "
                             "OpenAI / ShareGPT training data: JSONL (one conversation per line) or a JSON list of "
                             "such conversations")


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.importer import ImportFormatError, import_into_store, read_import_file
    from llmdesk.commands.search import open_store_with_progress
    from llmdesk.core.store import StoreError

    try:
        parsed = read_import_file(args.path)
    except ImportFormatError as exc:
        print(f"llmdesk import: {exc}\nNothing was imported.", file=sys.stderr)
        return 1
    try:
        store = open_store_with_progress("import")
    except StoreError as exc:
        print(f"llmdesk import: {exc}", file=sys.stderr)
        return 1
    try:
        if store.notice:
            print(f"llmdesk: {store.notice}", file=sys.stderr)
        report = import_into_store(store, parsed)
    except (StoreError, ValueError) as exc:
        print(f"llmdesk import: {exc}\nNothing was imported.", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"Recognised: {parsed.format_name}.")
    for line in report.messages:
        print(line)
    print(report.summary())
    return 0
