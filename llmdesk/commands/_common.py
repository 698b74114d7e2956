"""Flags shared by several subcommands, declared from the settings' own limits."""

from __future__ import annotations

import argparse

from llmdesk.core.settings import DTYPES


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", "-m", help="Hub id or local model folder (default: the saved setting)")
    parser.add_argument("--device", "-d", help="auto, cpu, cuda, cuda:N, mps, xpu or balanced (default: saved)")
    parser.add_argument("--dtype", choices=DTYPES, help="weight precision (default: saved)")
