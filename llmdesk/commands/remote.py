"""``llmdesk remote``: the list of OpenAI-compatible servers (add, list, check, remove)."""

from __future__ import annotations

import argparse
import getpass
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add or replace a server")
    add.add_argument("name", help="a name for the server, e.g. 'lab vLLM'")
    add.add_argument("base_url", help="the API root, e.g. http://127.0.0.1:8000/v1")
    add.add_argument("--model", default="", help="the model to use (default: the server's first)")
    add.add_argument("--api-key", action="store_true", help="ask for an API key (typed, not echoed)")
    add.add_argument("--api-key-stdin", action="store_true", help="read the API key from standard input")
    add.add_argument("--store-key-in-file", action="store_true",
                     help="with no system keyring: keep the key in the config folder (file mode 0600)")
    sub.add_parser("list", help="list the saved servers")
    check = sub.add_parser("check", help="check a server and list its models")
    check.add_argument("name")
    remove = sub.add_parser("remove", help="remove a server and its key")
    remove.add_argument("name")


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.remote_servers import KeyStore, ServerEntry, ServerListError, load_servers, save_servers

    keys = KeyStore()
    servers = load_servers()
    if args.action == "list":
        for entry in servers:
            print(f"{entry.name}\t{entry.base_url}\t{entry.model or '(first listed)'}\tkey: {entry.key_in}")
        return 0
    if args.action == "remove":
        keys.delete(args.name)
        save_servers([e for e in servers if e.name != args.name])
        return 0
    if args.action == "check":
        from llmdesk.engine.remote import RemoteEndpoint, check_endpoint

        entry = next((e for e in servers if e.name == args.name), None)
        if entry is None:
            print(f"llmdesk remote: no server named {args.name!r}", file=sys.stderr)
            return 2
        status = check_endpoint(RemoteEndpoint(entry.name, entry.base_url, entry.model, api_key=keys.get(entry.name)))
        print(status.message)
        for model in status.models:
            print(f"  {model}")
        return 0 if status.ok else 1
    key = None
    if args.api_key_stdin:
        key = sys.stdin.readline().strip() or None
    elif args.api_key:
        key = getpass.getpass("API key: ").strip() or None
    where = "none"
    if key:
        if not keys.keyring_available() and not args.store_key_in_file:
            print("llmdesk remote: no system keyring is available, so the key is not saved (it would last for this "
                  "command only). Add --store-key-in-file to keep it in the config folder (file mode 0600), or "
                  "pass it each time through $LLMDESK_API_KEY.", file=sys.stderr)
        where = keys.set(args.name, key, allow_file=args.store_key_in_file)
    try:
        entry = ServerEntry(args.name, args.base_url, args.model, where if where != "session" else "none")
        save_servers([e for e in servers if e.name != args.name] + [entry])
    except ServerListError as exc:
        print(f"llmdesk remote: {exc}", file=sys.stderr)
        return 2
    print(f"saved {entry.name} ({entry.base_url}); key: {entry.key_in}")
    return 0
