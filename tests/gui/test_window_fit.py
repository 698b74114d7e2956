"""The window fits the screen it opens on: its first size comes from the screen's available area, a remembered
geometry is clipped to the screens present now, and the chat column keeps at least CHAT_MIN_WIDTH px while the
docks give way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QRect, QSize

from llmdesk.gui.window import CHAT_MIN_WIDTH, PREFERRED_SIZE, clip_to_screens, initial_geometry

ROOT = Path(__file__).resolve().parents[2]


def _inside(outer: list[int], inner: list[int]) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def test_initial_geometry_on_a_small_screen_takes_the_available_area_less_the_frame():
    rect = initial_geometry(QRect(0, 0, 1024, 640), frame=QMargins(4, 32, 4, 4))
    assert rect == QRect(4, 32, 1016, 604)


def test_initial_geometry_on_a_large_screen_is_the_preferred_size_centred():
    available = QRect(1920, 0, 2560, 1400)  # a second screen, right of the first
    rect = initial_geometry(available)
    assert rect.size() == PREFERRED_SIZE
    assert available.contains(rect)
    assert abs(rect.center().x() - available.center().x()) <= 1


def test_a_remembered_geometry_on_a_screen_that_is_gone_comes_back_onto_one_that_is_there():
    rect = clip_to_screens(QRect(3000, 200, 1400, 900), [QRect(0, 0, 1024, 640)], frame=QMargins(0, 0, 0, 0))
    assert rect == QRect(0, 0, 1024, 640)


def test_a_remembered_geometry_larger_than_its_screen_is_shrunk_and_kept_where_it_was():
    screens = [QRect(0, 0, 1920, 1080), QRect(1920, 0, 1280, 720)]
    rect = clip_to_screens(QRect(2000, 50, 1600, 1000), screens, frame=QMargins(0, 0, 0, 0))
    assert rect.size() == QSize(1280, 720)
    assert screens[1].contains(rect)


def _open_on_screen(tmp_path: Path, width: int, height: int) -> dict:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "test", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "fit_child.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_window_fits_a_1024x640_screen_with_the_message_box_send_and_status_bar_on_it(tmp_path):
    seen = _open_on_screen(tmp_path, 1024, 640)
    assert seen["screen"] == [0, 0, 1024, 640]
    assert _inside(seen["screen"], seen["frame"]), seen
    for part in ("composer", "send", "status"):
        assert _inside(seen["screen"], seen[part]), (part, seen)
    # the conversation list and the settings panel both fit beside a readable chat column
    assert seen["sidebar_visible"]
    assert seen["chat_width"] >= CHAT_MIN_WIDTH, seen
    assert seen["settings_width"] >= 250, seen


def test_on_an_800px_screen_opening_the_settings_closes_the_conversation_list_not_the_chat(tmp_path):
    seen = _open_on_screen(tmp_path, 800, 600)
    assert _inside(seen["screen"], seen["frame"]), seen
    assert _inside(seen["screen"], seen["send"]), seen
    assert seen["chat_width"] >= CHAT_MIN_WIDTH, seen
    assert not seen["sidebar_visible"], seen


@pytest.mark.parametrize("width", [1100, 1400])
def test_the_settings_panel_opens_beside_a_chat_column_of_at_least_the_minimum(qtbot, width):
    from llmdesk.core.settings import Settings
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.window import ChatWindow

    window = ChatWindow(Settings(), ChatController(), autoload=False, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.resize(width, 700)
    window.show()
    window.settings_dock.show()
    qtbot.waitUntil(lambda: window.settings_dock.width() > 100)
    assert window.centralWidget().width() >= CHAT_MIN_WIDTH
    assert window.settings_dock.width() >= 250


def test_an_empty_conversation_says_what_to_do_when_no_model_is_loaded(qtbot):
    from llmdesk.core.settings import Settings
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.chat.worker import EngineBackend
    from llmdesk.gui.window import ChatWindow
    from llmdesk.engine.errors import EngineError

    engine = ScriptedEngine(reply="hi")
    engine.load = lambda *a, **k: (_ for _ in ()).throw(EngineError("not_found", "no such model"))
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                      list_devices=engine.list_devices))
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.empty_choose_button.isVisible(), timeout=10_000)
    assert window.chat_view.empty_label.text().startswith("No model is loaded.")
    assert "7.6 GB" in window.chat_view.empty_label.text()
    assert window.empty_folder_button.isVisible()
    window.close()


def test_tab_goes_from_the_conversation_list_to_the_message_box_send_and_the_settings(qtbot, tmp_path):
    from PySide6.QtWidgets import QWidget

    from llmdesk.core.settings import Settings
    from llmdesk.core.store import ConversationStore
    from llmdesk.gui.app import build_window

    store = ConversationStore(tmp_path / "c.sqlite3")
    window = build_window(Settings(), store=store, save=None, remember_geometry=False, autoload=False)
    qtbot.addWidget(window)
    window.resize(1300, 780)  # room for both docks beside the chat (the offscreen screen is 800 px wide)
    window.show()
    window.settings_dock.show()
    qtbot.waitExposed(window)
    assert window.sidebar_dock.isVisible()

    def next_focusable(widget: QWidget) -> QWidget:
        nxt = widget.nextInFocusChain()
        while not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus and nxt.isVisible() and nxt.isEnabled()):
            nxt = nxt.nextInFocusChain()
        return nxt

    from PySide6.QtCore import Qt

    sidebar = window.sidebar
    assert next_focusable(sidebar.search_field) is sidebar.new_button
    assert next_focusable(sidebar.new_button) is sidebar.list_view
    assert next_focusable(sidebar.list_view) is window.composer.editor
    assert next_focusable(window.composer.editor) is window.composer.button
    assert next_focusable(window.composer.button) is window.settings_panel.model_edit
    window.close()
    store.close()


def test_status_bar_labels_never_overlap_at_800px(qtbot):
    from llmdesk.core.settings import Settings
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.window import ChatWindow

    window = ChatWindow(Settings(), ChatController(), autoload=False, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    window.model_label.setText("some-organisation/a-very-long-model-name-Instruct-2607-GGUF-bf16")
    window.device_label.setText("cuda:0 · bfloat16")
    window.memory_label.setText("15.2 GiB in use")
    window.activity_label.setText("Writing a reply…")
    window.progress.show()
    window.statusBar().showMessage("Loading the weights from the Hugging Face cache: shard 3 of 4", 5000)
    qtbot.waitExposed(window)
    bar = window.statusBar()
    bar.layout().activate()
    parts = [w for w in (window.activity_label, window.progress, window.model_label, window.device_label,
                         window.memory_label) if w.isVisible()]
    rects = [w.geometry() for w in parts]
    for i, a in enumerate(rects):
        assert bar.rect().contains(a), (parts[i].objectName(), a)
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)
    # the elided label keeps the whole text for screen readers
    assert window.model_label.accessibleName().endswith("bf16")
    window.close()


def test_tab_reaches_each_message_between_the_list_and_the_message_box(qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    from llmdesk.core.settings import Settings
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.chat.worker import EngineBackend
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow

    engine = ScriptedEngine(reply="Hello **there**", rate=0)
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                      list_devices=engine.list_devices))
    window = ChatWindow(Settings(), controller, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: controller.model_info is not None, timeout=5000)
    with qtbot.waitSignal(controller.reply_finished, timeout=10_000):
        window.send("Hi")
    qtbot.wait(50)

    def next_focusable(widget: QWidget) -> QWidget:
        nxt = widget.nextInFocusChain()
        while not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus and nxt.isVisible() and nxt.isEnabled()):
            nxt = nxt.nextInFocusChain()
        return nxt

    mine, reply = window.chat_view.message_widgets()
    order = [mine.edit_button, mine.copy_button, mine.browser, reply.regenerate_button, reply.copy_button,
             reply.browser, window.composer.editor, window.composer.button]
    for first, second in zip(order, order[1:]):
        assert next_focusable(first) is second, (first.accessibleName(), next_focusable(first).accessibleName())
    window.close()
