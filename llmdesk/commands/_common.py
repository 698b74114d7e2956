"""Flags shared by several subcommands, declared from the settings' own limits."""

from __future__ import annotations

import argparse

from llmdesk.core.settings import DTYPES


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", "-m", help="Hub id or local model folder (default: the saved setting)")
    parser.add_argument("--device", "-d", help="auto, cpu, cuda, cuda:N, mps, xpu or balanced (default: saved)")
    parser.add_argument("--dtype", choices=DTYPES, help="weight precision (default: saved)")


API_KEY_ENV = "LLMDESK_API_KEY"


def add_remote_flags(parser: argparse.ArgumentParser) -> None:
    """--engine NAME (a saved server) or --base-url URL (with --model as the server's model name)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--engine", metavar="NAME", help="use a saved remote server (see `llmdesk remote list`)")
    group.add_argument("--base-url", metavar="URL",
                       help=f"use an OpenAI-compatible server at URL (ending in /v1); --model names its model; "
                            f"the API key, if any, from ${API_KEY_ENV}")


def remote_endpoint(args: argparse.Namespace) -> object | None:
    """The RemoteEndpoint the flags ask for, or None for the local engine.

    Raises:
        SystemExit: an unknown --engine name.
    """
    import os

    from llmdesk.engine.remote import RemoteEndpoint

    if getattr(args, "base_url", None):
        return RemoteEndpoint("command line", args.base_url, args.model or "", api_key=os.environ.get(API_KEY_ENV))
    if getattr(args, "engine", None):
        from llmdesk.core.remote_servers import KeyStore, find_server

        entry = find_server(args.engine)
        if entry is None:
            raise SystemExit(f"llmdesk: no saved server named {args.engine!r} (see `llmdesk remote list`)")
        key = KeyStore().get(entry.name) or os.environ.get(API_KEY_ENV)
        return RemoteEndpoint(entry.name, entry.base_url, args.model or entry.model, api_key=key)
    return None
