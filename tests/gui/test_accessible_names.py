"""Every control a keyboard can reach has an accessible name (what a screen reader says), and each message names
who wrote it and its status."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

from llmdesk.core.conversation import Message
from llmdesk.core.settings import Settings
from llmdesk.core.store import ConversationStore
from llmdesk.gui.app import build_window


def _name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def test_every_focusable_control_has_an_accessible_name(qtbot, tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    window = build_window(Settings(), store=store, save=None, remember_geometry=False, autoload=False)
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    window.settings_dock.show()
    user = window.controller.conversation.add(Message("user", "Hello"))
    window.chat_view.add_message(user)
    reply = Message("assistant", "Hi **there**", parent_id=user.id, stop_reason="length",
                    meta={"stats": {"new_tokens": 3, "tokens_per_s": 12.5, "ttft_s": 0.25}})
    window.chat_view.add_message(reply)
    qtbot.waitExposed(window)
    unnamed = [f"{type(w).__name__} {w.objectName()!r} in {type(w.parent()).__name__}"
               for w in window.findChildren(QWidget)
               if w.isVisible() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
               and not isinstance(w.parent(), QAbstractSpinBox)  # a spin box's own line edit: the box is named
               and not _name(w).strip()]
    assert unnamed == []
    widgets = window.chat_view.message_widgets()
    assert _name(widgets[0]) == "Your message"
    assert _name(widgets[1]).startswith("Assistant reply, ") and "12.5 tok/s" in _name(widgets[1])
    assert _name(widgets[1].browser) == "Assistant reply"
    window.close()
    store.close()
