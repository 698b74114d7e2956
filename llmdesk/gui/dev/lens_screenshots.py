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


def take(out: Path, *, dark: bool = False, model: str = "microsoft/Phi-3-mini-4k-instruct") -> list[Path]:
    """Shots: tokens-shaded (a token's alternatives open), context-meter (a message marked as left out; the
    meter and the prompt need ``model`` to be a folder or cached id with the tokenizer and config) and
    prompt-view."""
    from PySide6.QtWidgets import QApplication

    from llmdesk.core.settings import Settings
    from llmdesk.gui.app import apply_color_scheme, make_application
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.chat.worker import EngineBackend
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow

    app = QApplication.instance() or make_application()
    if dark:
        apply_color_scheme(app, dark=True)
    suffix = "-dark" if dark else ""
    engine = ScriptedEngine(pieces=_pieces(REPLY), rate=500)
    settings = Settings()
    settings.model.model = model
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
    controls.button.setChecked(False)
    # The meter: room for 3,990 new tokens leaves 106 for the prompt, so the first exchange will not be sent.
    import dataclasses

    window.controller.set_decoding(dataclasses.replace(window.controller.decoding, max_new_tokens=3990))
    done = QEventLoop()
    controller.reply_finished.connect(lambda _m: done.quit())
    window.send("Where do foxes live, and what do they eat in winter when the ground is frozen?")
    done.exec()
    window.composer.editor.setPlainText("And how do they find mice under deep snow? " * 2)
    for _ in range(300):  # the first count loads transformers and the tokenizer on the pool's thread
        _wait(100)
        result = window.context_meter.result
        if result is not None and result.left_out:
            break
    _wait(300)
    window.chat_view.verticalScrollBar().setValue(0)
    _wait(200)
    written.append(_shot(window, out / f"context-meter{suffix}.png"))
    # The prompt view of the last reply.
    last = window.controller.conversation.current_leaf_id
    dialog = window.show_prompt(last)
    filled = QEventLoop()
    dialog.ready.connect(lambda *_: QTimer.singleShot(200, filled.quit))
    QTimer.singleShot(20_000, filled.quit)
    filled.exec()
    dialog.resize(900, 560)
    dialog.move(40, 40)
    _wait(300)
    path = out / f"prompt-view{suffix}.png"
    dialog.grab().save(str(path))
    written.append(path)
    dialog.tabs.setCurrentIndex(1)
    _wait(200)
    path = out / f"prompt-tokens{suffix}.png"
    dialog.grab().save(str(path))
    written.append(path)
    dialog.close()
    # Compare: greedy vs temperature 1.2 on the last reply, side by side.
    finished: list = []
    controller.reply_finished.connect(finished.append)
    compare = window.compare_last(0)
    for _ in range(200):
        _wait(50)
        if len(finished) >= 2:
            break
    compare.resize(1000, 420)
    compare.move(40, 40)
    _wait(300)
    path = out / f"compare{suffix}.png"
    compare.grab().save(str(path))
    written.append(path)
    compare.close()
    window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--model", default="microsoft/Phi-3-mini-4k-instruct",
                        help="model id or folder whose tokenizer and config the meter and the prompt view use")
    args = parser.parse_args(argv)
    for path in take(args.out, dark=args.dark, model=args.model):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
