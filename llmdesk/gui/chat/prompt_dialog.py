"""What the model sees: the exact prompt of a reply, as text (special tokens marked) and as tokens (each boxed,
with its id), with its token count; copyable.

The prompt is rebuilt from what the reply saved (the branch up to its user message, the system prompt and max new
tokens it was sent with, and for a branch from a token the reply's start) with the model's own tokenizer and chat
template, by the same ``fit_prompt`` the engine uses, on the context meter's thread.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QRunnable, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QTabWidget, \
    QTextBrowser, QVBoxLayout, QWidget

from llmdesk.core import branches
from llmdesk.core.conversation import ChatTurn, Conversation
from llmdesk.core.token_trace import visible_piece


def prompt_request(conv: Conversation, reply_id: str, default_system: str) -> dict[str, Any]:
    """What rebuilds a reply's prompt: its turns, system prompt, max new tokens and forced reply start."""
    reply = conv.messages[reply_id]
    meta = reply.meta if isinstance(reply.meta, dict) else {}
    turns = branches.prompt_turns(conv, reply.parent_id) if reply.parent_id else []
    found = meta.get("decoding")
    decoding: dict[str, Any] = found if isinstance(found, dict) else {}
    system = meta.get("system_prompt", default_system)
    reply_ids: list[int] = []
    start = meta.get("branched_from")
    if isinstance(start, dict) and isinstance(meta.get("tokens"), dict):
        from llmdesk.core.token_trace import trace_tokens

        tokens = trace_tokens(meta) or []
        reply_ids = [t.token_id for t in tokens[:int(start.get("token_index", -1)) + 1]]
    return {"turns": list(turns), "system": system if isinstance(system, str) else default_system,
            "max_new_tokens": int(decoding.get("max_new_tokens", 500)), "reply_ids": reply_ids,
            "raw": bool(meta.get("raw_completion", False))}


class PromptTask(QRunnable):
    """Builds a PromptView on the counter's pool (its tokenizer cache), and hands it to ``done``."""

    def __init__(self, counter: Any, model: str, request: dict[str, Any], done: Any) -> None:
        super().__init__()
        self.counter, self.model, self.request, self.done = counter, model, request, done

    def run(self) -> None:
        try:
            from llmdesk.engine.prompt_view import build_prompt_view, load_tokenizer, special_ids
            from llmdesk.engine.streaming import token_text

            cache = self.counter._tokenizers
            if self.model not in cache:
                cache.clear()
                cache[self.model] = load_tokenizer(self.model)
            tokenizer, window = cache[self.model]
            r = self.request
            view = build_prompt_view(tokenizer, r["turns"], r["system"], window,
                                     r["max_new_tokens"] + len(r["reply_ids"]), raw=r["raw"])
            if r["reply_ids"]:
                from llmdesk.engine.prompt_view import PromptToken

                specials = special_ids(tokenizer)
                view.input_ids = [*view.input_ids, *r["reply_ids"]]
                view.tokens = [*view.tokens, *(PromptToken(i, token_text(tokenizer, i), i in specials)
                                               for i in r["reply_ids"])]
                view.text = tokenizer.decode(view.input_ids, skip_special_tokens=False,
                                             clean_up_tokenization_spaces=False)
            self.done.emit(view, "")
        except Exception as exc:  # noqa: BLE001 - the dialog says what went wrong
            self.done.emit(None, str(exc))


class PromptDialog(QDialog):
    """The prompt of one reply. ``show_view`` fills it once the view is built.

    Signals:
        ready(object, str): internal: a PromptView (or None) and an error text, from the pool thread.
    """

    ready = Signal(object, str)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("promptDialog")
        self.resize(820, 600)
        self.view: Any = None
        layout = QVBoxLayout(self)
        self.summary = QLabel(self.tr("Building the prompt with the model's tokenizer…"))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName(self.tr("The prompt as text"))
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.tokens = QTextBrowser()
        self.tokens.setAccessibleName(self.tr("The prompt as tokens"))
        self.tabs.addTab(self.text, "Text")
        self.tabs.addTab(self.tokens, "Tokens")
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy text"))
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.ready.connect(self.show_view)

    def show_view(self, view: Any, error: str = "") -> None:
        if view is None:
            self.summary.setText(f"The prompt cannot be rebuilt: {error}")
            return
        self.view = view
        specials = sum(1 for t in view.tokens if t.special)
        kind = "raw completion (no chat template)" if view.raw else "chat template applied"
        dropped = f"; {view.dropped_messages} oldest messages left out" if view.dropped_messages else ""
        self.summary.setText(f"<b>{len(view.input_ids):,} tokens</b> ({specials} special, marked) of "
                             f"{view.budget:,} available in a {view.context_window:,}-token context window; "
                             f"{kind}{dropped}. This is exactly what the model received.")
        self._fill_text(view)
        self._fill_tokens(view)
        self.copy_button.setEnabled(True)

    def _fill_text(self, view: Any) -> None:
        doc = self.text.document()
        doc.clear()
        cursor = QTextCursor(doc)
        plain = QTextCharFormat()
        special = QTextCharFormat()
        special.setFontWeight(QFont.Weight.Bold)
        special.setForeground(self.palette().color(QPalette.ColorRole.Link))
        special.setBackground(self._tint(0.16))
        for t in view.tokens:  # the decoded text, run by run: specials marked
            cursor.insertText(t.text, special if t.special else plain)
        # Token-by-token text can differ from decoding the whole (SentencePiece spaces): show the exact decode.
        if self.text.toPlainText() != view.text:
            doc.clear()
            cursor = QTextCursor(doc)
            pos = 0
            for t in view.tokens:
                if t.special:
                    at = view.text.find(t.text, pos)
                    if at >= 0:
                        cursor.insertText(view.text[pos:at], plain)
                        cursor.insertText(t.text, special)
                        pos = at + len(t.text)
            cursor.insertText(view.text[pos:], plain)

    def _tint(self, strength: float) -> QColor:
        base = self.palette().color(QPalette.ColorRole.Base)
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        return QColor(round(base.red() * (1 - strength) + accent.red() * strength),
                      round(base.green() * (1 - strength) + accent.green() * strength),
                      round(base.blue() * (1 - strength) + accent.blue() * strength))

    def _fill_tokens(self, view: Any) -> None:
        a, b = self._tint(0.10).name(), self._tint(0.24).name()
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        link = self.palette().color(QPalette.ColorRole.Link).name()
        parts = []
        for n, t in enumerate(view.tokens):
            shown = html.escape(visible_piece(t.text))
            style = f"background:{a if n % 2 == 0 else b};"
            if t.special:
                style += f"color:{link}; font-weight:bold;"
            parts.append(f'<span style="{style}">&#8203;{shown}</span><sub style="color:{muted}">{t.token_id}'
                         f'</sub> ')
            if t.text.endswith("\n"):
                parts.append("<br>")
        self.tokens.setHtml('<div style="line-height:160%">' + "".join(parts) + "</div>")

    def _copy(self) -> None:
        if self.view is not None:
            QGuiApplication.clipboard().setText(self.view.text)


def open_prompt_dialog(window: Any, reply_id: str) -> PromptDialog:
    """Open the prompt of ``reply_id`` (a reply in the conversation on show) over ``window``."""
    c = window.controller
    request = prompt_request(c.conversation, reply_id, c.system_prompt)
    reply = c.conversation.messages[reply_id]
    model = reply.meta.get("model") if isinstance(reply.meta, dict) else None
    if not isinstance(model, str):
        model = c.model_info.model_id if c.model_info is not None else window.settings.model.model
    dialog = PromptDialog(f"The prompt of this reply — {model}", window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    window.prompt_counter._pool.start(PromptTask(window.prompt_counter, model, request, dialog.ready))
    dialog.show()
    return dialog


__all__ = ["ChatTurn", "PromptDialog", "open_prompt_dialog", "prompt_request"]
