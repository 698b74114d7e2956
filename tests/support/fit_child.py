"""Opens the chat window (with its conversation sidebar, no model) on an offscreen screen of a given size and prints
where its parts are, as JSON, for tests/gui/test_window_fit.py.

Run with ``QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json`` (Qt's offscreen platform reads the screen's size from
that file). Prints one line: {"screen": [x, y, w, h], "frame": [...], "composer": [...], "send": [...],
"status": [...], "chat_width": int, "settings_width": int, "sidebar_visible": bool}; rectangles in screen
coordinates.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def _rect(widget) -> list[int]:
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def main() -> int:
    from llmdesk.core.settings import Settings
    from llmdesk.core.store import ConversationStore
    from llmdesk.gui.app import build_window, make_application

    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        store = ConversationStore(Path(folder) / "conversations.sqlite3")
        window = build_window(Settings(), store=store, save=None, remember_geometry=False, autoload=False)
        window.show()
        for _ in range(5):
            app.processEvents()
        opened = {"chat_width_closed": window.centralWidget().width()}
        window.settings_dock.show()
        for _ in range(5):
            app.processEvents()
        screen = window.screen().availableGeometry()
        frame = window.frameGeometry()
        print(json.dumps({
            "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "composer": _rect(window.composer.editor), "send": _rect(window.composer.button),
            "status": _rect(window.statusBar()), "chat_width": window.centralWidget().width(),
            "settings_width": window.settings_dock.width(), "sidebar_visible": window.sidebar_dock.isVisible(),
            **opened}), flush=True)
        window.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
