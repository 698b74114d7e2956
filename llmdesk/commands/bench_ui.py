"""``llmdesk bench-ui [--tokens N] [--rate R] [--content {mixed,table,list}] [--json]``: event-loop stalls and GUI cost while a reply streams."""

from __future__ import annotations

import argparse


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokens", type=_positive_int, default=20_000, help="pieces to stream (default 20000)")
    parser.add_argument("--rate", type=_positive_float, default=500.0, help="pieces per second (default 500)")
    parser.add_argument("--content", choices=("mixed", "table", "list"), default="mixed",
                        help="what the reply is: a mix of Markdown blocks, one growing table, or one growing list "
                             "(default mixed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    from llmdesk.gui.dev.bench_ui import main

    return main(args.tokens, args.rate, args.json, args.content)
