"""Compare: the same conversation answered under two decoding settings, side by side.

The controller generates the two replies one after the other with the one loaded model (each kept as a version of
the reply); this dialog shows them in two columns as they stream, each headed by its settings and ended by its
stats.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QPlainTextEdit, QWidget

from llmdesk.core.conversation import Message
from llmdesk.core.settings import DecodingSettings

# (name, first settings' changes, second settings' changes)
PRESETS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    ("Greedy vs temperature 1.2", {"do_sample": False}, {"do_sample": True, "temperature": 1.2, "top_k": 0,
                                                          "top_p": 1.0}),
    ("Top-p 0.5 vs top-p 0.95", {"do_sample": True, "temperature": 1.0, "top_k": 0, "top_p": 0.5},
     {"do_sample": True, "temperature": 1.0, "top_k": 0, "top_p": 0.95}),
    ("Temperature 0.3 vs 1.5", {"do_sample": True, "temperature": 0.3}, {"do_sample": True, "temperature": 1.5}),
)


def describe(d: DecodingSettings) -> str:
    """Decoding settings in a few words."""
    if not d.do_sample:
        text = "greedy"
    else:
        parts = [f"temperature {d.temperature:g}"]
        if d.top_k:
            parts.append(f"top-k {d.top_k}")
        if d.top_p < 1:
            parts.append(f"top-p {d.top_p:g}")
        if d.min_p:
            parts.append(f"min-p {d.min_p:g}")
        text = "sampling: " + ", ".join(parts)
    if d.repetition_penalty != 1:
        text += f", repetition penalty {d.repetition_penalty:g}"
    return text


def preset_settings(base: DecodingSettings, index: int) -> tuple[DecodingSettings, DecodingSettings, str]:
    """The two settings of preset ``index``, on top of ``base`` (the seed and max new tokens stay)."""
    name, first, second = PRESETS[index]
    return dataclasses.replace(base, **first), dataclasses.replace(base, **second), name


class CompareDialog(QDialog):
    """Two answers side by side, filled from the controller's signals as they stream."""

    def __init__(self, controller: Any, title: str, settings: tuple[DecodingSettings, DecodingSettings],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare: {title}")
        self.setObjectName("compareDialog")
        self.resize(1000, 560)
        self.controller = controller
        grid = QGridLayout(self)
        self.columns: dict[str, tuple[QLabel, QPlainTextEdit, QLabel]] = {}
        self.ids: dict[str, str] = {}
        for col, (label, decoding) in enumerate(zip("AB", settings, strict=True)):
            head = QLabel(f"<b>{label}</b>: {describe(decoding)}")
            text = QPlainTextEdit()
            text.setReadOnly(True)
            text.setAccessibleName(f"Answer {label}")
            foot = QLabel("Waiting…" if col else "Writing…")
            foot.setObjectName("compareStats")
            grid.addWidget(head, 0, col)
            grid.addWidget(text, 1, col)
            grid.addWidget(foot, 2, col)
            self.columns[label] = (head, text, foot)
        note = QLabel(self.tr("Both answers are kept as versions of the reply (◀ ▶ in the chat)."))
        grid.addWidget(note, 3, 0, 1, 2)
        controller.compare_started.connect(self._on_started)
        controller.reply_text.connect(self._on_text)
        controller.reply_finished.connect(self._on_finished)

    def text(self, label: str) -> str:
        return self.columns[label][1].toPlainText()

    @Slot(object, str)
    def _on_started(self, message: Message, label: str) -> None:
        if label in self.columns:
            self.ids[message.id] = label
            self.columns[label][2].setText(self.tr("Writing…"))

    @Slot(str, str)
    def _on_text(self, message_id: str, chunk: str) -> None:
        label = self.ids.get(message_id)
        if label is not None:
            box = self.columns[label][1]
            box.moveCursor(box.textCursor().MoveOperation.End)
            box.insertPlainText(chunk)

    @Slot(object)
    def _on_finished(self, message: Message) -> None:
        label = self.ids.get(message.id)
        if label is None:
            return
        _head, box, foot = self.columns[label]
        box.setPlainText(message.content)
        stats = message.meta.get("stats", {}) if isinstance(message.meta, dict) else {}
        seed = message.meta.get("seed") if isinstance(message.meta, dict) else None
        foot.setText(f"{stats.get('new_tokens') or 0} tokens · {message.stop_reason}"
                     + (f" · seed {seed}" if seed is not None else ""))
        foot.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
