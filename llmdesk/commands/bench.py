"""``llmdesk bench``: load time, time to first token and decode speed, engine streaming path vs bare generate; and a
scripted multi-turn chat, re-reading the whole prompt vs the KV cache kept between turns."""

from __future__ import annotations

import argparse
import json
import sys
import time

from llmdesk.commands._common import add_model_flags, add_remote_flags, remote_endpoint


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
    add_remote_flags(parser)
    parser.add_argument("--random-weights", metavar="CONFIG_DIR",
                        help="build the model from this folder's config.json with random weights (no download)")
    parser.add_argument("--prompt-tokens", type=int, default=32, metavar="N", help="prompt length (default 32)")
    parser.add_argument("--new-tokens", type=int, default=32, metavar="N", help="tokens to generate (default 32)")
    parser.add_argument("--repeats", type=int, default=3, metavar="N", help="interleaved runs per path (default 3)")
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--turns", type=int, default=10, metavar="N",
                        help="turns of the multi-turn chat bench (default 10; 0 skips it)")
    parser.add_argument("--turn-tokens", type=int, default=140, metavar="N",
                        help="tokens each turn adds to the multi-turn chat, message and reply (default 140)")
    parser.add_argument("--reply-tokens", type=int, default=4, metavar="N",
                        help="most tokens per reply in the multi-turn chat (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--precisions", metavar="LIST",
                        help="compare precisions instead, e.g. bfloat16,int8,int4: the model is loaded once in the "
                             "first floating-point one (default bfloat16), int8/int4 are quantized copies; runs "
                             "interleaved, CPU only")
    parser.add_argument("--quality", action="store_true",
                        help="with --precisions (default bfloat16,int8,int4): also compare each int8/int4 copy "
                             "with the reference by teacher forcing on a fixed text and keep the figures for the "
                             "settings panel")
    parser.add_argument("--inspector", action="store_true",
                        help="also time the engine path with the token inspector on (per-token distributions)")


def run(args: argparse.Namespace) -> int:
    if args.random_weights and args.model:
        print("llmdesk bench: give --model or --random-weights, not both", file=sys.stderr)
        return 2
    for flag in ("prompt_tokens", "new_tokens", "repeats"):
        if getattr(args, flag) < 1 + (flag == "new_tokens"):
            print(f"llmdesk bench: --{flag.replace('_', '-')} must be at least {1 + (flag == 'new_tokens')}",
                  file=sys.stderr)
            return 2
    if args.turns < 0 or args.reply_tokens < 1 or args.turn_tokens <= args.reply_tokens + 16:
        print("llmdesk bench: --turns must be at least 0, --reply-tokens at least 1, and --turn-tokens above "
              "--reply-tokens + 16", file=sys.stderr)
        return 2
    endpoint = remote_endpoint(args)
    if endpoint is not None:
        return _run_remote(args, endpoint)
    import torch

    from llmdesk.core.settings import load_settings
    from llmdesk.engine.bench import run_bench, run_multi_turn
    from llmdesk.engine.devices import resolve_device, resolve_dtype
    from llmdesk.engine.errors import EngineError

    if args.threads:
        torch.set_num_threads(args.threads)
    loaded_settings = load_settings()
    for warning in loaded_settings.warnings:
        print(f"llmdesk: {warning}", file=sys.stderr)
    if args.precisions or args.quality:
        return _run_precisions(args)
    settings = loaded_settings.settings.model
    try:
        started = time.perf_counter()
        if args.random_weights:
            from llmdesk.engine.random_model import build_random_model

            device = resolve_device(args.device or settings.device)
            dtype = resolve_dtype(device, args.dtype or settings.dtype)
            loaded = build_random_model(args.random_weights, device=device, dtype=dtype)
        else:
            import dataclasses

            from llmdesk.engine.loader import load_model

            model = dataclasses.replace(settings, **{k: v for k in ("model", "device", "dtype")
                                                     if (v := getattr(args, k)) is not None})
            loaded = load_model(model)
        load_s = time.perf_counter() - started
        report = run_bench(loaded, prompt_tokens=args.prompt_tokens, new_tokens=args.new_tokens,
                           repeats=args.repeats, load_s=load_s, inspect=args.inspector)
        multi = run_multi_turn(loaded, turns=args.turns, turn_tokens=args.turn_tokens,
                               reply_tokens=args.reply_tokens) if args.turns else None
    except EngineError as exc:
        print(f"llmdesk bench: {exc}", file=sys.stderr)
        return 1
    if multi is not None:
        report.multi_turn = multi.to_dict()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text()
          + ("\n" + multi.text() if multi is not None else ""))
    return 0


def _run_remote(args: argparse.Namespace, endpoint: object) -> int:
    """Time to first token and decode speed through a remote engine (what the window would see)."""
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.remote import RemoteEngine, bench_remote

    engine = RemoteEngine(endpoint, probe=False)  # type: ignore[arg-type]
    try:
        engine.load()
        report = bench_remote(engine, new_tokens=args.new_tokens, repeats=args.repeats)
    except EngineError as exc:
        print(f"llmdesk bench: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    ttft = f"{report['ttft_s'] * 1000:.1f} ms" if report["ttft_s"] is not None else "n/a"
    rate = f"{report['decode_tokens_per_s']:.2f} tok/s" if report["decode_tokens_per_s"] else "n/a"
    print(f"server          {report['server']} ({report['base_url']}), model {report['model']}\n"
          f"new tokens      {report['new_tokens']}, median of {report['repeats']} runs\n"
          f"time to first   {ttft}\ndecode          {rate}")
    return 0


def _run_precisions(args: argparse.Namespace) -> int:
    """``--precisions`` / ``--quality``: see :mod:`llmdesk.engine.precision_bench`."""
    import dataclasses

    from llmdesk.core.settings import load_settings
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.precision_bench import run_precision_bench
    from llmdesk.engine.quantize import QUANTIZED, check_precision

    names = [p.strip() for p in (args.precisions or "bfloat16,int8,int4").split(",") if p.strip()]
    floats = [p for p in names if p not in QUANTIZED]
    if len(floats) > 1 or any(p not in ("bfloat16", "float16", "float32", *QUANTIZED) for p in names):
        print("llmdesk bench: --precisions takes at most one of bfloat16/float16/float32 plus int8 and/or int4, "
              f"not {args.precisions!r}", file=sys.stderr)
        return 2
    reference = floats[0] if floats else "bfloat16"
    device = args.device or "cpu"
    try:
        for name in names:
            if name in QUANTIZED:
                check_precision(name, device)
        revision = None
        if args.random_weights:
            from llmdesk.engine.random_model import build_random_model

            loaded = build_random_model(args.random_weights, device=device, dtype=reference)
        else:
            from llmdesk.engine.loader import _source, info_revision, load_model

            settings = load_settings().settings.model
            model = dataclasses.replace(settings, model=args.model or settings.model, device=device,
                                        dtype=reference)
            loaded = load_model(model)
            revision = info_revision(_source(model.model), loaded.model.config)
        report = run_precision_bench(loaded, names, prompt_tokens=args.prompt_tokens, new_tokens=args.new_tokens,
                                     repeats=args.repeats, quality=args.quality, revision=revision)
    except (EngineError, ValueError) as exc:
        print(f"llmdesk bench: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
    return 0
