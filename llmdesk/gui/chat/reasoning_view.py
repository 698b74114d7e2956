"""The reasoning block of a reply: a collapsible section above the answer.

A reasoning model's reply streams its reasoning first (``<think>…</think>``). :class:`ReasoningView` takes the
reply's raw text pieces, keeps the reasoning (shown here) apart from the answer (handed back to the message
widget), shows "Thinking… 3 s" while the reasoning lasts, and folds the block when the reasoning ends. The toggle is
a QToolButton: Tab reaches it, Space or Enter opens and closes it. Hidden for replies without reasoning. The split
itself is :class:`llmdesk.core.reasoning.ReasoningSplitter`, the same rules the controller saves the reply with.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from llmdesk.core.conversation import Message, message_reasoning
from llmdesk.core.reasoning import ReasoningSplitter


class ReasoningView(QWidget):
    """The "Reasoning" block of one reply.

    Args:
        message: the reply; a saved reply's ``meta["reasoning"]`` is shown at once (folded).
    """

    def __init__(self, message: Message, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasoningBlock")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("reasoningToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.toggle.toggled.connect(self._on_toggled)
        self.toggle.clicked.connect(self._on_clicked)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.body = QLabel(self)
        self.body.setObjectName("reasoningText")
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.body.setAccessibleName(self.tr("Reasoning"))
        self.body.setIndent(12)
        self.body.setStyleSheet("QLabel#reasoningText { border-left: 3px solid palette(mid); padding-left: 8px; }")
        layout.addWidget(self.body)
        self._user_chose = False  # the reader opened or closed the block while it streamed: leave it so
        self._started: float | None = None
        self._seconds: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._update_label)
        self.splitter = ReasoningSplitter()
        self._shown_answer = 0
        self._resets = 0
        self._apply_muted_colour()
        self._show_saved(message)

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def expanded(self) -> bool:
        """Whether the reasoning text is open."""
        return self.toggle.isChecked()

    @property
    def thinking(self) -> bool:
        """Whether the reasoning is streaming now."""
        return self._timer.isActive()

    @property
    def text(self) -> str:
        """The reasoning shown."""
        return self.body.text()

    def set_expanded(self, expanded: bool) -> None:
        """Open or fold the reasoning text."""
        self.toggle.setChecked(expanded)
        self._on_toggled(expanded)

    # -- streaming --------------------------------------------------------------------------------------------
    def feed(self, piece: str) -> tuple[str, bool]:
        """Take a piece of the reply's raw text.

        Returns:
            (the answer text that arrived with this piece, whether the answer shown so far must be cleared
            first: a closing tag with no opening tag made the text before it reasoning).
        """
        was_inside = self.splitter.in_reasoning
        self.splitter.feed(piece)
        reset = self.splitter.resets != self._resets
        if reset:
            self._resets = self.splitter.resets
            self._shown_answer = 0
        if self.splitter.in_reasoning and not was_inside:
            self._begin()
        if self.splitter.has_reasoning:
            self.body.setText(self.splitter.reasoning.rstrip())
            if not self.splitter.in_reasoning and (was_inside or reset):
                self._end(fold=True)
            self.show()
        answer = self.splitter.answer
        delta = answer[self._shown_answer:]
        self._shown_answer = len(answer)
        return delta, reset

    def resume(self, answer: str) -> None:
        """The reply streams on after its answer so far (Continue): the split goes on from there."""
        self.splitter = ReasoningSplitter()
        self.splitter.feed(answer)
        self._shown_answer, self._resets = len(self.splitter.answer), 0

    def finish(self, message: Message) -> None:
        """The reply ended: show the saved reasoning (the controller's split), stop the clock and fold it (unless
        the reader opened it while it streamed)."""
        reasoning = message_reasoning(message)
        self._end(fold=not (self._user_chose and self.expanded))
        if reasoning:
            self.body.setText(reasoning)
            self.show()
        else:
            self.hide()

    # -- internals --------------------------------------------------------------------------------------------
    def _show_saved(self, message: Message) -> None:
        reasoning = message_reasoning(message)
        if reasoning:
            self.body.setText(reasoning)
            self.set_expanded(False)
            self._update_label()
        else:
            self.set_expanded(False)
            self.hide()

    def _begin(self) -> None:
        self._started = time.monotonic()
        self._timer.start()
        if not self._user_chose:
            self.set_expanded(True)
        self._update_label()

    def _end(self, *, fold: bool) -> None:
        if self._timer.isActive():
            self._timer.stop()
            if self._started is not None:
                self._seconds = time.monotonic() - self._started
        if fold and not self._user_chose:
            self.set_expanded(False)
        self._update_label()

    @Slot()
    def _update_label(self) -> None:
        if self._timer.isActive() and self._started is not None:
            label = self.tr("Thinking… {seconds} s").format(seconds=f"{time.monotonic() - self._started:.0f}")
        elif self._seconds is not None:
            label = self.tr("Reasoning ({seconds} s)").format(seconds=f"{self._seconds:.0f}")
        else:
            label = self.tr("Reasoning")
        self.toggle.setText(label)
        if self.expanded:
            self.toggle.setAccessibleName(self.tr("{label}: hide the reasoning").format(label=label))
            self.toggle.setToolTip(self.tr("Click (or Space) to hide the model's reasoning"))
        else:
            self.toggle.setAccessibleName(self.tr("{label}: show the reasoning").format(label=label))
            self.toggle.setToolTip(self.tr("Click (or Space) to show the model's reasoning"))

    @Slot(bool)
    def _on_toggled(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        self._update_label()

    @Slot()
    def _on_clicked(self) -> None:
        if self.thinking:
            self._user_chose = True

    def _apply_muted_colour(self) -> None:
        pal = QPalette(self.palette())
        pal.setColor(QPalette.ColorRole.WindowText, self.palette().color(QPalette.ColorRole.PlaceholderText))
        self.body.setPalette(pal)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """A theme switch (light/dark) gives the reasoning text the new muted colour."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_muted_colour()
