"""``llmdesk [gui] [--model M] [--device D] [--dtype T]``: open the chat window."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys

from llmdesk.commands._common import add_model_flags


def configure(parser: argparse.ArgumentParser) -> None:
    add_model_flags(parser)
    # Prints the time from launch to the window's first paint, then quits (also LLMDESK_MEASURE_STARTUP=1).
    parser.add_argument("--measure-startup", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.settings import ModelSettings, SettingsError, validate_value

    overrides: dict[str, str] = {}
    for name in ("model", "device", "dtype"):
        value = getattr(args, name, None)
        if value is None:
            continue
        try:
            overrides[name] = validate_value(ModelSettings, name, value, prefix="--")
        except SettingsError as exc:
            print(f"llmdesk: {exc}", file=sys.stderr)
            return 2
    if "model" in overrides and not overrides["model"].strip():
        print("llmdesk: --model: give a Hub id (org/name) or a local folder", file=sys.stderr)
        return 2
    if "device" in overrides:
        device = overrides["device"].strip().lower()
        if not re.fullmatch(r"auto|cpu|mps|balanced|(cuda|xpu)(:\d+)?", device):
            print(f"llmdesk: --device: must be auto, cpu, cuda, cuda:N, mps, xpu, xpu:N or balanced, not "
                  f"{overrides['device']!r}", file=sys.stderr)
            return 2
        overrides["device"] = device
    measure = bool(getattr(args, "measure_startup", False)) or os.environ.get("LLMDESK_MEASURE_STARTUP") == "1"
    # Until the window installs its own handlers (which close it and stop the model thread), Ctrl+C or SIGTERM
    # has nothing to save: leave at once with a clean exit code instead of a traceback or a signal death.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: os._exit(0))

    # Qt's display platform needs system libraries PySide6 does not bring: say which are missing and how to install
    # them, instead of Qt's "Reinstalling the application may fix this problem" or an ImportError.
    from llmdesk.gui.platform_check import check_display_platform

    problem = check_display_platform()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    # One window per profile: hand over to the open window before the window's own modules are imported.
    from llmdesk.core.paths import data_dir
    from llmdesk.gui.single_instance import claim_profile

    lock, code = claim_profile(data_dir(), overrides)
    if code is not None:
        return code
    from llmdesk.gui.app import run_window

    return run_window(model_overrides=overrides, measure_startup=measure, profile_lock=lock)
