"""``llmdesk ask``: stream one reply to stdout (stats to stderr) through the same engine the window uses."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading

from llmdesk.commands._common import add_model_flags
from llmdesk.core.settings import DecodingSettings, SettingsError, field_spec, load_settings, replace_decoding


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
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
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.session import ChatEngine
    from llmdesk.engine.types import ChatTurn

    cancel = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: cancel.set())  # Ctrl+C stops the reply within one step
    engine = ChatEngine()
    try:
        info = engine.load(model, progress=lambda p: print(f"[{p.stage}] {p.message}", file=sys.stderr)
                           if p.stage != "weights" or p.total == 0 else None, cancel=cancel)
        print(f"loaded {info.model_id} on {info.device} ({info.dtype}) in {info.load_seconds:.1f} s",
              file=sys.stderr)

        pieces: list[str] = []
        tokens: list = []

        def out(piece: str) -> None:
            if args.json:
                pieces.append(piece)
                return
            sys.stdout.write(piece)
            sys.stdout.flush()

        stats = engine.chat([ChatTurn("user", args.prompt)], decoding,
                            settings.system_prompt if args.system is None else args.system,
                            on_text=out, cancel=cancel, on_token=tokens.append if args.json else None)
    except EngineError as exc:
        print(f"\nllmdesk ask: {exc}", file=sys.stderr)
        return 1
    if args.json:
        import json

        from llmdesk.core.token_trace import token_json

        print(json.dumps({
            "reply": "".join(pieces), "model": info.model_id, "stats": stats.to_dict(),
            "decoding": dataclasses.asdict(decoding),
            "distribution": "sampled" if args.sampled_distribution else "raw",
            "tokens": token_json(tokens, sampled=args.sampled_distribution, k=args.top_logprobs),
        }, ensure_ascii=False, indent=1))
    else:
        sys.stdout.write("\n")
    rate = f"{stats.decode_tokens_per_s:.2f} tok/s" if stats.decode_tokens_per_s else "n/a"
    ttft = f"{stats.ttft_s * 1000:.0f} ms" if stats.ttft_s is not None else "n/a"
    seed = f", seed {stats.seed}" if stats.seed is not None else ""
    print(f"[{stats.stop_reason}] prompt {stats.prompt_tokens} tokens, reply {stats.new_tokens} tokens, "
          f"first token {ttft}, decode {rate}{seed}", file=sys.stderr)
    return 130 if stats.stop_reason == "cancelled" else 0
