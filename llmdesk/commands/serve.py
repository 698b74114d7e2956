"""``llmdesk serve``: an OpenAI-compatible API for a local model (or a remote one) on 127.0.0.1."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from llmdesk.commands._common import add_model_flags

KEY_ENV = "LLMDESK_SERVE_API_KEY"


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to bind (default 127.0.0.1; any other needs an API key)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0: any free port)")
    parser.add_argument("--api-key-file", type=Path, metavar="FILE",
                        help=f"require this key (the file's first line) as a bearer token; or set {KEY_ENV}")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="another name clients may use in the Host header (repeatable)")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="a browser origin allowed to call the API, e.g. http://localhost:3000 (repeatable)")
    parser.add_argument("--max-tokens-limit", type=int, default=4096, metavar="N",
                        help="the largest max_tokens a request may ask for (default 4096)")
    parser.add_argument("--name", help="the model name /v1/models lists (default: the model's id)")


def _api_key(args: argparse.Namespace) -> str | None:
    if args.api_key_file is not None:
        try:
            return args.api_key_file.read_text(encoding="utf-8").splitlines()[0].strip() or None
        except (OSError, IndexError) as exc:
            raise SystemExit(f"llmdesk serve: cannot read the API key file {args.api_key_file}: {exc}") from None
    return os.environ.get(KEY_ENV) or None


def run(args: argparse.Namespace) -> int:
    from llmdesk.server.openai_api import ServeConfig, ServeConfigError

    try:
        config = ServeConfig(host=args.host, port=args.port, api_key=_api_key(args),
                             allowed_hosts=tuple(args.allowed_host), cors_origins=tuple(args.cors_origin),
                             max_tokens_limit=args.max_tokens_limit)
    except ServeConfigError as exc:
        print(f"llmdesk serve: {exc}", file=sys.stderr)
        return 2
    from llmdesk.core.settings import load_settings
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.session import ChatEngine
    from llmdesk.server.runner import EngineRunner
    from llmdesk.server.serve import ApiServer

    settings = load_settings().settings
    model = dataclasses.replace(settings.model, **{k: v for k in ("model", "device", "dtype")
                                                   if (v := getattr(args, k)) is not None})
    engine = ChatEngine()
    try:
        info = engine.load(model)
    except EngineError as exc:
        print(f"llmdesk serve: {exc}", file=sys.stderr)
        return 1
    runner = EngineRunner(engine, args.name or info.model_id)
    server = ApiServer(runner, config)
    print(f"llmdesk serve: {info.model_id} on {info.device} ({info.dtype}) at {server.address} "
          f"(model name: {runner.model_ids[0]}); Ctrl+C stops", file=sys.stderr)
    try:
        server.run()
    finally:
        runner.close()
        engine.unload()
    return 0
