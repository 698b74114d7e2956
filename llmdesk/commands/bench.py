"""``llmdesk bench``: load time, time to first token and decode speed, engine streaming path vs bare generate."""

from __future__ import annotations

import argparse
import json
import sys
import time

from llmdesk.commands._common import add_model_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
    parser.add_argument("--random-weights", metavar="CONFIG_DIR",
                        help="build the model from this folder's config.json with random weights (no download)")
    parser.add_argument("--prompt-tokens", type=int, default=32, metavar="N", help="prompt length (default 32)")
    parser.add_argument("--new-tokens", type=int, default=32, metavar="N", help="tokens to generate (default 32)")
    parser.add_argument("--repeats", type=int, default=3, metavar="N", help="interleaved runs per path (default 3)")
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
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
    import torch

    from llmdesk.core.settings import load_settings
    from llmdesk.engine.bench import run_bench
    from llmdesk.engine.devices import resolve_device, resolve_dtype
    from llmdesk.engine.errors import EngineError

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = load_settings().settings.model
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
    except EngineError as exc:
        print(f"llmdesk bench: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
    return 0
