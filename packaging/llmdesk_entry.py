"""PyInstaller entry point: the same ``main`` as the ``llmdesk`` command (window by default, subcommands too)."""

from __future__ import annotations

import multiprocessing
import sys

from llmdesk.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
