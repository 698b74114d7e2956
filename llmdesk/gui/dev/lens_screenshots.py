"""Screenshots of the token inspector for the docs: ``python -m llmdesk.gui.dev.lens_screenshots OUTDIR [--dark]``.

The real window with the scripted engine (made-up probabilities, no model): a reply shaded by token probability
with one token's alternatives open. Run under a display (``xvfb-run -a``); the popup is a window of its own, so the
shot is taken of the screen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QPoint, QTimer

REPLY = ("A fox is a small member of the dog family with a narrow snout, upright ears and a bushy tail. "
         "Red foxes live on every continent except Antarctica and hunt mostly at dusk and dawn, eating rodents, "
         "birds, insects and berries.")


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _pieces(text: str) -> list[str]:
    out, word = [], ""
    for ch in text:
        if ch == " " and word:
            out.append(word)
            word = ""
        word += ch
        if ch in ",." :
            out.append(word)
            word = ""
    if word:
        out.append(word)
    return out


def _shot(window, path: Path) -> Path:  # noqa: ANN001
    screen = window.screen()
    geo = window.frameGeometry()
    screen.grabWindow(0, geo.x(), geo.y(), geo.width() + 40, geo.height()).save(str(path))
    return path


def take(out: Path, *, dark: bool = False) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from llmdesk.core.settings import Settings
    from llmdesk.gui.app import dark_palette, make_application
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.chat.worker import EngineBackend
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow

    app = QApplication.instance() or make_application()
    if dark:
        from llmdesk.core import resources
        from llmdesk.gui.app import spin_box_css

        app.setPalette(dark_palette())
        app.setStyleSheet(resources.style_sheet("dark") + spin_box_css(True))
    suffix = "-dark" if dark else ""
    engine = ScriptedEngine(pieces=_pieces(REPLY), rate=500)
    settings = Settings()
    settings.model.model = "microsoft/Phi-3-mini-4k-instruct"
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                       list_devices=engine.list_devices))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False)
    window.resize(1000, 640)
    window.move(0, 0)
    window.show()
    window.start()
    loop = QEventLoop()
    controller.model_loaded.connect(lambda _info: loop.quit())
    loop.exec()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    done = QEventLoop()
    controller.reply_finished.connect(lambda _m: done.quit())
    window.send("What is a fox?")
    done.exec()
    _wait(200)
    window.shade_tokens_action.setChecked(True)
    _wait(200)
    reply = window.controller.conversation.messages[window.controller.conversation.current_leaf_id]
    controls = window.chat_view.message_widget(reply.id).token_controls
    index = next(i for i, t in enumerate(controls.tokens) if t.raw_prob is not None and t.raw_prob < 0.05)
    view = controls.view
    cursor_rect = view.cursorRect()
    controls.open_popup(index, view.mapToGlobal(QPoint(60, cursor_rect.bottom() + 30)))
    _wait(300)
    written.append(_shot(window, out / f"tokens-shaded{suffix}.png"))
    controls.popup.close()
    window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args(argv)
    for path in take(args.out, dark=args.dark):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
