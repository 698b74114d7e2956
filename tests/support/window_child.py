"""A real ``llmdesk`` window process for the subprocess tests, with the scripted engine instead of a model.

Runs ``llmdesk.__main__.main(argv)`` unchanged (profile lock, hand-over server, store, window, model thread); only
the engine is the scripted one (:class:`llmdesk.gui.dev.scripted_engine.ScriptedEngine`). It reports on stdout, one
line each, flushed:

    LOADED <model>                   the engine loaded a model
    HANDOVER <json options>          another launch handed over to this window
    STREAMING <conversation> <reply> the first text of a reply arrived
    FINISHED <reply> <stop reason>   a reply ended
    LISTED <rows>                    the conversation list was reloaded (a change by another process)

Environment: LLMDESK_CHILD_PROMPT (sent once, after the first load), LLMDESK_CHILD_TOKENS (reply length in
pieces), LLMDESK_CHILD_RATE (pieces per second).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from llmdesk.gui import app as gui_app
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow
    from llmdesk.gui.chat.worker import EngineBackend

    engine = ScriptedEngine(reply=None, tokens=int(os.environ.get("LLMDESK_CHILD_TOKENS", "50")),
                            rate=float(os.environ.get("LLMDESK_CHILD_RATE", "0")))
    scripted_load = engine.load

    def load(settings, progress=None, cancel=None):
        info = scripted_load(settings, progress, cancel)
        print("LOADED", settings.model, flush=True)
        return info

    engine.load = load  # type: ignore[method-assign]
    real_run_window = gui_app.run_window

    def run_window(**kwargs):
        return real_run_window(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                     list_devices=engine.list_devices), **kwargs)

    gui_app.run_window = run_window  # type: ignore[assignment]
    real_apply = ChatWindow.apply_launch_options

    def apply_launch_options(self, options):
        print("HANDOVER", json.dumps(options, sort_keys=True), flush=True)
        real_apply(self, options)

    ChatWindow.apply_launch_options = apply_launch_options  # type: ignore[method-assign]
    real_build = gui_app.build_window
    prompt = os.environ.get("LLMDESK_CHILD_PROMPT")

    def build_window(*args, **kwargs):
        window = real_build(*args, **kwargs)
        controller = window.controller
        streaming: set[str] = set()

        def on_loaded(_info):
            if prompt and not streaming:
                streaming.add("")
                window.send(prompt)

        def on_text(message_id, _chunk):
            if message_id not in streaming:
                streaming.add(message_id)
                print("STREAMING", controller.conversation.id, message_id, flush=True)

        controller.model_loaded.connect(on_loaded)
        controller.reply_text.connect(on_text)
        controller.reply_finished.connect(lambda m: print("FINISHED", m.id, m.stop_reason, flush=True))
        if window.sidebar is not None:
            model = window.sidebar.model
            model.modelReset.connect(lambda: print("LISTED", model.rowCount(), flush=True))
        return window

    gui_app.build_window = build_window  # type: ignore[assignment]
    from llmdesk.__main__ import main as llmdesk_main

    return llmdesk_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
