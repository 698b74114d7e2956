"""Screenshots of the chat window for the docs: ``python -m llmdesk.gui.dev.screenshots OUTDIR [--dark]``.

Runs the real window with the scripted engine (no model needed): one shot mid-reply, one with the settings panel
open, and (``--conversations``) one with the conversation sidebar and a regenerated reply ("2 / 2"), built on a
throw-away database in a temporary folder; ``--reasoning``: a reasoning model's reply while it thinks, then done
(its reasoning folded) and opened. Run it under a display (e.g. ``xvfb-run``) to see what a person sees; QT_SCALE_FACTOR=2 shows 200%.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

SAMPLE_REPLY = """## Reading a CSV file in Python

The standard library's `csv` module is enough for most files:

```python
import csv

with open("prices.csv", newline="") as fh:
    for row in csv.DictReader(fh):
        print(row["item"], float(row["price"]))
```

A few things to keep in mind:

1. Open the file with `newline=""` so quoted line breaks survive.
2. `DictReader` takes the **first row** as the header.
3. For large files, prefer *streaming* over loading everything.

| Approach | Memory | Speed |
|---|---|---|
| `csv.reader` | low | fast |
| `pandas.read_csv` | high | very fast |

If you need types, convert each field yourself or use pandas, which infers them for you and handles dates,
missing values and much more.
"""


def _sample() -> dict:
    """The conversation content for the interface language in use (English unless a translation is installed)."""
    from llmdesk.gui.dev.screenshot_samples import SAMPLES
    from llmdesk.gui.i18n import current_language

    english = {"question": "How do I read a CSV file in Python?", "reply": SAMPLE_REPLY, "sidebar": SIDEBAR_CHATS,
               "first_reply": FIRST_REPLY}
    return SAMPLES.get(current_language(), english)


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def take(out: Path, *, dark: bool = False, suffix: str = "") -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from llmdesk.core.settings import Settings
    from llmdesk.gui.app import apply_color_scheme, make_application
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow
    from llmdesk.gui.chat.worker import EngineBackend

    app = QApplication.instance() or make_application()
    if dark:
        apply_color_scheme(app, dark=True)
    sample = _sample()
    engine = ScriptedEngine(reply=sample["reply"], rate=60, piece_chars=4)
    settings = Settings()
    settings.model.model = "microsoft/Phi-3-mini-4k-instruct"
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                       list_devices=engine.list_devices))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False)
    window.resize(1100, 760)
    window.show()
    window.start()
    loop = QEventLoop()
    controller.model_loaded.connect(lambda _info: loop.quit())
    loop.exec()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    window.send(sample["question"])
    _wait(int(len(sample["reply"]) / 4 / 60 * 1000 * 0.62))
    path = out / f"chat-mid-reply{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    if controller.busy:
        done = QEventLoop()
        controller.reply_finished.connect(lambda _m: done.quit())
        done.exec()
    _wait(300)
    window.settings_dock.show()
    window.resize(1300, 800)
    _wait(300)
    path = out / f"chat-settings{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    window.close()
    return written


SIDEBAR_CHATS = [
    ("Packing list for a weekend hike", "What should I pack for a two-day hike in autumn?"),
    ("SQL: find duplicate rows", "How do I find duplicate emails in a users table?"),
    ("Explain attention in transformers", "Explain self-attention like I know linear algebra."),
    ("Birthday message for my sister", "Write a short, warm birthday message for my sister."),
]
FIRST_REPLY = "Use `pandas.read_csv(\"prices.csv\")`: it reads the file into a DataFrame in one line."


def take_conversations(out: Path, *, dark: bool = False, suffix: str = "") -> Path:
    """The window with a few conversations in the sidebar and a regenerated reply on show ("2 / 2")."""
    import tempfile
    import time

    from PySide6.QtWidgets import QApplication

    from llmdesk.core.conversation import Conversation, Message
    from llmdesk.core.settings import Settings
    from llmdesk.core.store import ConversationStore
    from llmdesk.gui.app import apply_color_scheme, build_window, make_application
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.chat.worker import EngineBackend

    app = QApplication.instance() or make_application()
    assert isinstance(app, QApplication)
    if dark:
        apply_color_scheme(app, dark=True)
    sample = _sample()
    engine = ScriptedEngine(reply=sample["reply"], rate=400, piece_chars=4)
    settings = Settings()
    settings.model.model = "microsoft/Phi-3-mini-4k-instruct"
    with tempfile.TemporaryDirectory() as folder:
        store = ConversationStore(Path(folder) / "conversations.sqlite3")
        now = time.time()
        for age, (title, question) in enumerate(sample["sidebar"], start=1):
            when = now - age ** 2 * 30_000  # earlier today, yesterday, last week...
            old = Conversation(title=title, title_is_auto=False, created_at=when, updated_at=when + 60)
            user = old.add(Message("user", question, created_at=when))
            old.add(Message("assistant", "…", parent_id=user.id, stop_reason="eos", created_at=when + 60))
            old.updated_at = when + 60
            store.save_conversation(old)
        conv = store.create_conversation()
        user = Message("user", sample["question"], created_at=now - 60)
        store.add_message(conv.id, user)
        store.add_message(conv.id, Message("assistant", sample["first_reply"], parent_id=user.id, stop_reason="eos",
                                           created_at=now - 55))
        window = build_window(settings, store=store, save=None, remember_geometry=False, backend_factory=lambda:
                              EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices))
        window.resize(1200, 780)
        window.show()
        window.start()
        loop = QEventLoop()
        window.controller.model_loaded.connect(lambda _info: loop.quit())
        loop.exec()
        first_reply = window.controller.conversation.path()[-1]
        done = QEventLoop()
        window.controller.reply_finished.connect(lambda _m: done.quit())
        window.controller.regenerate(first_reply.id)  # the reply shown is "2 / 2"
        done.exec()
        for widget in window.chat_view.message_widgets():
            widget.flush_final_render()
        window.chat_view.verticalScrollBar().setValue(0)
        _wait(400)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"conversations{suffix}.png"
        window.grab().save(str(path))
        window.close()
        store.close()
    return path


def take_fitted(out: Path, *, dark: bool = False, suffix: str = "", no_model: bool = False) -> Path:
    """The window as it first opens on this screen (its size comes from the screen's available area), with the
    conversation sidebar, a finished reply (its stats shown with it) and the settings panel open; named after the
    screen: ``window-<w>x<h>[-<scale>x]<suffix>.png``. With ``no_model``, the empty state of a window whose model
    could not be loaded (``window-no-model-...``)."""
    import tempfile
    import time

    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from llmdesk.core.conversation import Conversation, Message
    from llmdesk.core.settings import Settings
    from llmdesk.core.store import ConversationStore
    from llmdesk.engine.errors import EngineError
    from llmdesk.gui.app import apply_color_scheme, build_window, make_application
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.chat.worker import EngineBackend

    app = QApplication.instance() or make_application()
    assert isinstance(app, QApplication)
    if dark:
        apply_color_scheme(app, dark=True)
    engine = ScriptedEngine(reply=SAMPLE_REPLY, rate=400, piece_chars=4)
    if no_model:
        def fail(*_args, **_kwargs):
            raise EngineError("offline", "microsoft/Phi-3-mini-4k-instruct is not in the Hugging Face cache and "
                                         "the Hub cannot be reached")
        engine.load = fail  # type: ignore[method-assign]
    settings = Settings()
    settings.model.model = "microsoft/Phi-3-mini-4k-instruct"
    screen = QGuiApplication.primaryScreen()
    size = screen.size()
    scale = screen.devicePixelRatio()
    name = f"window-{'no-model-' if no_model else ''}{size.width()}x{size.height()}" + \
        (f"-{scale:g}x" if scale != 1 else "") + suffix + ".png"
    with tempfile.TemporaryDirectory() as folder:
        store = ConversationStore(Path(folder) / "conversations.sqlite3")
        now = time.time()
        titles = [*SIDEBAR_CHATS, ("Imported: a very long title from ChatGPT about planning a three-week "
                                   "trip through Japan and Korea by train", "Plan a trip")]
        for age, (title, question) in enumerate(titles, start=1):
            when = now - age ** 2 * 30_000
            old = Conversation(title=title, title_is_auto=False, created_at=when, updated_at=when + 60)
            user = old.add(Message("user", question, created_at=when))
            old.add(Message("assistant", "…", parent_id=user.id, stop_reason="eos", created_at=when + 60))
            old.updated_at = when + 60
            store.save_conversation(old)
        store.create_conversation()
        window = build_window(settings, store=store, save=None, remember_geometry=False, backend_factory=lambda:
                              EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices))
        window.show()
        window.start()
        if no_model:
            _wait(1500)
        else:
            loop = QEventLoop()
            window.controller.model_loaded.connect(lambda _info: loop.quit())
            loop.exec()
            done = QEventLoop()
            window.controller.reply_finished.connect(lambda _m: done.quit())
            window.send("How do I read a CSV file in Python?")
            done.exec()
            for widget in window.chat_view.message_widgets():
                widget.flush_final_render()
            window.settings_dock.show()
        _wait(500)
        out.mkdir(parents=True, exist_ok=True)
        path = out / name
        window.grab().save(str(path))
        window.close()
        store.close()
    return path


REASONING = ("The user wants to know how long a 12 km hike takes. A typical walking pace on a trail is about 4 "
             "km/h, slower uphill.\n\nSo 12 km at 4 km/h is 3 hours of walking. Add breaks: roughly 10 minutes "
             "per hour, so about 30 minutes more. With 400 m of climb, Naismith's rule adds 1 hour per 600 m, "
             "about 40 minutes.\n\nTotal: 3 h + 0.5 h + 0.7 h, about 4 to 4.5 hours. I should give a range and "
             "the reasoning briefly.")
REASONING_ANSWER = """Plan for **about 4 to 4½ hours**:

- walking 12 km at ~4 km/h: 3 h
- the 400 m climb (Naismith's rule): ~40 min
- short breaks: ~30 min

Start early so you have daylight to spare.
"""


def take_reasoning(out: Path, *, dark: bool = False, suffix: str = "") -> list[Path]:
    """Three shots of a reasoning model's reply: thinking (the block open, "Thinking… n s"), done (folded above
    the answer) and done with the block opened from the keyboard."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeyEvent
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
    engine = ScriptedEngine(reply=REASONING_ANSWER, reasoning=REASONING, prompt_opens_reasoning=True,
                            reasoning_rate=30, rate=80, piece_chars=4)
    settings = Settings()
    settings.model.model = "Qwen/Qwen3-0.6B"
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                       list_devices=engine.list_devices))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False)
    window.resize(1000, 720)
    window.show()
    window.start()
    loop = QEventLoop()
    controller.model_loaded.connect(lambda _info: loop.quit())
    loop.exec()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    window.send("How long will a 12 km hike with 400 m of climb take?")
    _wait(int(len(REASONING) / 4 / 30 * 1000 * 0.6))
    path = out / f"reasoning-thinking{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    if controller.busy:
        done = QEventLoop()
        controller.reply_finished.connect(lambda _m: done.quit())
        done.exec()
    _wait(400)
    path = out / f"reasoning-collapsed{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    widget = window.chat_view.message_widgets()[-1]
    assert widget.reasoning is not None
    toggle = widget.reasoning.toggle
    toggle.setFocus()
    for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):  # Space, as a keyboard user opens it
        app.sendEvent(toggle, QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " "))
    _wait(400)
    path = out / f"reasoning-open{suffix}.png"
    window.grab().save(str(path))
    written.append(path)
    window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--suffix", default="")
    parser.add_argument("--conversations", action="store_true",
                        help="only the shot of the conversation sidebar with a branched reply")
    parser.add_argument("--fitted", action="store_true",
                        help="only the window as it opens on this screen, settings open (window-WxH.png)")
    parser.add_argument("--no-model", action="store_true", help="with --fitted: the empty state without a model")
    parser.add_argument("--reasoning", action="store_true",
                        help="only the shots of a reasoning model's reply (thinking, folded, open)")
    parser.add_argument("--language", default=None,
                        help="interface language, e.g. ko (default: the system's, as the app chooses it)")
    args = parser.parse_args(argv)
    from llmdesk.gui.app import make_application

    make_application(language=args.language or "system")
    if args.reasoning:
        for path in take_reasoning(args.out, dark=args.dark, suffix=args.suffix):
            print(path)
        return 0
    if args.fitted:
        print(take_fitted(args.out, dark=args.dark, suffix=args.suffix, no_model=args.no_model))
        return 0
    if args.conversations:
        print(take_conversations(args.out, dark=args.dark, suffix=args.suffix))
        return 0
    for path in take(args.out, dark=args.dark, suffix=args.suffix):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
