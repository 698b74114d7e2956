"""Typing Korean (or Chinese, Japanese) through an input method: Enter while a syllable is still being composed
sends the message with that syllable, never without it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from llmdesk.gui.chat.composer import Composer


def _compose(editor, preedit: str, commit: str = "") -> None:
    """What an input method sends: ``commit`` goes into the text, ``preedit`` is shown as being composed."""
    event = QInputMethodEvent(preedit, [])
    if commit:
        event.setCommitString(commit)
    QApplication.sendEvent(editor, event)


def test_enter_while_composing_sends_the_syllable_being_composed(qtbot):
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    editor = composer.editor
    editor.setFocus()
    _compose(editor, "아", commit="")
    _compose(editor, "", commit="안")   # 안 committed
    _compose(editor, "녀")
    _compose(editor, "", commit="녕")   # 녕 committed
    _compose(editor, "하")              # 하 still being composed when Enter comes
    assert editor.toPlainText() == "안녕" and editor.preedit == "하"
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert sent.args == ["안녕하"]
    assert editor.preedit == ""


def test_shift_enter_while_composing_keeps_the_syllable_before_the_new_line(qtbot):
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    editor = composer.editor
    editor.setFocus()
    _compose(editor, "", commit="日本")
    _compose(editor, "ご")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "日本ご\n"


def test_enter_without_composition_sends_the_text_as_typed(qtbot):
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    editor = composer.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "plain")
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert sent.args == ["plain"]
