"""The message composer: a multi-line editor (Enter sends, Shift+Enter starts a new line) and a Send button that
turns into Stop while a reply streams."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QSizePolicy, QWidget


class ComposerEdit(QPlainTextEdit):
    """A plain-text editor where Enter submits and Shift+Enter inserts a new line.

    An input method (Korean, Chinese, Japanese) shows a syllable being composed as pre-edit text that is not yet in
    the document. Enter pressed while a syllable is being composed first commits that syllable into the text, then
    submits, so the message is never sent without it.

    Signals:
        submitted(): Enter was pressed.
    """

    submitted = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._preedit = ""

    @property
    def preedit(self) -> str:
        """The text the input method is composing now ("" when none)."""
        return self._preedit

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802 - Qt override
        super().inputMethodEvent(event)
        self._preedit = event.preeditString()

    def commit_preedit(self) -> None:
        """Put the syllable being composed into the text as if the input method had committed it, and tell the
        input method that its composition is over (so it does not commit it a second time)."""
        if not self._preedit:
            return
        commit = QInputMethodEvent()
        commit.setCommitString(self._preedit)
        self.inputMethodEvent(commit)
        QGuiApplication.inputMethod().reset()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier)):
            event.accept()
            self.commit_preedit()
            self.submitted.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit_preedit()
            self.insertPlainText("\n")
            event.accept()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Where the user writes.

    Signals:
        send_requested(str): the user sent this text (the editor is cleared by :meth:`accept_sent`).
        stop_requested(): the user pressed Stop.
    """

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = ComposerEdit(self)
        self.editor.setPlaceholderText(self.tr("Message the model (Enter sends, Shift+Enter for a new line)"))
        self.editor.setAccessibleName(self.tr("Message"))
        self.editor.setAccessibleDescription(self.tr("Write to the model; Enter sends, Shift+Enter starts a new line"))
        self.editor.setTabChangesFocus(True)
        self.editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.editor.submitted.connect(self._on_submit)
        self.editor.textChanged.connect(self._fit_height)
        self.button = QPushButton(self.tr("Send"))
        self.button.setObjectName("sendButton")
        self.button.setProperty("role", "primary")
        self.button.setToolTip(self.tr("Send the message (Enter)"))
        self.button.setAccessibleName(self.tr("Send"))
        self.button.setAccessibleDescription(self.tr("Send the message (Enter)"))
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self._on_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        self._busy = False
        self._fit_height()

    MIN_LINES = 2
    MAX_LINES = 8

    @Slot()
    def _fit_height(self) -> None:
        """Grow with the text, from MIN_LINES to MAX_LINES lines (then it scrolls)."""
        lines = max(self.MIN_LINES, min(self.MAX_LINES, int(self.editor.document().size().height())))
        metrics = self.editor.fontMetrics()
        margins = self.editor.contentsMargins()
        height = (lines * metrics.lineSpacing() + 2 * int(self.editor.document().documentMargin())
                  + margins.top() + margins.bottom() + 2)
        if self.editor.height() != height:
            self.editor.setFixedHeight(height)

    @property
    def busy(self) -> bool:
        return self._busy

    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        """While a reply streams the button is Stop (Esc does the same)."""
        self._busy = busy
        self.button.setText(self.tr("Stop") if busy else self.tr("Send"))
        self.button.setToolTip(self.tr("Stop the reply (Esc)") if busy else self.tr("Send the message (Enter)"))
        self.button.setAccessibleName(self.tr("Stop") if busy else self.tr("Send"))
        self.button.setAccessibleDescription(self.button.toolTip())
        self.button.setProperty("stopMode", busy)
        self.button.setProperty("role", "danger" if busy else "primary")
        self.button.style().unpolish(self.button)
        self.button.style().polish(self.button)

    def text(self) -> str:
        return self.editor.toPlainText()

    def accept_sent(self) -> None:
        """The text was sent: clear the editor."""
        self.editor.clear()

    @Slot()
    def _on_submit(self) -> None:
        if self._busy:
            return
        text = self.text()
        if text.strip():
            self.send_requested.emit(text)

    @Slot()
    def _on_button(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._on_submit()
        self.editor.setFocus()
