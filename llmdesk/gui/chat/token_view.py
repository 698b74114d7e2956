"""The token inspector in the chat view: a reply shaded token by token by its probability, a token's alternatives
under the raw and the sampled distribution, and "continue from here with this token".

Shading is never by colour alone: each probability band has its own underline style (none, dotted, dashed, wavy),
and the tint is one hue (Okabe-Ito orange, distinguishable with the common colour-vision deficiencies) blended into
the window's own base colour, so the text keeps the palette's text colour in light and dark schemes. The shaded text
is the reply's own text, cut where each token ends (``TokenInfo.chars``), so selecting and copying it gives the
reply's text.

Streaming is untouched: the per-token data arrives once, when the reply ends, and shading is built then.

:class:`TokenControls` attaches to a :class:`~llmdesk.gui.chat.chat_view.MessageWidget` (a "Tokens" switch in its
header and the shaded view under its text); :class:`ChatView` calls :func:`attach` for each assistant reply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPoint, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QCursor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QTextBrowser, QToolButton, QToolTip, QVBoxLayout, \
    QWidget

from llmdesk.core.conversation import Message
from llmdesk.core.token_trace import TokenInfo, trace_tokens, visible_piece
from llmdesk.gui.i18n import tr

TOKEN_SCHEME = "tok"
ACCENT = QColor("#e69f00")  # Okabe-Ito orange

# (lowest probability of the band, underline style, tint strength, words for the legend)
BANDS: tuple[tuple[float, QTextCharFormat.UnderlineStyle, float, str], ...] = (
    (0.9, QTextCharFormat.UnderlineStyle.NoUnderline, 0.0, "90% or more: plain"),
    (0.5, QTextCharFormat.UnderlineStyle.DotLine, 0.18, "50–90%: dotted"),
    (0.2, QTextCharFormat.UnderlineStyle.DashUnderline, 0.34, "20–50%: dashed"),
    (0.0, QTextCharFormat.UnderlineStyle.WaveUnderline, 0.55, "under 20%: wavy"),
)


def band(p: float) -> int:
    """The shading band (0: most likely ... 3: least likely) of a probability; NaN counts as unknown (band 0)."""
    if math.isnan(p):
        return 0
    for i, (low, _style, _tint, _words) in enumerate(BANDS):
        if p >= low:
            return i
    return len(BANDS) - 1


def shown_prob(token: TokenInfo) -> float:
    """The probability a token is shaded by: the model's raw one when known, else the one it was drawn from."""
    return token.raw_prob if token.raw_prob is not None else token.prob


def percent(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    if p >= 0.995:
        return f"{p * 100:.1f}%"
    if p >= 0.01:
        return f"{p * 100:.1f}%"
    if p >= 0.001:
        return f"{p * 100:.2f}%"
    return f"{p * 100:.1e}%"


def tint(base: QColor, strength: float) -> QColor:
    """``base`` blended toward the accent by ``strength`` (0-1)."""
    return QColor(round(base.red() * (1 - strength) + ACCENT.red() * strength),
                  round(base.green() * (1 - strength) + ACCENT.green() * strength),
                  round(base.blue() * (1 - strength) + ACCENT.blue() * strength))


def spans(content: str, tokens: Sequence[TokenInfo]) -> list[tuple[int, int, int]]:
    """(token index, start, end) character spans of ``content``, one per token that completed text; tokens
    without ``chars`` are laid out by their text's length. Spans never run past the content."""
    out = []
    pos = 0
    for i, t in enumerate(tokens):
        n = t.chars if t.chars is not None else len(t.text)
        if n <= 0:
            continue
        end = min(len(content), pos + n)
        if end > pos:
            out.append((i, pos, end))
        pos = end
        if pos >= len(content):
            break
    return out


class TokenReplyView(QTextBrowser):
    """A reply as its tokens, each shaded by its probability; hover shows a summary, a click opens the popup.

    Signals:
        token_clicked(int, QPoint): a token's index and the global position to open its popup at.
    """

    token_clicked = Signal(int, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setAccessibleName(self.tr("Reply shaded by token probability"))
        self.tokens: list[TokenInfo] = []
        self.content = ""
        self.anchorClicked.connect(self._on_anchor)
        self.highlighted.connect(self._on_hover)
        self.document().documentLayout().documentSizeChanged.connect(lambda *_: self._fit_height())

    def set_tokens(self, content: str, tokens: Sequence[TokenInfo]) -> None:
        """Show ``content`` cut into ``tokens``' spans, shaded by band, each span a link to its token."""
        self.tokens = list(tokens)
        self.content = content
        base = self.palette().color(QPalette.ColorRole.Base)
        text_color = self.palette().color(QPalette.ColorRole.Text)
        self.document().clear()
        cursor = QTextCursor(self.document())
        plain = QTextCharFormat()
        plain.setForeground(text_color)
        pos = 0
        for index, start, end in spans(content, self.tokens):
            if start > pos:
                cursor.insertText(content[pos:start], plain)
            low, style, strength, _ = BANDS[band(shown_prob(self.tokens[index]))]
            fmt = QTextCharFormat()
            fmt.setForeground(text_color)
            fmt.setAnchor(True)
            fmt.setAnchorHref(f"{TOKEN_SCHEME}:{index}")
            if strength:
                fmt.setBackground(tint(base, strength))
            fmt.setUnderlineStyle(style)
            if style != QTextCharFormat.UnderlineStyle.NoUnderline:
                fmt.setUnderlineColor(text_color)
            cursor.insertText(content[start:end], fmt)
            pos = end
        if pos < len(content):
            cursor.insertText(content[pos:], plain)
        self._fit_height()

    def _fit_height(self) -> None:
        self.document().setTextWidth(self.viewport().width())
        self.setFixedHeight(int(self.document().size().height()) + 4)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def index_of(self, href: str) -> int | None:
        if not href.startswith(TOKEN_SCHEME + ":"):
            return None
        try:
            index = int(href.split(":", 1)[1])
        except ValueError:
            return None
        return index if 0 <= index < len(self.tokens) else None

    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        index = self.index_of(url.toString())
        if index is not None:
            self.token_clicked.emit(index, QCursor.pos())

    @Slot(QUrl)
    def _on_hover(self, url: QUrl) -> None:
        index = self.index_of(url.toString())
        if index is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), summary(self.tokens[index]) + "\n" + self.tr("Click for the alternatives."), self)


def summary(t: TokenInfo) -> str:
    """One token in words: its visible text, id, probability and rank under both distributions."""
    lines = [f"“{visible_piece(t.text)}”  id {t.token_id}"]
    if t.raw_logprob is not None:
        rank = tr(", rank {rank}").format(rank=t.raw_rank + 1) if t.raw_rank is not None else ""
        lines.append(tr("model: {probability}").format(probability=percent(t.raw_prob)) + rank)
    rank = tr(", rank {rank}").format(rank=t.rank + 1) if t.rank is not None else ""
    left = tr(" of %n tokens left", "", t.candidates) if t.candidates is not None else ""
    lines.append(tr("sampled from: {probability}").format(probability=percent(t.prob)) + rank + left)
    return "\n".join(lines)


class TokenPopup(QFrame):
    """A token's details and its top alternatives under both distributions; each alternative can continue the reply.

    Signals:
        continue_requested(int, int): the token's index in the reply and the alternative's id.
    """

    continue_requested = Signal(int, int)

    def __init__(self, index: int, token: TokenInfo, *, can_continue: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("tokenPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.index = index
        self.token = token
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        head = QLabel(summary(token))
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(head)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        titles = ["Token", "id", "Model", "Sampled from", ""]
        for col, title in enumerate(titles):
            label = QLabel(f"<b>{title}</b>")
            grid.addWidget(label, 0, col)
        raw = {i: p for i, _s, p in token.raw_top}
        sampled = {i: p for i, _s, p in token.top}
        texts = {i: s for i, s, _p in (*token.raw_top, *token.top)}
        order = [i for i, _s, _p in token.raw_top] + [i for i, _s, _p in token.top if i not in raw]
        self.continue_buttons: dict[int, QToolButton] = {}
        for row, token_id in enumerate(order, start=1):
            piece = QLabel(f"“{visible_piece(texts[token_id])}”")
            if token_id == token.token_id:
                font = piece.font()
                font.setBold(True)
                piece.setFont(font)
                piece.setToolTip(self.tr("The token the reply has here"))
            piece.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(piece, row, 0)
            grid.addWidget(QLabel(str(token_id)), row, 1)
            grid.addWidget(QLabel(percent(raw.get(token_id)) if token_id in raw else "–"), row, 2)
            grid.addWidget(QLabel(percent(sampled.get(token_id, 0.0)) if token_id in sampled else
                                  ("0% (filtered)" if token.candidates is not None else "–")), row, 3)
            if can_continue and token_id != token.token_id:
                button = QToolButton()
                button.setText(self.tr("Continue with this"))
                button.setToolTip(self.tr("Continue from here with this token: a new version of the reply (◀ ▶ to switch)"))
                button.setAccessibleName(self.tr("Continue from here with {token}").format(
                    token=visible_piece(texts[token_id])))
                button.clicked.connect(lambda _=False, t=token_id: self._choose(t))
                grid.addWidget(button, row, 4)
                self.continue_buttons[token_id] = button
        layout.addLayout(grid)
        note = QLabel(self.tr("Model: the raw distribution (softmax of the logits). Sampled from: after repetition penalty, "
                      "temperature, top-k, top-p and min-p."))
        note.setWordWrap(True)
        note.setObjectName("tokenPopupNote")
        layout.addWidget(note)

    def _choose(self, token_id: int) -> None:
        self.continue_requested.emit(self.index, token_id)
        self.close()


class TokenControls(QWidget):
    """The token inspector of one reply: a "Tokens" switch and a "Prompt" button in the message header, and the
    shaded view.

    Signals:
        continue_requested(str, int, int): message id, token index, alternative token id.
        prompt_requested(str): "Show the prompt" on this reply; its id.
    """

    continue_requested = Signal(str, int, int)
    prompt_requested = Signal(str)

    def __init__(self, widget: Any) -> None:
        super().__init__(widget)
        self.hide()
        self.widget = widget
        self.tokens: list[TokenInfo] | None = None
        self.content = ""
        self.window_on = False
        self.popup: TokenPopup | None = None
        self.view: TokenReplyView | None = None
        self.button = QToolButton(widget)
        self.button.setText(self.tr("Tokens"))
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setToolTip(self.tr("Shade this reply's tokens by their probability (hover or click a token for its "
                               "alternatives)"))
        self.button.setAccessibleName(self.tr("Shade tokens by probability"))
        self.button.toggled.connect(self._apply)
        self.button.hide()
        widget._header.insertWidget(2, self.button)
        self.prompt_button = QToolButton(widget)
        self.prompt_button.setText(self.tr("Prompt"))
        self.prompt_button.setAutoRaise(True)
        self.prompt_button.setToolTip(self.tr("Show the prompt: the exact text and tokens the model received for this reply"))
        self.prompt_button.setAccessibleName(self.tr("Show the prompt of this reply"))
        self.prompt_button.clicked.connect(lambda: self.prompt_requested.emit(widget.message_id))
        self.prompt_button.hide()
        widget._header.insertWidget(2, self.prompt_button)

    def set_message(self, message: Message) -> None:
        """Read the reply's saved tokens (after it ended, or when it is opened)."""
        self.tokens = trace_tokens(message.meta) if message.stop_reason is not None else None
        self.content = message.content
        self.button.setVisible(bool(self.tokens))
        self.prompt_button.setVisible(message.stop_reason is not None)
        if self.tokens and self.window_on and not self.button.isChecked():
            self.button.setChecked(True)
        else:
            self._apply(self.button.isChecked())

    def set_window_switch(self, on: bool) -> None:
        """The window's switch: shade every reply that has tokens (each reply's own switch can still differ)."""
        self.window_on = on
        if self.tokens:
            self.button.setChecked(on)

    def refresh(self) -> None:
        """Shade again (the colour scheme changed)."""
        self._apply(self.button.isChecked())

    @Slot(bool)
    def _apply(self, on: bool) -> None:
        on = on and bool(self.tokens)
        if on:
            if self.view is None:
                self.view = TokenReplyView(self.widget)
                self.view.token_clicked.connect(self.open_popup)
                layout = self.widget.layout()
                layout.insertWidget(layout.indexOf(self.widget.browser) + 1, self.view)
            self.view.setPalette(self.widget.browser.palette())
            assert self.tokens is not None
            self.view.set_tokens(self.content, self.tokens)
            self.view.show()
            self.widget.browser.hide()
        else:
            if self.view is not None:
                self.view.hide()
            self.widget.browser.show()

    @Slot(int, QPoint)
    def open_popup(self, index: int, where: QPoint | None = None) -> TokenPopup | None:
        if not self.tokens or not 0 <= index < len(self.tokens):
            return None
        if self.popup is not None:
            self.popup.close()
        can_continue = bool(getattr(self.widget, "_actions_enabled", True))
        self.popup = TokenPopup(index, self.tokens[index], can_continue=can_continue, parent=self.widget)
        self.popup.continue_requested.connect(
            lambda i, t: self.continue_requested.emit(self.widget.message_id, i, t))
        self.popup.adjustSize()
        self.popup.move(where if where is not None else self.widget.mapToGlobal(QPoint(20, 40)))
        self.popup.show()
        return self.popup


def attach(widget: Any, message: Message) -> TokenControls | None:
    """Give an assistant MessageWidget its token controls (None for other messages)."""
    if message.role != "assistant":
        return None
    controls = TokenControls(widget)
    controls.set_message(message)
    return controls
