"""The context window, live: a meter under the message box of the tokens the next prompt will take, and the
messages that will be left out to fit marked in the chat view.

Counting uses the model's own tokenizer and chat template (:mod:`llmdesk.engine.prompt_view`, the same
``fit_prompt`` the engine runs), loaded without weights on a one-thread QThreadPool: the GUI thread never tokenizes
and the model thread, busy generating, is not asked. Requests are debounced (250 ms after the last keystroke) and
only the newest answer is shown, so typing never waits for a count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from llmdesk.core.conversation import ChatTurn
from llmdesk.gui.engine_text import translate_engine_text
from llmdesk.gui.i18n import format_number, tr

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250


@dataclass(frozen=True)
class CountRequest:
    """What to count: the shown branch's turns (with content), the draft, the system prompt, the room to keep."""

    generation: int
    model: str
    turns: tuple[ChatTurn, ...]
    message_ids: tuple[str, ...]  # the id of each turn in ``turns`` ("" for the draft)
    system_prompt: str
    max_new_tokens: int


@dataclass(frozen=True)
class CountResult:
    """A count: ``tokens`` the prompt takes after fitting, ``budget`` the room (context window minus max new
    tokens), ``left_out`` the ids of the messages that will not be sent; ``error`` when it cannot be counted."""

    generation: int
    tokens: int = 0
    budget: int = 0
    context_window: int = 0
    full_tokens: int = 0
    left_out: tuple[str, ...] = ()
    error: str = ""


def tokenizer_on_disk(model: str) -> bool:
    """Whether ``model``'s config is on this machine (a folder, or the Hugging Face cache), checked before torch
    and transformers are imported for a count: nothing is downloaded for the meter."""
    from pathlib import Path

    folder = Path(model).expanduser()
    if folder.is_dir():
        return (folder / "config.json").is_file()
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        return isinstance(try_to_load_from_cache(model, "config.json"), str)
    except Exception:  # noqa: BLE001 - a malformed id: not on disk
        return False


class _Signals(QObject):
    done = Signal(object)


class _CountTask(QRunnable):
    """Runs on the pool's thread: loads the tokenizer once per model, then fits the prompt."""

    def __init__(self, counter: PromptCounter, request: CountRequest) -> None:
        super().__init__()
        self.counter = counter
        self.request = request
        self.signals = counter._signals

    def run(self) -> None:
        request = self.request
        if request.model not in self.counter._tokenizers and not tokenizer_on_disk(request.model):
            self.signals.done.emit(CountResult(request.generation, error="the model's tokenizer is not on this "
                                                                          "machine yet"))
            return
        try:
            from llmdesk.engine.errors import EngineError, PromptTooLongError
            from llmdesk.engine.prompt import fit_prompt
            from llmdesk.engine.prompt_view import count_prompt_tokens, load_tokenizer

            cache = self.counter._tokenizers
            if request.model not in cache:
                cache.clear()
                cache[request.model] = load_tokenizer(request.model)
            tokenizer, window = cache[request.model]
            full = count_prompt_tokens(tokenizer, request.turns, request.system_prompt)
            budget = window - request.max_new_tokens
            try:
                fit = fit_prompt(tokenizer, request.turns, request.system_prompt, window, request.max_new_tokens)
            except PromptTooLongError as exc:
                result = CountResult(request.generation, full, budget, window, full, request.message_ids,
                                     str(exc))
            else:
                conversation = [i for i, t in zip(request.message_ids, request.turns, strict=True)
                                if t.role != "system"]
                result = CountResult(request.generation, len(fit.input_ids), budget, window, full,
                                     tuple(i for i in conversation[:fit.dropped_messages] if i))
        except EngineError as exc:
            result = CountResult(request.generation, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - the meter says so; nothing else depends on it
            log.debug("prompt count failed", exc_info=True)
            result = CountResult(request.generation, error=f"{type(exc).__name__}: {exc}")
        self.signals.done.emit(result)


class PromptCounter(QObject):
    """Counts the next prompt's tokens off the GUI thread, debounced; only the newest request's answer is sent.

    Signals:
        counted(object): a :class:`CountResult` for the newest request.
    """

    counted = Signal(object)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._tokenizers: dict[str, tuple[Any, int]] = {}
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._start)
        self._generation = 0
        self._pending: CountRequest | None = None
        self._running = False

    def request(self, model: str, turns: Sequence[ChatTurn], message_ids: Sequence[str], system_prompt: str,
                max_new_tokens: int) -> None:
        """Ask for a count (the newest request wins; it starts after the debounce interval)."""
        self._generation += 1
        self._pending = CountRequest(self._generation, model, tuple(turns), tuple(message_ids), system_prompt,
                                     max_new_tokens)
        self._timer.start()

    @Slot()
    def _start(self) -> None:
        if self._running or self._pending is None:
            return  # started again when the running count ends
        request, self._pending = self._pending, None
        self._running = True
        self._pool.start(_CountTask(self, request))

    @Slot(object)
    def _on_done(self, result: CountResult) -> None:
        self._running = False
        if result.generation == self._generation:
            self.counted.emit(result)
        if self._pending is not None and not self._timer.isActive():
            self._start()

    def wait(self, ms: int = 30_000) -> bool:
        """Wait for the pool's running count to end (shutdown and tests)."""
        return self._pool.waitForDone(ms)


class ContextMeter(QWidget):
    """A bar and a line of text: the next prompt's tokens against the context window minus max new tokens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 4)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(160)
        self.bar.setFixedHeight(8)
        self.bar.setAccessibleName(self.tr("Context window use"))
        self.label = QLabel(self.tr("Context: counting…"))
        self.label.setObjectName("contextMeterLabel")
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        self.result: CountResult | None = None

    def show_result(self, result: CountResult) -> None:
        self.result = result
        if result.error and not result.budget:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.label.setText(self.tr("Context: not counted ({reason})").format(
                reason=translate_engine_text(result.error.splitlines()[0][:120])))
            return
        self.bar.setRange(0, max(1, result.budget))
        self.bar.setValue(min(result.tokens, result.budget))
        text = self.tr("Prompt {tokens} of {budget} tokens (context window {window} minus max new tokens {new})").format(
            tokens=format_number(result.tokens), budget=format_number(result.budget),
            window=format_number(result.context_window), new=format_number(result.context_window - result.budget))
        if result.error:
            text = self.tr("Too long: {tokens} of {budget} tokens.").format(
                tokens=format_number(result.full_tokens), budget=format_number(result.budget)) + " " + \
                translate_engine_text(result.error.splitlines()[0])
        elif result.left_out:
            text += self.tr("; %n oldest message(s) will not be sent ({tokens} in all)", "", len(result.left_out)).format(
                tokens=format_number(result.full_tokens))
        self.label.setText(text)
        self.label.setToolTip(self.tr("Counted with the model's own tokenizer and chat template: the system prompt, the "
                              "shown branch and the message being typed."))


LEFT_OUT_TEXT = QT_TRANSLATE_NOOP("ContextMeter", "Not sent: outside the context window")


def mark_left_out(view: Any, left_out: Sequence[str]) -> None:
    """Mark the chat view's messages that will be left out of the next prompt (a label in the header, in words,
    and a dimmed text); unmark the others."""
    ids = set(left_out)
    for widget in view.message_widgets():
        label = getattr(widget, "_left_out_label", None)
        if widget.message_id in ids:
            if label is None:
                label = QLabel(QCoreApplication.translate("ContextMeter", LEFT_OUT_TEXT))
                label.setObjectName("leftOutLabel")
                label.setToolTip(tr("The next prompt leaves this message out to fit the model's context window"))
                widget._header.insertWidget(1, label)
                widget._left_out_label = label
            label.setStyleSheet("color: palette(placeholder-text); font-style: italic; border: 1px dashed "
                                "palette(mid); padding: 0 4px;")
            label.show()
        elif label is not None:
            label.hide()
