"""Entry point for ``llmdesk`` and ``python -m llmdesk``.

Each subcommand lives in its own module under :mod:`llmdesk.commands` with ``configure(parser)`` and
``run(args) -> int``; a module is imported only when its command runs, so ``llmdesk --help`` stays instant and the
window starts before torch is imported.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from llmdesk import __version__

# name -> (module under llmdesk.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("gui", "open the chat window (the default)"),
    "ask": ("ask", "stream one reply to stdout, stats to stderr"),
    "bench": ("bench", "measure load time, time to first token and decode speed"),
    "bench-ui": ("bench_ui", "measure the chat view's event-loop stalls while streaming"),
    "export": ("export", "export conversations to Markdown, HTML, PDF, text, JSON or JSONL"),
    "import": ("import_", "import conversations from llmdesk JSON, ChatGPT, Open WebUI, OpenAI or ShareGPT JSONL"),
    "search": ("search", "search every message and print the hits"),
    "serve": ("serve", "serve a model over an OpenAI-compatible API on 127.0.0.1"),
    "remote": ("remote", "add, list, check or remove OpenAI-compatible servers (vLLM, SGLang, llama-server, ...)"),
    "prompt": ("prompt", "print the exact prompt the model would receive and its token count"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that subcommand's module is imported and configured (the others
    are listed by name and help, which is all ``llmdesk --help`` shows)."""
    parser = argparse.ArgumentParser(prog="llmdesk", description="Chat with a local large language model.")
    parser.add_argument("--version", action="version", version=f"llmdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(f"llmdesk.commands.{module}").configure(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # No subcommand (or only window options such as --model): open the window.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "gui")
    args = build_parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
    module = importlib.import_module(f"llmdesk.commands.{COMMANDS[args.command][0]}")
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
