"""Shows what the user should know about a finished reply (``meta["notes"]``): a setting the server refused or
ignored, per-token data or token counts it did not send. Never dropped silently."""

from __future__ import annotations

from typing import Any


def install_reply_notes(window: Any) -> None:
    """After each reply with notes, show them in ``window``'s banner (a notice, dismissable)."""

    def finished(message: Any) -> None:
        notes = (getattr(message, "meta", None) or {}).get("notes")
        if notes:
            window.banner.show_message("\n".join(str(n) for n in notes), kind="notice")

    window.controller.reply_finished.connect(finished)
