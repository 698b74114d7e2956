"""End to end through the window with the real engine and the tiny random Phi-3 (no scripted engine)."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import Qt

from llmdesk.core.settings import ModelSettings, Settings
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.window import ChatWindow

pytestmark = pytest.mark.slow


def open_window(qtbot, model: ModelSettings, max_new_tokens: int = 12) -> ChatWindow:
    settings = Settings()
    settings.decoding.max_new_tokens = max_new_tokens
    controller = ChatController()
    window = ChatWindow(settings, controller, initial_model=model, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    return window


def test_chat_with_the_real_tiny_model(qtbot, tiny_model_dir):
    window = open_window(qtbot, ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    controller = window.controller
    qtbot.waitUntil(lambda: controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert controller.model_info is not None, window.banner.label.text()
    assert "cpu" in window.device_label.text() and "float32" in window.device_label.text()
    assert window.memory_label.text().endswith("in use")
    window.composer.editor.setPlainText("Hello, who are you?")
    with qtbot.waitSignal(controller.reply_finished, timeout=180_000) as finished:
        qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)
    message = finished.args[0]
    assert message.stop_reason in ("eos", "length", "stop_sequence"), message.meta
    assert message.meta["stats"]["new_tokens"] > 0
    assert message.meta["model"] == str(tiny_model_dir)
    widget = window.chat_view.message_widget(message.id)
    widget.flush_final_render()
    assert widget.text == message.content
    assert "tokens" in widget.stats_label.text()
    # Stop with the real model: a long reply, stopped after the first piece.
    window.settings_panel.editors["max_new_tokens"].setValue(300)  # applies to the next reply, no reload
    window.composer.editor.setPlainText("Tell me a very long story.")
    failures: list = []
    controller.reply_finished.connect(lambda m: failures.append(m.meta.get("error")))
    qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.reply_pieces_received > 0 or bool(failures), timeout=60_000)
    assert not failures, failures
    with qtbot.waitSignal(controller.reply_finished, timeout=60_000) as stopped:
        qtbot.keyClick(window.composer.editor, Qt.Key.Key_Escape)
    assert stopped.args[0].stop_reason == "cancelled"
    assert window.chat_view.message_widget(stopped.args[0].id).status_label.text() == "Stopped"
    window.close()
    assert not controller.running
    assert not any(t.name == "llmdesk-model" for t in threading.enumerate())


def test_real_load_failure_is_explained_and_the_window_stays_usable(qtbot, tmp_path):
    missing = tmp_path / "no-such-model"
    window = open_window(qtbot, ModelSettings(model=str(missing), device="cpu"))
    qtbot.waitUntil(lambda: window.banner.isVisible() and window.banner.kind == "error", timeout=120_000)
    text = window.banner.label.text()
    assert str(missing) in text or "no-such-model" in text
    assert "torch" in sys.modules  # imported on the worker thread, after the window was shown
    assert window.composer.isEnabled() and window.settings_panel.load_button.isEnabled()
    window.close()
    assert not window.controller.running
