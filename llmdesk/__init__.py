"""llmdesk: a native desktop chat application for running large language models locally.

Importing this package imports neither Qt nor torch: the command line and the window decide what to load.
"""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "llmdesk"
DEFAULT_MODEL = "microsoft/Phi-3-mini-4k-instruct"
