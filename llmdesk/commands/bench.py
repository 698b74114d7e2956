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
    parser.add_argument("--precisions", metavar="LIST",
                        help="compare precisions instead, e.g. bfloat16,int8,int4: the model is loaded once in the "
                             "first floating-point one (default bfloat16), int8/int4 are quantized copies; runs "
                             "interleaved, CPU only")
    parser.add_argument("--quality", action="store_true",
                        help="with --precisions (default bfloat16,int8,int4): also compare each int8/int4 copy "
                             "with the reference by teacher forcing on a fixed text and keep the figures for the "
                             "settings panel")


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
    if args.precisions or args.quality:
        return _run_precisions(args)
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
                           repeats=args.repeats, load_s=load_s)
    except EngineError as exc:
        print(f"llmdesk bench: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
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
