"""``llmdesk ask``: stream one reply to stdout (stats to stderr) through the same engine the window uses.

With ``--conversation ID`` the prompt continues a stored conversation: the message and the reply are saved to it,
on its shown branch, and the prompt is built as the window builds it (:func:`llmdesk.core.branches.send_message`,
then the engine's chat template and context fitting).
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from typing import Any

from llmdesk.commands._common import add_model_flags, add_remote_flags, remote_endpoint
from llmdesk.core.settings import (
    DecodingSettings,
    ModelSettings,
    SettingsError,
    field_spec,
    load_settings,
    replace_decoding,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
    add_remote_flags(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--greedy", action="store_true", help="always pick the most likely token")
    mode.add_argument("--sample", action="store_true", help="sample (implied by --seed/--temperature/...)")
    for name, kind in (("temperature", float), ("top_p", float), ("top_k", int), ("min_p", float),
                       ("repetition_penalty", float), ("max_new_tokens", int), ("seed", int)):
        spec = field_spec(DecodingSettings, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=kind.__name__.upper(),
                            help=f"{spec['help']} ({spec['min']} to {spec['max']})")
    parser.add_argument("--stop", action="append", metavar="TEXT", help="a stop sequence (repeatable)")
    parser.add_argument("--system", help="system prompt (default: the saved one)")
    parser.add_argument("--conversation", "-c", metavar="ID", help=(
        "continue this stored conversation (its id, or a unique start of it): the message and the reply are "
        "saved to it, on its shown branch"))
    parser.add_argument("--show-dropped", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: the reply, its stats and per token its id, text, logprob and "
                             "the top alternatives")
    parser.add_argument("--top-logprobs", type=int, default=10, metavar="K",
                        help="with --json: alternatives per token, 0 to 10 (default 10)")
    parser.add_argument("--sampled-distribution", action="store_true",
                        help="with --json: log-probabilities under the distribution sampling drew from (after "
                             "repetition penalty, temperature, top-k, top-p, min-p) instead of the model's raw one")
    parser.add_argument("prompt", help="the user message")


def _decoding_from_args(args: argparse.Namespace, base: DecodingSettings) -> DecodingSettings:
    changes: dict[str, object] = {}
    for f in dataclasses.fields(DecodingSettings):
        value = getattr(args, f.name, None)
        if value is not None and f.name not in ("do_sample", "stop_sequences"):
            changes[f.name] = value
    if args.stop:
        changes["stop_sequences"] = args.stop
    sampling_flags = {"temperature", "top_p", "top_k", "min_p", "seed"} & changes.keys()
    if args.greedy:
        changes["do_sample"] = False
    elif args.sample or sampling_flags:
        changes["do_sample"] = True
    return replace_decoding(base, **changes)


def run(args: argparse.Namespace) -> int:
    loaded = load_settings()
    for warning in loaded.warnings:
        print(f"llmdesk: {warning}", file=sys.stderr)
    settings = loaded.settings
    try:
        decoding = _decoding_from_args(args, settings.decoding)
    except SettingsError as exc:
        print(f"llmdesk ask: invalid setting {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.top_logprobs <= 10:
        print(f"llmdesk ask: --top-logprobs must be 0 to 10, not {args.top_logprobs}", file=sys.stderr)
        return 2
    model = dataclasses.replace(settings.model, **{k: v for k in ("model", "device", "dtype")
                                                   if (v := getattr(args, k)) is not None})
    if not args.prompt.strip():
        print("llmdesk ask: the message is empty", file=sys.stderr)
        return 2
    system_prompt = settings.system_prompt if args.system is None else args.system
    endpoint = remote_endpoint(args)
    if args.conversation is not None:
        return _ask_in_conversation(args, model, decoding, system_prompt, endpoint)
    problem = None if endpoint is not None else _model_unavailable(model.model)
    if problem is not None:
        print(f"llmdesk ask: {problem}", file=sys.stderr)
        return 1
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.types import ChatTurn

    cancel = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: cancel.set())  # Ctrl+C stops the reply within one step
    try:
        engine, _info = _load_engine(model, cancel, endpoint)

        pieces: list[str] = []
        tokens: list = []

        def out(piece: str) -> None:
            if args.json:
                pieces.append(piece)
                return
            sys.stdout.write(piece)
            sys.stdout.flush()

        stats = engine.chat([ChatTurn("user", args.prompt)], decoding, system_prompt, on_text=out, cancel=cancel,
                            on_token=tokens.append if args.json else None)
    except EngineError as exc:
        print(f"\nllmdesk ask: {exc}", file=sys.stderr)
        return 1
    if args.json:
        import json

        from llmdesk.core.token_trace import token_json

        print(json.dumps({
            "reply": "".join(pieces), "model": _info.model_id, "stats": stats.to_dict(),
            "decoding": dataclasses.asdict(decoding),
            "distribution": "sampled" if args.sampled_distribution else "raw",
            "tokens": token_json(tokens, sampled=args.sampled_distribution, k=args.top_logprobs),
        }, ensure_ascii=False, indent=1))
        return _report(stats, newline=False)
    return _report(stats)


def _model_unavailable(model: str) -> str | None:
    """Why a Hub model that is not in the local cache cannot be had (offline, or the Hub unreachable), checked
    in about a second before torch is even imported; None when it is cached, local, or the Hub answers."""
    from llmdesk.engine import download
    from llmdesk.engine.errors import EngineError

    name = model.strip()
    if not name or download.looks_like_path(name) or download.cached_snapshot(name) is not None:
        return None
    try:
        download.probe_hub(name)
    except EngineError as exc:
        return str(exc)
    return None


def _load_engine(model: ModelSettings, cancel: threading.Event, endpoint: Any = None) -> tuple[Any, Any]:
    """(engine, ModelInfo): the local model loaded, or the remote server's model connected when ``endpoint`` is
    given (an OpenAI-compatible server: no torch imported); progress on stderr. Raises EngineError."""
    engine: Any
    if endpoint is not None:
        from llmdesk.engine.remote import RemoteEngine

        engine = RemoteEngine(endpoint)
    else:
        from llmdesk.engine.session import ChatEngine

        engine = ChatEngine()
    info = engine.load(model, progress=lambda p: print(f"[{p.stage}] {p.message}", file=sys.stderr)
                       if p.stage != "weights" or p.total == 0 else None, cancel=cancel)
    print(f"loaded {info.model_id} on {info.device} ({info.dtype}) in {info.load_seconds:.1f} s", file=sys.stderr)
    return engine, info


def _find_conversation(store: Any, wanted: str) -> str:
    """The id of the stored conversation ``wanted`` names (its id or a unique start of it). Raises LookupError."""
    wanted = wanted.strip()
    ids = [c.id for c in store.list_conversations()]
    if wanted in ids:
        return wanted
    matches = [cid for cid in ids if wanted and cid.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LookupError(f"{wanted!r} starts {len(matches)} conversation ids; give more of the id")
    raise LookupError(f"no stored conversation has the id {wanted!r}")


def _ask_in_conversation(args: argparse.Namespace, model: ModelSettings, decoding: DecodingSettings,
                         system_prompt: str, endpoint: Any = None) -> int:
    """Continue a stored conversation: send ``args.prompt`` on its shown branch, stream and save the reply."""
    from llmdesk.core import branches
    from llmdesk.core.store import ConversationStore, ReplyCheckpointer, StoreError, reply_meta
    from llmdesk.engine.errors import EngineError

    try:
        store = ConversationStore()
    except StoreError as exc:
        print(f"llmdesk ask: {exc}", file=sys.stderr)
        return 1
    with store:
        if store.notice:
            print(f"llmdesk: {store.notice}", file=sys.stderr)
        try:
            conv = store.load_conversation(_find_conversation(store, args.conversation))
        except (LookupError, StoreError) as exc:
            print(f"llmdesk ask: --conversation: {exc}", file=sys.stderr)
            return 2
        problem = None if endpoint is not None else _model_unavailable(model.model)
        if problem is not None:
            print(f"llmdesk ask: {problem}", file=sys.stderr)
            return 1
        cancel = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: cancel.set())
        try:
            engine, info = _load_engine(model, cancel, endpoint)
        except EngineError as exc:
            print(f"llmdesk ask: {exc}", file=sys.stderr)
            return 1
        user, reply, turns = branches.send_message(conv, args.prompt)
        try:
            store.add_message(conv.id, user)
            store.add_message(conv.id, reply)
        except (StoreError, KeyError, ValueError) as exc:
            print(f"llmdesk ask: could not save the message: {exc}", file=sys.stderr)
            return 1
        writer = ReplyCheckpointer(store, reply.id, meta=reply.meta)

        def out(piece: str) -> None:
            sys.stdout.write(piece)
            sys.stdout.flush()
            writer.append(piece)

        try:
            stats = engine.chat(turns, decoding, system_prompt, on_text=out, cancel=cancel)
        except EngineError as exc:
            writer.finish("error", reply_meta(model=info, decoding=decoding, stop_reason="error", error=str(exc)))
            print(f"\nllmdesk ask: {exc}", file=sys.stderr)
            return 1
        except BaseException as exc:  # Ctrl+C outside generation, or a bug: keep the text, say it was cut off
            writer.finish("error", reply_meta(model=info, decoding=decoding, stop_reason="error",
                                              error=f"{type(exc).__name__}: {exc}"))
            raise
        writer.finish(stats.stop_reason, reply_meta(model=info, decoding=decoding, stats=stats))
        print(f"saved to conversation {conv.id} ({conv.title})", file=sys.stderr)
    return _report(stats)


def _report(stats: Any, *, newline: bool = True) -> int:
    """Stats on stderr (after a newline on stdout that ends the streamed reply); the exit status."""
    if newline:
        sys.stdout.write("\n")
    rate = f"{stats.decode_tokens_per_s:.2f} tok/s" if stats.decode_tokens_per_s else "n/a"
    ttft = f"{stats.ttft_s * 1000:.0f} ms" if stats.ttft_s is not None else "n/a"
    seed = f", seed {stats.seed}" if stats.seed is not None else ""
    print(f"[{stats.stop_reason}] prompt {stats.prompt_tokens} tokens, reply {stats.new_tokens} tokens, "
          f"first token {ttft}, decode {rate}{seed}", file=sys.stderr)
    for note in stats.notes:
        print(f"note: {note}", file=sys.stderr)
    return 130 if stats.stop_reason == "cancelled" else 0
