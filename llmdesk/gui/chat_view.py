"""The chat view: a scrolling column of messages, with assistant replies rendered as Markdown while they stream.

User messages are shown as the plain text that was typed; assistant messages are Markdown (headings, lists,
tables, inline code, fenced code with syntax colours and a "Copy code" link). Each message has a Copy button.
Nothing from the model is ever treated as live HTML, and no resource (image, stylesheet) is ever loaded.

Streaming cost stays flat: only the open block of the open message is re-rendered per update (see
:mod:`llmdesk.gui.message_renderer`). The view follows the reply only while the reader is at the bottom.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QTextDocument, QTextOption
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QTextBrowser, QToolButton,
                               QVBoxLayout, QWidget)

from llmdesk.core.conversation import Conversation, Message
from llmdesk.gui.highlight import CodeHighlighter
from llmdesk.gui.message_renderer import COPY_SCHEME, MessageRenderer

WARM_UP_SAMPLE = ("# H1\n\n## H2\n\n### H3\n\nText **bold** *italic* ***both*** `code` ~~struck~~ [link](x).\n\n"
                  "- item\n  1. nested\n\n> quote\n\n| a | b |\n|---|---|\n| **1** | `2` |\n\n"
                  "```python\ndef f(x: int) -> str:  # comment\n    return f'{x!r}' + \"s\"\n```\n")
FINISH_SLICE_S = 0.008
LONG_MESSAGE_CHARS = 20_000  # longer saved replies are rendered in slices when a conversation is opened  # the final whole-message render runs in slices of about this long
STOP_REASON_TEXT = {
    "cancelled": "Stopped",
    "length": "Stopped at the token limit",
    "stop_sequence": "Ended at a stop sequence",
    "error": "Failed",
}


def is_dark(palette: QPalette) -> bool:
    """Whether the palette is a dark one (light text on a dark window)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


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
        self._watch_document()
        self._update_height()

    def loadResource(self, type_: int, url: QUrl | str) -> Any:  # noqa: N802 - Qt override
        """Refuse every resource: model output must not make the app fetch anything (remote images, files)."""
        return None

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        event.ignore()  # let the chat view scroll

    def _watch_document(self) -> None:
        layout = self.document().documentLayout()
        if layout is not self._connected_layout:
            layout.documentSizeChanged.connect(self._update_height)
            self._connected_layout = layout
        opt = self.document().defaultTextOption()
        opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.document().setDefaultTextOption(opt)

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
    """

    copy_requested = Signal(str)

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
        self.role_label = QLabel("You" if message.role == "user" else "Assistant")
        font = self.role_label.font()
        font.setBold(True)
        self.role_label.setFont(font)
        self.status_label = QLabel("")
        self.status_label.setObjectName("messageStatus")
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy this message (as Markdown) to the clipboard")
        self.copy_button.setAccessibleName(f"Copy {'your' if message.role == 'user' else 'the assistant'} message")
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self._copy_all)
        header.addWidget(self.role_label)
        header.addWidget(self.status_label, 1)
        header.addWidget(self.copy_button)
        layout.addLayout(header)

        self.browser = MessageBrowser(self)
        self.browser.setAccessibleName("Your message" if message.role == "user" else "Assistant reply")
        self.browser.link_activated.connect(self._on_link)
        layout.addWidget(self.browser)
        self.error_label = QLabel("")
        self.error_label.setObjectName("messageError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.renderer: MessageRenderer | None = None
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
                self.status_label.setText("Writing…")
        else:
            self.browser.setPlainText(message.content)

    # -- content ----------------------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The message's text (Markdown for replies)."""
        return self.renderer.text if self.renderer is not None else self._plain

    @property
    def streaming(self) -> bool:
        return self.status_label.text() == "Writing…"

    def append(self, text: str) -> None:
        """Add streamed text to the reply."""
        if self.renderer is not None:
            self.browser.begin_batch()
            try:
                self.renderer.append(text)
            finally:
                self.browser.end_batch()

    def set_finished(self, message: Message) -> None:
        """The reply ended: show why (stopped, length...) or the error, and render it once more in full."""
        self._show_status(message)
        if self.renderer is not None and self.renderer.text != message.content:
            self.flush_final_render()
            self.renderer.set_text(message.content)
        elif self.renderer is not None and self.renderer.text:
            self._start_final_render()

    def _show_status(self, message: Message) -> None:
        reason = message.stop_reason or ""
        status = STOP_REASON_TEXT.get(reason, "")
        self.status_label.setText(status)
        self.status_label.setAccessibleName(f"Reply status: {status}" if status else "")
        self.setProperty("stopped", reason in ("cancelled", "error"))
        error = message.meta.get("error") if isinstance(message.meta, dict) else None
        if error:
            self.error_label.setText(str(error))
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
    """

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName("Conversation")
        self._container = QWidget()
        self._container.setObjectName("chatContainer")
        self._container.setAutoFillBackground(True)  # opaque: auto-scroll can blit instead of repainting all
        self._container.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        self._placeholder = QLabel("Type a message below and press Enter to send it.\n"
                                   "Shift+Enter starts a new line; Esc stops a reply.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("chatPlaceholder")
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._container)
        self._messages: dict[str, MessageWidget] = {}
        self._follow = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_value_changed)
        self._highlighter = CodeHighlighter(dark=is_dark(self.palette()))
        self._link_color = self.palette().color(QPalette.ColorRole.Link)

    # -- content ----------------------------------------------------------------------------------------------
    def message_widget(self, message_id: str) -> MessageWidget | None:
        return self._messages.get(message_id)

    def message_widgets(self) -> list[MessageWidget]:
        return list(self._messages.values())

    def clear(self) -> None:
        for widget in self._messages.values():
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._messages.clear()
        self._placeholder.show()
        self._follow = True

    def show_conversation(self, conversation: Conversation) -> None:
        """Show the current path of ``conversation``."""
        self.clear()
        for message in conversation.path():
            if message.role != "system":
                self.add_message(message)

    def add_message(self, message: Message) -> MessageWidget:
        """Append a message at the bottom (an assistant message with no stop_reason is streaming)."""
        self._placeholder.hide()
        widget = MessageWidget(message, self._highlighter, self._link_color, self._container)
        widget.copy_requested.connect(self._copy)
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self._messages[message.id] = widget
        if message.role == "user":
            self._follow = True  # sending jumps to the bottom
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

    def set_dark(self, dark: bool) -> None:
        """Switch code colours for a light or dark scheme and re-render the messages."""
        self._highlighter = CodeHighlighter(dark=dark)
        self._link_color = self.palette().color(QPalette.ColorRole.Link)
        for widget in self._messages.values():
            widget.flush_final_render()
            widget.apply_colors(self._highlighter, self._link_color)
            if widget.renderer is not None and not widget.streaming:
                widget.renderer.set_text(widget.renderer.text)

    def warm_up(self) -> None:
        """Render a sample of every kind of block once, off screen, so fonts (bold, italic, headings, monospace)
        and glyph caches are loaded before the first reply instead of stalling it."""
        from PySide6.QtGui import QImage, QPainter

        doc = QTextDocument()
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
