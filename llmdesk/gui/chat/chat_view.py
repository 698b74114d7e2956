"""The chat view: a scrolling column of messages, with assistant replies rendered as Markdown while they stream.

User messages are shown as the plain text that was typed; assistant messages are Markdown (headings, lists,
tables, inline code, fenced code with syntax colours and a "Copy code" link). Each message has a Copy button.
Nothing from the model is ever treated as live HTML, and no resource (image, stylesheet) is ever loaded.

Branches: a reply has Regenerate (a new sibling reply; the old one is kept) and, when it stopped at the token limit,
Continue; your own message has Edit (an inline editor: Ctrl+Enter saves as a new branch, Esc cancels). A message
with alternatives shows "◀ 2 / 3 ▶" (Alt+Left / Alt+Right while the message has focus). The view only asks for
these through signals; the controller changes the conversation. All of them are disabled while a reply streams.

Streaming cost stays flat: only the open block of the open message is re-rendered per update (see
:mod:`llmdesk.gui.chat.message_renderer`). The view follows the reply only while the reader is at the bottom.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QRectF, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QTextDocument, QTextOption
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea, QSizePolicy,
                               QTextBrowser, QToolButton, QVBoxLayout, QWidget)

from llmdesk.core import branches
from llmdesk.core.conversation import Conversation, Message, stop_reason_label
from llmdesk.gui.chat import token_view
from llmdesk.gui.chat.highlight import CodeHighlighter
from llmdesk.gui.chat.markdown_document import InertTextDocument
from llmdesk.gui.chat.message_renderer import COPY_SCHEME, MessageRenderer
from llmdesk.gui.chat.reasoning_view import ReasoningView
from llmdesk.gui.engine_text import translate_engine_text
from llmdesk.gui.i18n import format_number, tr

WARM_UP_SAMPLE = ("# H1\n\n## H2\n\n### H3\n\nText **bold** *italic* ***both*** `code` ~~struck~~ [link](x).\n\n"
                  "- item\n  1. nested\n\n> quote\n\n| a | b |\n|---|---|\n| **1** | `2` |\n\n"
                  "```python\ndef f(x: int) -> str:  # comment\n    return f'{x!r}' + \"s\"\n```\n")
FINISH_SLICE_S = 0.008
RECENT_MESSAGES = 40  # opening a conversation builds the newest messages; earlier ones on request, this many at once
LONG_MESSAGE_CHARS = 20_000  # longer saved replies are rendered in slices when a conversation is opened  # the final whole-message render runs in slices of about this long
_WHOLE_DOCUMENT = 1e9  # the height of Qt's "repaint everything" request (INT_MAX)
STOP_REASON_TEXT = {
    "cancelled": "Stopped",
    "length": "Stopped at the token limit",
    "stop_sequence": "Ended at a stop sequence",
    "error": "Failed",
}


def is_dark(palette: QPalette) -> bool:
    """Whether the palette is a dark one (light text on a dark window)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _alt_arrow_step(event: Any) -> int:
    """-1 for Alt+Left, +1 for Alt+Right, else 0."""
    if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier != Qt.KeyboardModifier.AltModifier:
        return 0
    key = event.key()
    return -1 if key == Qt.Key.Key_Left else 1 if key == Qt.Key.Key_Right else 0


def reply_stats_text(message: Message) -> str:
    """A reply's speed and token counts from its saved stats ("41.2 tok/s · 87 tokens · first token 0.18 s"),
    or "" when it has none."""
    stats = message.meta.get("stats") if isinstance(message.meta, dict) else None
    if not isinstance(stats, dict):
        return ""
    parts = []
    speed = stats.get("tokens_per_s")
    if isinstance(speed, (int, float)) and speed > 0:
        parts.append(f"{format_number(speed, 1)} tok/s")
    tokens = stats.get("new_tokens")
    if isinstance(tokens, int):
        parts.append(tr("%n token(s)", "", tokens))
    first = stats.get("ttft_s")
    if isinstance(first, (int, float)):
        parts.append(tr("first token {seconds} s").format(seconds=format_number(first, 2)))
    return " · ".join(parts)


class MessageBrowser(QTextBrowser):
    """A read-only text view that is as tall as its text (the chat view scrolls, not the message), follows no
    links and loads no resources.

    Signals:
        link_activated(str): a link was activated (by mouse or keyboard): an internal ``llmdesk-copy:N`` link, or
            a link from the model's text (never opened: the chat view copies it instead).
    """

    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The browser's own default document would read file: images from disk when this browser's loadResource
        # returns nothing; an inert document loads nothing at all.
        self.setDocument(InertTextDocument(self))
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setObjectName("messageBrowser")
        self.set_background(self.palette().color(QPalette.ColorRole.Base))
        self.viewport().setAutoFillBackground(True)  # opaque (the message's colour): cheaper to paint and scroll
        # Growing (every streamed update) repaints only the new strip, not the whole message.
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.anchorClicked.connect(self._on_anchor)
        self._connected_layout: Any = None
        self._repaint_top: float | None = None
        self._batch = 0
        self._watch_document()

    def set_background(self, color: QColor) -> None:
        """The message's colour; whatever the app's style sheet says about text edits: no padding, and a frame that
        shows only with keyboard focus (so keyboard users see where they are)."""
        focus = self.palette().color(QPalette.ColorRole.Highlight).name()
        self.setStyleSheet(
            f"QTextBrowser#messageBrowser {{ border: 1px solid transparent; border-radius: 3px; padding: 0px;"
            f" background: {color.name()}; }}"
            f" QTextBrowser#messageBrowser:focus {{ border: 1px solid {focus}; }}")

    def setDocument(self, document: QTextDocument) -> None:  # noqa: N802 - Qt override
        super().setDocument(document)
        if hasattr(self, "_batch"):  # not during __init__
            self._watch_document()
            self._update_height()

    def loadResource(self, type_: int, url: QUrl | str) -> Any:  # noqa: N802 - Qt override
        """Refuse every resource: model output must not make the app fetch anything (remote images, files)."""
        return None

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if _alt_arrow_step(event):  # not the browser's "back"/"forward": the message switches versions
            event.ignore()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        event.ignore()  # let the chat view scroll

    def _watch_document(self) -> None:
        layout = self.document().documentLayout()
        if layout is not self._connected_layout:
            layout.documentSizeChanged.connect(self._update_height)
            # Repaints go through _on_layout_update (instead of Qt's own connection): Qt asks to repaint the whole
            # document after an edit that adds or removes a table, which while streaming is the whole visible
            # message at every update.
            layout.update.disconnect()
            layout.update.connect(self._on_layout_update)
            self._connected_layout = layout
        opt = self.document().defaultTextOption()
        opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.document().setDefaultTextOption(opt)

    def repaint_below(self, y: float | None) -> None:
        """While set, edits are known to change nothing above document y-coordinate ``y`` (the open block of a
        streaming reply): repaint requests for the whole document are cut to what lies below it. None: no limit."""
        self._repaint_top = y

    @Slot(QRectF)
    def _on_layout_update(self, rect: QRectF) -> None:
        if self._repaint_top is not None and rect.top() < self._repaint_top and rect.height() >= _WHOLE_DOCUMENT:
            rect = QRectF(rect.left(), self._repaint_top, rect.width(), rect.height())
        area = rect.intersected(QRectF(self.viewport().rect())).toAlignedRect()
        if not area.isEmpty():
            self.viewport().update(area)

    def begin_batch(self) -> None:
        """Hold height updates during several edits (one relayout of the chat instead of one per edit)."""
        self._batch += 1

    def end_batch(self) -> None:
        self._batch -= 1
        if not self._batch:
            self._update_height()

    @Slot()
    def _update_height(self, *_: Any) -> None:
        if self._batch:
            return
        height = int(self.document().size().height() + 0.999) + 2 * self.frameWidth()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.height())

    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        self.link_activated.emit(url.toString())


class MessageWidget(QFrame):
    """One message: a header (who, status, Copy button) and the text.

    Args:
        message: the message to show.
        highlighter: colours for code blocks.
        link_color: colour for links.

    Signals:
        copy_requested(str): text to put on the clipboard.
        regenerate_requested(str): Regenerate was chosen on this reply; its id.
        continue_requested(str): Continue was chosen on this reply; its id.
        edit_submitted(str, str): the inline editor of this user message was saved; its id and the new text.
        switch_requested(str, int): show the previous (-1) or next (+1) alternative of this message.
    """

    copy_requested = Signal(str)
    regenerate_requested = Signal(str)
    continue_requested = Signal(str)
    edit_submitted = Signal(str, str)
    switch_requested = Signal(str, int)

    def __init__(self, message: Message, highlighter: CodeHighlighter, link_color: QColor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_id = message.id
        self.role = message.role
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)

        header = QHBoxLayout()
        header.setSpacing(8)
        self.role_label = QLabel(self.tr("You") if message.role == "user" else self.tr("Assistant"))
        font = self.role_label.font()
        font.setBold(True)
        self.role_label.setFont(font)
        self.status_label = QLabel("")
        self.status_label.setObjectName("messageStatus")
        # This reply's own speed and token counts (from its saved stats), shown with it.
        self.stats_label = QLabel("")
        self.stats_label.setObjectName("messageStats")
        self.stats_label.setProperty("role", "muted")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_label.setWordWrap(True)
        self.stats_label.hide()
        self.copy_button = QToolButton()
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy this message (as Markdown) to the clipboard"))
        self.copy_button.setAccessibleName(self.tr("Copy your message") if message.role == "user"
                                           else self.tr("Copy the assistant message"))
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self._copy_all)
        # One action button per message (Edit or Regenerate); the arrows and Continue are made when first needed:
        # a long conversation opens without building thousands of hidden buttons.
        self.edit_button: QToolButton | None = None
        self.regenerate_button: QToolButton | None = None
        if message.role == "user":
            self.edit_button = self._tool_button(self.tr("Edit"), self.tr(
                "Edit this message and send it again (the original and its replies are kept as another version)"),
                self.tr("Edit your message"))
            self.edit_button.clicked.connect(self.start_edit)
            action = self.edit_button
        else:
            self.regenerate_button = self._tool_button(self.tr("Regenerate"), self.tr(
                "Write another reply to the same message (this one is kept; the arrows switch between them)"),
                self.tr("Regenerate this reply"))
            self.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(self.message_id))
            action = self.regenerate_button
        action.hide()
        self._nav: tuple[QToolButton, QLabel, QToolButton] | None = None
        self._continue: QToolButton | None = None
        self._header = header
        header.addWidget(self.role_label)
        header.addWidget(self.status_label, 1)
        header.addWidget(action)
        header.addWidget(self.copy_button)
        layout.addLayout(header)
        self._actions_enabled = True
        self._can_continue = False
        self._index, self._count = 1, 1

        self.reasoning = ReasoningView(message, self) if message.role == "assistant" else None
        if self.reasoning is not None:
            layout.addWidget(self.reasoning)
        self.browser = MessageBrowser(self)
        self.browser.setAccessibleName(self.tr("Your message") if message.role == "user" else self.tr("Assistant reply"))
        self.browser.link_activated.connect(self._on_link)
        layout.addWidget(self.browser)
        self.error_label = QLabel("")
        self.error_label.setObjectName("messageError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        layout.addWidget(self.stats_label)  # under the text: it never takes room from the header's buttons
        self.editor: QPlainTextEdit | None = None
        self._edit_bar: QWidget | None = None

        self.renderer: MessageRenderer | None = None
        self.token_controls: token_view.TokenControls | None = None
        self._finish_steps: Iterator[None] | None = None
        self._finish_timer: QTimer | None = None
        self._plain = message.content
        self.apply_colors(highlighter, link_color)
        if message.role == "assistant":
            self.renderer = MessageRenderer(self.browser.document(), highlighter, link_color)
            if len(message.content) > LONG_MESSAGE_CHARS:  # rendered in slices: opening a chat never freezes
                self._start_final_render(self.renderer.set_text_steps(message.content))
            elif message.content:
                self.renderer.set_text(message.content)
            if message.stop_reason is not None:
                self._show_status(message)  # a saved reply: rendered above, as a whole
            else:
                self.status_label.setText(self.tr("Writing…"))
                self._update_accessible(self.tr("writing"))
        else:
            self.browser.setPlainText(message.content)
            self._update_accessible("")

    def _update_accessible(self, status: str) -> None:
        """Name the message for screen readers by who wrote it and its status ("Assistant reply, finished");
        its text is the text of :attr:`browser`."""
        who = self.tr("Your message") if self.role == "user" else self.tr("Assistant reply")
        self.setAccessibleName(f"{who}, {status}" if status else who)
        self.browser.setAccessibleDescription(status)

    def _tool_button(self, text: str, tip: str, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(name)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    # -- branches ---------------------------------------------------------------------------------------------
    def _nav_widgets(self) -> tuple[QToolButton, QLabel, QToolButton]:
        if self._nav is None:
            user = self.role == "user"
            prev = self._tool_button("◀", self.tr("Show the previous version of your message (Alt+Left)") if user
                                     else self.tr("Show the previous version of this reply (Alt+Left)"),
                                     self.tr("Previous version"))
            prev.clicked.connect(lambda: self.switch_requested.emit(self.message_id, -1))
            label = QLabel("", self)
            label.setObjectName("branchPosition")
            nxt = self._tool_button("▶", self.tr("Show the next version of your message (Alt+Right)") if user
                                    else self.tr("Show the next version of this reply (Alt+Right)"),
                                    self.tr("Next version"))
            nxt.clicked.connect(lambda: self.switch_requested.emit(self.message_id, 1))
            for i, widget in enumerate((prev, label, nxt), start=1):
                widget.hide()
                self._header.insertWidget(i, widget)
            self._nav = (prev, label, nxt)
        return self._nav

    @property
    def prev_button(self) -> QToolButton:
        """◀: the previous version (made when first needed)."""
        return self._nav_widgets()[0]

    @property
    def position_label(self) -> QLabel:
        """"2 / 3" (made when first needed)."""
        return self._nav_widgets()[1]

    @property
    def next_button(self) -> QToolButton:
        """▶: the next version (made when first needed)."""
        return self._nav_widgets()[2]

    @property
    def continue_button(self) -> QToolButton:
        """Continue, on a reply cut at the token limit (made when first needed)."""
        if self._continue is None:
            button = self._tool_button("Continue", "The reply stopped at the token limit: let the model go on "
                                       "where it stopped", "Continue this reply")
            button.clicked.connect(lambda: self.continue_requested.emit(self.message_id))
            button.hide()
            self._header.insertWidget(self._header.indexOf(self.status_label) + 1, button)
            self._continue = button
        return self._continue

    def set_branch_state(self, index: int, count: int, *, can_continue: bool = False) -> None:
        """Show "◀ index / count ▶" when the message has alternatives, and Continue when ``can_continue``."""
        several = count > 1
        self._index, self._count = index, count
        if several or self._nav is not None:
            prev, label, nxt = self._nav_widgets()
            label.setText(f"{index} / {count}" if several else "")
            label.setAccessibleName(self.tr("Version {index} of {count}").format(index=index, count=count)
                                    if several else "")
            for widget in (prev, label, nxt):
                widget.setVisible(several)
        self._can_continue = can_continue
        self._update_actions()

    def set_actions_enabled(self, enabled: bool) -> None:
        """Enable or disable the branch actions (disabled while a reply streams)."""
        self._actions_enabled = enabled
        self._update_actions()

    def _update_actions(self) -> None:
        on = self._actions_enabled
        finished = self.role == "assistant" and not self.streaming
        if self.edit_button is not None:
            self.edit_button.setVisible(self.editor is None)
            self.edit_button.setEnabled(on)
        if self.regenerate_button is not None:
            self.regenerate_button.setVisible(finished)
            self.regenerate_button.setEnabled(on)
        if self._can_continue or self._continue is not None:
            self.continue_button.setVisible(finished and self._can_continue)
            self.continue_button.setEnabled(on)
        if self._nav is not None:
            prev, _label, nxt = self._nav
            prev.setEnabled(on and self._index > 1)
            nxt.setEnabled(on and self._index < self._count)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Alt+Left / Alt+Right (from the message text or its buttons): the previous / next version."""
        step = _alt_arrow_step(event)
        if step:
            self._switch_by_key(step)
            event.accept()
            return
        super().keyPressEvent(event)

    def _switch_by_key(self, step: int) -> None:
        if self._nav is None:
            return
        button = self._nav[0] if step < 0 else self._nav[2]
        if not button.isHidden() and button.isEnabled():
            self.switch_requested.emit(self.message_id, step)

    @property
    def editing(self) -> bool:
        return self.editor is not None

    def start_edit(self) -> None:
        """Open the inline editor on this user message (Ctrl+Enter saves as a new version, Esc cancels)."""
        if self.role != "user" or self.editor is not None or not self._actions_enabled:
            return
        editor = _InlineEditor(self)
        editor.setPlainText(self._plain)
        editor.setAccessibleName(self.tr("Edit your message"))
        editor.setTabChangesFocus(True)
        editor.save_requested.connect(self.save_edit)
        editor.cancel_requested.connect(self.cancel_edit)
        doc_height = int(self.browser.document().size().height()) + 16
        editor.setMinimumHeight(max(60, min(doc_height, 300)))
        bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        cancel = QPushButton(self.tr("Cancel"), bar)
        cancel.setToolTip(self.tr("Leave the message as it was (Esc)"))
        cancel.clicked.connect(self.cancel_edit)
        save = QPushButton(self.tr("Save && send"), bar)
        save.setToolTip(self.tr("Send the edited message as a new version; the original is kept (Ctrl+Enter)"))
        save.clicked.connect(self.save_edit)
        row.addWidget(cancel)
        row.addWidget(save)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        index = layout.indexOf(self.browser)
        layout.insertWidget(index + 1, editor)
        layout.insertWidget(index + 2, bar)
        editor.show()
        bar.show()
        self.browser.hide()
        self.editor, self._edit_bar = editor, bar
        self._update_actions()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        editor.moveCursor(editor.textCursor().MoveOperation.End)

    @Slot()
    def save_edit(self) -> None:
        """Send the edited text (nothing happens when it is blank or unchanged)."""
        if self.editor is None:
            return
        text = self.editor.toPlainText()
        if not text.strip() or text == self._plain:
            self.cancel_edit()
            return
        self.cancel_edit()
        self.edit_submitted.emit(self.message_id, text)

    @Slot()
    def cancel_edit(self) -> None:
        if self.editor is None:
            return
        for widget in (self.editor, self._edit_bar):
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.editor, self._edit_bar = None, None
        self.browser.show()
        self._update_actions()
        if self.edit_button is not None:
            self.edit_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- content ----------------------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The message's text (Markdown for replies)."""
        return self.renderer.text if self.renderer is not None else self._plain

    @property
    def streaming(self) -> bool:
        return self.status_label.text() == "Writing…"

    def append(self, text: str) -> None:
        """Add streamed text to the reply (its reasoning goes to the reasoning block)."""
        if self.reasoning is not None:
            text, reset = self.reasoning.feed(text)
            if reset and self.renderer is not None:  # the text so far was reasoning
                self.renderer.document.clear()
                self.renderer = MessageRenderer(self.browser.document(), self.renderer.highlighter,
                                                self.renderer.link_color)
        if self.renderer is not None and text:
            self.browser.begin_batch()
            self.browser.repaint_below(self.renderer.stable_top())
            try:
                self.renderer.append(text)
            finally:
                self.browser.repaint_below(None)
                if self.renderer.widened:  # a table's earlier rows changed too
                    self.renderer.widened = False
                    self.browser.viewport().update()
                self.browser.end_batch()

    def set_streaming(self) -> None:
        """The reply streams again (Continue): more text is appended to it. The text so far is fed to a fresh
        streaming renderer (a finished render cannot be appended to)."""
        self.flush_final_render()
        if self.renderer is not None:
            text = self.renderer.text
            self.renderer.document.clear()
            self.renderer = MessageRenderer(self.browser.document(), self.renderer.highlighter,
                                            self.renderer.link_color)
            self.browser.begin_batch()
            try:
                self.renderer.append(text)
            finally:
                self.browser.end_batch()
        if self.reasoning is not None:
            self.reasoning.resume(self.text)
        self.status_label.setText(self.tr("Writing…"))
        self.status_label.setAccessibleName("")
        self.stats_label.hide()
        self._update_accessible(self.tr("writing"))
        self.error_label.hide()
        self._can_continue = False
        self._update_actions()

    def set_finished(self, message: Message) -> None:
        """The reply ended: show why (stopped, length...) or the error, and render it once more in full."""
        self._show_status(message)
        self._update_actions()
        if self.reasoning is not None:
            self.reasoning.finish(message)
        if self.renderer is not None and self.renderer.text != message.content:
            self.flush_final_render()
            self.renderer.set_text(message.content)
        elif self.renderer is not None and self.renderer.text:
            self._start_final_render()

    def _show_status(self, message: Message) -> None:
        reason = message.stop_reason or ""
        status = translate_engine_text(stop_reason_label(reason))
        self.status_label.setText(status)
        self.status_label.setAccessibleName(self.tr("Reply status: {status}").format(status=status) if status else "")
        stats = reply_stats_text(message)
        self.stats_label.setText(stats)
        self.stats_label.setVisible(bool(stats))
        self._update_accessible((status or self.tr("finished")).lower() + (f", {stats}" if stats else ""))
        self.setProperty("stopped", reason in ("cancelled", "error"))
        error = message.meta.get("error") if isinstance(message.meta, dict) else None
        if error:
            self.error_label.setText(translate_engine_text(str(error)))
            self.error_label.show()

    def _start_final_render(self, steps: Iterator[None] | None = None) -> None:
        assert self.renderer is not None
        self.flush_final_render()
        self._finish_steps = steps if steps is not None else self.renderer.finish_steps()
        if self._finish_timer is None:
            self._finish_timer = QTimer(self)
            self._finish_timer.setInterval(0)
            self._finish_timer.timeout.connect(self._final_render_step)
        self._finish_timer.start()

    @Slot()
    def _final_render_step(self) -> None:
        if self._finish_steps is None:
            return
        deadline = time.perf_counter() + FINISH_SLICE_S
        self.browser.begin_batch()
        try:
            for _ in self._finish_steps:
                if time.perf_counter() >= deadline:
                    return
            self._finish_steps = None
            assert self._finish_timer is not None
            self._finish_timer.stop()
        finally:
            self.browser.end_batch()

    @property
    def final_render_pending(self) -> bool:
        """Whether the final whole-message render is still running."""
        return self._finish_steps is not None

    def flush_final_render(self) -> None:
        """Finish a pending final render at once (tests, screenshots, theme changes)."""
        while self._finish_steps is not None:
            self._final_render_step()

    def apply_colors(self, highlighter: CodeHighlighter, link_color: QColor) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        if self.role == "user":
            tint = pal.color(QPalette.ColorRole.Highlight)
            bg = QColor(
                int(base.red() * 0.86 + tint.red() * 0.14), int(base.green() * 0.86 + tint.green() * 0.14),
                int(base.blue() * 0.86 + tint.blue() * 0.14))
        else:
            bg = base
        pal.setColor(QPalette.ColorRole.Window, bg)
        self.setPalette(pal)
        bpal = self.browser.palette()
        bpal.setColor(QPalette.ColorRole.Base, bg)
        bpal.setColor(QPalette.ColorRole.Link, link_color)
        self.browser.setPalette(bpal)
        self.browser.set_background(bg)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        self.status_label.setStyleSheet(f"color: {muted.name()};")
        self.error_label.setStyleSheet("color: #d1242f;" if not is_dark(pal) else "color: #ff7b72;")
        if self.renderer is not None:
            self.renderer.highlighter = highlighter
            self.renderer.link_color = link_color

    @Slot(str)
    def _on_link(self, href: str) -> None:
        if not href.startswith(COPY_SCHEME + ":"):
            self.copy_requested.emit(href)  # a link from the model: copied, never opened by itself
            return
        if self.renderer is None:
            return
        try:
            index = int(href.split(":", 1)[1])
        except (IndexError, ValueError):
            return
        self.copy_requested.emit(self.renderer.code_text(index))

    @Slot()
    def _copy_all(self) -> None:
        self.copy_requested.emit(self.text)


class ChatView(QScrollArea):
    """The messages of one conversation path, newest at the bottom.

    Signals:
        copied(str): text was copied to the clipboard (for a status message).
        regenerate_requested(str): Regenerate on a reply; its id.
        continue_requested(str): Continue on a reply; its id.
        edit_requested(str, str): an edited user message was saved; its id and the new text.
        switch_requested(str, int): show the previous (-1) or next (+1) alternative of a message.
        continue_from_token_requested(str, int, int): "continue from here with this token" on a reply: its id,
            the token's position and the alternative's id (see :mod:`llmdesk.gui.chat.token_view`).
        prompt_requested(str): "Show the prompt" on a reply; its id.
    """

    continue_from_token_requested = Signal(str, int, int)
    prompt_requested = Signal(str)
    copied = Signal(str)
    regenerate_requested = Signal(str)
    continue_requested = Signal(str)
    edit_requested = Signal(str, str)
    switch_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName(self.tr("Conversation"))
        self._container = QWidget()
        self._container.setObjectName("chatContainer")
        self._container.setAutoFillBackground(True)  # opaque: auto-scroll can blit instead of repainting all
        self._container.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        # The empty state: what to do next (set by the window: load a model, or type below) and its buttons.
        self._placeholder = QWidget()
        self._placeholder.setObjectName("chatPlaceholder")
        empty = QVBoxLayout(self._placeholder)
        empty.setContentsMargins(0, 24, 0, 0)
        empty.setSpacing(10)
        self.empty_label = QLabel(self.tr(self.EMPTY_TEXT))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        empty.addWidget(self.empty_label)
        self._empty_buttons = QHBoxLayout()
        self._empty_buttons.setSpacing(8)
        self._empty_buttons.addStretch(1)
        self._empty_buttons.addStretch(1)
        empty.addLayout(self._empty_buttons)
        self._earlier_button = QPushButton("")
        self._earlier_button.setObjectName("earlierMessages")
        self._earlier_button.setToolTip(self.tr("Long conversations open with their newest messages; this shows more"))
        self._earlier_button.clicked.connect(lambda: self.show_earlier())
        self._earlier_button.hide()
        self._layout.addWidget(self._earlier_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self._layout.addWidget(self._placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._container)
        self._messages: dict[str, MessageWidget] = {}
        self._follow = True
        self._conversation: Conversation | None = None
        self._busy = False
        self._sibling_key: tuple[str, int] | None = None
        self._sibling_cache: dict[str | None, list[str]] = {}
        self._earlier: list[Message] = []  # messages of the shown path not built yet (the oldest), in order
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_value_changed)
        self._highlighter = CodeHighlighter(dark=is_dark(self.palette()))
        self._link_color = self.palette().color(QPalette.ColorRole.Link)
        self.token_shading = False

    EMPTY_TEXT = QT_TRANSLATE_NOOP("ChatView", "Type a message below and press Enter to send it.\n"
                                               "Shift+Enter starts a new line; Esc stops a reply.")

    def set_empty_state(self, text: str | None = None, buttons: tuple[QWidget, ...] = ()) -> None:
        """What an empty conversation shows: ``text`` (None: how to send a message) and ``buttons`` below it
        (the view keeps them; earlier ones are removed)."""
        self.empty_label.setText(text or self.tr(self.EMPTY_TEXT))
        self._placeholder.setAccessibleName(text or self.tr(self.EMPTY_TEXT))
        while self._empty_buttons.count() > 2:
            item = self._empty_buttons.takeAt(1)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().setParent(None)
        for offset, button in enumerate(buttons, start=1):
            self._empty_buttons.insertWidget(offset, button)
            button.show()

    # -- content ----------------------------------------------------------------------------------------------
    def message_widget(self, message_id: str) -> MessageWidget | None:
        return self._messages.get(message_id)

    def message_widgets(self) -> list[MessageWidget]:
        """The message widgets built, top to bottom (earlier messages of a long conversation may not be built:
        see :meth:`show_earlier`)."""
        items = (self._layout.itemAt(i).widget() for i in range(self._layout.count()))
        return [w for w in items if isinstance(w, MessageWidget) and self._messages.get(w.message_id) is w]

    @property
    def earlier_count(self) -> int:
        """How many earlier messages of the shown path are not built yet."""
        return len(self._earlier)

    def show_earlier(self, count: int = RECENT_MESSAGES) -> int:
        """Build ``count`` more of the earlier messages above the ones shown, keeping the view where it was.
        Returns how many were added."""
        if not self._earlier:
            return 0
        count = max(1, min(count, len(self._earlier)))
        batch, self._earlier = self._earlier[-count:], self._earlier[:-count]
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        follow = self._follow
        self._follow = False
        position = self._layout.indexOf(self._placeholder) + 1
        for offset, message in enumerate(batch):
            self._build(message, position + offset)
        self._update_earlier_button()
        self._container.layout().activate()
        if follow:
            self._follow = True
        else:
            bar.setValue(bar.maximum() - from_bottom)
        return len(batch)

    def _update_earlier_button(self) -> None:
        n = len(self._earlier)
        self._earlier_button.setText(self.tr("Show %n earlier message(s) ({hidden} not shown)", "",
                                             min(n, RECENT_MESSAGES)).format(hidden=n))
        self._earlier_button.setVisible(n > 0)

    def clear(self) -> None:
        for widget in self._messages.values():
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._messages.clear()
        self._earlier = []
        self._earlier_button.hide()
        self._placeholder.show()
        self._follow = True

    def show_conversation(self, conversation: Conversation | None) -> None:
        """Show the current path of ``conversation`` (None: nothing)."""
        self.clear()
        self._conversation = conversation
        if conversation is None:
            return
        path = [m for m in conversation.path() if m.role != "system"]
        self._earlier = path[:-RECENT_MESSAGES] if len(path) > RECENT_MESSAGES else []
        for message in path[len(self._earlier):]:
            self.add_message(message)
        self._update_earlier_button()

    @property
    def conversation(self) -> Conversation | None:
        return self._conversation

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, the branch actions (Regenerate, Continue, Edit, arrows) are disabled."""
        self._busy = busy
        for widget in self._messages.values():
            widget.set_actions_enabled(not busy)
            if not busy:
                self._update_branch(widget)

    def _update_branch(self, widget: MessageWidget) -> None:
        conv = self._conversation
        if conv is None or widget.message_id not in conv.messages:
            widget.set_branch_state(1, 1)
            return
        siblings = self._siblings(conv).get(conv.messages[widget.message_id].parent_id, [widget.message_id])
        index = siblings.index(widget.message_id) + 1 if widget.message_id in siblings else 1
        widget.set_branch_state(index, len(siblings), can_continue=branches.can_continue(conv, widget.message_id))

    def _siblings(self, conv: Conversation) -> dict[str | None, list[str]]:
        """Message ids by parent, oldest first (the order of ``Conversation.siblings``), built once per change of
        the conversation rather than once per message shown (that would cost the square of its length)."""
        key = (conv.id, len(conv.messages))
        if self._sibling_key != key:
            by_parent: dict[str | None, list[Message]] = {}
            for message in conv.messages.values():
                by_parent.setdefault(message.parent_id, []).append(message)
            self._sibling_cache = {parent: [m.id for m in sorted(kids, key=lambda m: m.created_at)]
                                   for parent, kids in by_parent.items()}
            self._sibling_key = key
        return self._sibling_cache

    @Slot(str, int)
    def _on_switch(self, message_id: str, step: int) -> None:
        """Ask for another version; once the view shows the new path, the new version keeps the keyboard focus
        (on the same arrow, or its text) and stays where the reader was looking instead of jumping to the end."""
        conv = self._conversation
        old = self._messages.get(message_id)
        if conv is None or old is None or message_id not in conv.messages:
            self.switch_requested.emit(message_id, step)
            return
        parent_id = conv.messages[message_id].parent_id
        focus = QApplication.focusWidget()
        nav = old._nav or (None, None, None)
        part = "prev" if focus is nav[0] else "next" if focus is nav[2] else "text"
        offset = old.y() - self.verticalScrollBar().value()
        self.switch_requested.emit(message_id, step)
        if self._conversation is not conv:
            return
        new = next((w for w in self._messages.values()
                    if w.message_id in conv.messages and conv.messages[w.message_id].parent_id == parent_id), None)
        if new is None:
            return
        target = {"prev": new.prev_button, "next": new.next_button}.get(part, new.browser)
        if not target.isEnabled():
            target = new.browser
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        self._follow = False
        QTimer.singleShot(0, lambda: self._restore_offset(new.message_id, offset))

    def _restore_offset(self, message_id: str, offset: int) -> None:
        widget = self._messages.get(message_id)
        if widget is None:
            return
        self._container.layout().activate()
        bar = self.verticalScrollBar()
        bar.setValue(max(0, widget.y() - offset))

    def scroll_to_message(self, message_id: str) -> bool:
        """Scroll so the message is at the top of the view and give it keyboard focus (e.g. a search hit).
        Returns False when it is not shown."""
        widget = self._messages.get(message_id)
        if widget is None:
            index = next((i for i, m in enumerate(self._earlier) if m.id == message_id), None)
            if index is None:
                return False
            self.show_earlier(len(self._earlier) - index)
            widget = self._messages[message_id]
        widget.flush_final_render()
        self._container.layout().activate()
        self._follow = False
        self.verticalScrollBar().setValue(max(0, widget.y() - self._layout.spacing()))
        self._follow = self.verticalScrollBar().value() >= self.verticalScrollBar().maximum() - 4
        widget.browser.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def add_message(self, message: Message) -> MessageWidget:
        """Append a message at the bottom (an assistant message with no stop_reason is streaming)."""
        self._placeholder.hide()
        widget = self._build(message, self._layout.count() - 1)
        if message.role == "user":
            self._follow = True  # sending jumps to the bottom
        return widget

    def _build(self, message: Message, position: int) -> MessageWidget:
        widget = MessageWidget(message, self._highlighter, self._link_color, self._container)
        widget.copy_requested.connect(self._copy)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.continue_requested.connect(self.continue_requested)
        widget.edit_submitted.connect(self.edit_requested)
        widget.switch_requested.connect(self._on_switch)
        self._layout.insertWidget(position, widget)
        widget.token_controls = token_view.attach(widget, message)
        if widget.token_controls is not None:
            widget.token_controls.set_window_switch(self.token_shading)
            widget.token_controls.continue_requested.connect(self.continue_from_token_requested)
            widget.token_controls.prompt_requested.connect(self.prompt_requested)
        self._messages[message.id] = widget
        self._update_branch(widget)
        widget.set_actions_enabled(not self._busy)
        return widget

    def append_text(self, message_id: str, text: str) -> None:
        """Add streamed text to a reply."""
        widget = self._messages.get(message_id)
        if widget is not None:
            widget.append(text)

    def finish_message(self, message: Message) -> None:
        """A reply ended (complete, stopped or failed)."""
        widget = self._messages.get(message.id)
        if widget is not None:
            widget.set_finished(message)
            self._update_branch(widget)
            if widget.token_controls is not None:
                widget.token_controls.set_message(message)

    def resume_message(self, message: Message) -> None:
        """A reply streams on (Continue)."""
        widget = self._messages.get(message.id)
        if widget is not None:
            widget.set_streaming()
            self._follow = True

    def set_token_shading(self, on: bool) -> None:
        """The window's switch: shade every reply's tokens by probability (each reply's Tokens button still can
        turn its own shading off or on)."""
        self.token_shading = on
        for widget in self._messages.values():
            if widget.token_controls is not None:
                widget.token_controls.set_window_switch(on)

    def set_dark(self, dark: bool) -> None:
        """Switch code colours for a light or dark scheme and re-render the messages."""
        self._highlighter = CodeHighlighter(dark=dark)
        self._link_color = self.palette().color(QPalette.ColorRole.Link)
        for widget in self._messages.values():
            widget.flush_final_render()
            widget.apply_colors(self._highlighter, self._link_color)
            if widget.renderer is not None and not widget.streaming:
                widget.renderer.set_text(widget.renderer.text)
            if widget.token_controls is not None:
                widget.token_controls.refresh()

    def warm_up(self) -> None:
        """Render a sample of every kind of block once, off screen, so fonts (bold, italic, headings, monospace)
        and glyph caches are loaded before the first reply instead of stalling it."""
        from PySide6.QtGui import QImage, QPainter

        doc = InertTextDocument()
        doc.setDefaultFont(self.font())
        renderer = MessageRenderer(doc, self._highlighter, self._link_color)
        renderer.set_text(WARM_UP_SAMPLE)
        doc.setTextWidth(600)
        image = QImage(600, max(1, int(doc.size().height())), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        doc.drawContents(painter)
        painter.end()

    # -- scrolling --------------------------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        """Whether the view sticks to the bottom as the reply grows."""
        return self._follow

    def scroll_to_bottom(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    @Slot(int, int)
    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            dark = is_dark(self.palette())
            if dark != self._highlighter.dark:
                self.set_dark(dark)

    @Slot(str)
    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)


class _InlineEditor(QPlainTextEdit):
    """The editor for a user message: Ctrl+Enter saves, Esc cancels (Esc is taken from the window's Stop
    shortcut while the editor has focus).

    Signals:
        save_requested(): Ctrl+Enter.
        cancel_requested(): Esc.
    """

    save_requested = Signal()
    cancel_requested = Signal()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:  # type: ignore[attr-defined]
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.save_requested.emit()
            return
        super().keyPressEvent(event)
