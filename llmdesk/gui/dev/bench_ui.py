"""The chat view's streaming benchmark: synthetic Markdown streamed through the real window at a set rate.

A scripted engine on the real worker thread sends N token-sized pieces of Markdown (headings, lists, tables,
fenced code) at R pieces a second, through the same controller, coalescing timer and chat view a person uses.
Meanwhile a 5 ms probe timer on the GUI thread records how late each of its ticks runs (an event-loop stall), and
the GUI thread's CPU time is sampled against the number of tokens received, to compare the cost per 1000 tokens
near the start and near the end of the reply (it must not grow with the reply's length).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from llmdesk.core.settings import Settings
from llmdesk.gui.chat.controller import ChatController
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.window import ChatWindow
from llmdesk.gui.chat.worker import EngineBackend

PROBE_INTERVAL_MS = 5


@dataclass
class BenchResult:
    """Figures from one run (times in milliseconds)."""

    tokens: int
    rate: float
    platform: str
    content: str = "mixed"
    stream_seconds: float = 0.0
    longest_stall_ms: float = 0.0
    p99_stall_ms: float = 0.0
    median_stall_ms: float = 0.0
    longest_stall_with_final_render_ms: float = 0.0
    final_render_ms: float = 0.0
    start_cost_ms_per_1000: float = 0.0
    end_cost_ms_per_1000: float = 0.0
    end_to_start_ratio: float = 0.0
    start_ms_per_update: float = 0.0
    end_ms_per_update: float = 0.0
    view_updates: int = 0
    reply_chars: int = 0
    samples: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _StallProbe:
    """A repeating timer whose lateness measures how long the event loop was blocked."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.last = 0.0
        self.phase = "stream"
        self.gaps: dict[str, list[float]] = {"stream": [], "final": []}

    def start(self) -> None:
        self.clock.start()
        self.last = self.clock.nsecsElapsed() / 1e6
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.gaps[self.phase].append(max(0.0, now - self.last - PROBE_INTERVAL_MS))
        self.last = now

    def stop(self) -> None:
        self.timer.stop()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


def _cost_between(samples: list[tuple[int, float]], lo: int, hi: int) -> float:
    """GUI-thread CPU milliseconds per 1000 tokens between token counts ``lo`` and ``hi``."""
    start = next(((n, t) for n, t in samples if n >= lo), None)
    end = next(((n, t) for n, t in samples if n >= hi), None)
    if start is None or end is None or end[0] <= start[0]:
        return 0.0
    return (end[1] - start[1]) * 1000.0 / (end[0] - start[0]) * 1000.0


def _cost_per_update(samples: list[tuple[int, float]], lo: int, hi: int) -> float:
    """GUI-thread CPU milliseconds per view update between token counts ``lo`` and ``hi`` (when updates get slower
    the controller coalesces more tokens into each, so the cost per token alone can hide growth)."""
    index = [i for i, (n, _t) in enumerate(samples) if lo <= n <= hi]
    if len(index) < 2:
        return 0.0
    first, last = index[0], index[-1]
    return (samples[last][1] - samples[first][1]) * 1000.0 / (last - first)


def run_bench(tokens: int = 20_000, rate: float = 500.0, *, content: str = "mixed", timeout_s: float | None = None,
              show: bool = True) -> BenchResult:
    """Stream ``tokens`` synthetic pieces of ``content`` (``"mixed"``, ``"table"`` or ``"list"``: see
    :func:`~llmdesk.gui.dev.scripted_engine.synthetic_markdown_pieces`) at ``rate`` per second into a real chat window;
    return the figures."""
    app = QGuiApplication.instance()
    assert app is not None, "create a QApplication first"
    engine = ScriptedEngine(reply=None, tokens=tokens, rate=rate, content=content)
    settings = Settings()
    settings.model.model = "synthetic/markdown"
    settings.decoding.max_new_tokens = max(tokens, settings.decoding.max_new_tokens)
    controller = ChatController(settings.decoding, backend_factory=lambda: EngineBackend(
        make_engine=lambda: engine, list_devices=engine.list_devices))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False)
    result = BenchResult(tokens=tokens, rate=rate, platform=QGuiApplication.platformName(), content=content)
    samples: list[tuple[int, float]] = []
    probe = _StallProbe()
    loop = QEventLoop()
    done = {"finished": False, "final": False}
    t_finish = [0.0]

    def on_text(_mid: str, _text: str) -> None:
        result.view_updates += 1
        samples.append((controller.reply_pieces_received, time.thread_time()))

    def on_finished(_message: Any) -> None:
        done["finished"] = True
        samples.append((controller.reply_pieces_received, time.thread_time()))
        probe.phase = "final"
        t_finish[0] = time.perf_counter()
        QTimer.singleShot(0, check_final)

    def check_final() -> None:
        widgets = window.chat_view.message_widgets()
        if widgets and widgets[-1].final_render_pending:
            QTimer.singleShot(1, check_final)
            return
        result.final_render_ms = (time.perf_counter() - t_finish[0]) * 1000.0
        done["final"] = True
        QTimer.singleShot(50, loop.quit)

    try:
        if show:
            window.resize(1000, 760)
            window.show()
        controller.model_loaded.connect(lambda _info: loop.quit())
        window.start()
        loop.exec()
        if window.warm_thread is not None:
            window.warm_thread.join()  # measure streaming, not the one-off lexer set-up
        controller.reply_text.connect(on_text)
        controller.reply_finished.connect(on_finished)
        deadline_ms = int((timeout_s if timeout_s is not None else tokens / max(rate, 1.0) * 3 + 60) * 1000)
        QTimer.singleShot(deadline_ms, loop.quit)
        probe.start()
        t0 = time.perf_counter()
        window.send("Write a long answer with code, lists and tables.")
        loop.exec()
        probe.stop()
        result.stream_seconds = time.perf_counter() - t0
        if not done["final"]:
            result.notes.append("timed out before the reply finished")
        reply = window.controller.conversation.path()[-1]
        result.reply_chars = len(reply.content)
    finally:
        window.close()
        window.deleteLater()
    stream = probe.gaps["stream"]
    final = probe.gaps["final"]
    result.samples = len(stream)
    result.longest_stall_ms = max(stream, default=0.0)
    result.p99_stall_ms = _percentile(stream, 0.99)
    result.median_stall_ms = statistics.median(stream) if stream else 0.0
    result.longest_stall_with_final_render_ms = max(stream + final, default=0.0)
    n = max((count for count, _ in samples), default=0)
    result.start_cost_ms_per_1000 = _cost_between(samples, int(n * 0.05), int(n * 0.15))
    result.end_cost_ms_per_1000 = _cost_between(samples, int(n * 0.85), int(n * 0.95))
    if result.start_cost_ms_per_1000:
        result.end_to_start_ratio = result.end_cost_ms_per_1000 / result.start_cost_ms_per_1000
    result.start_ms_per_update = _cost_per_update(samples, int(n * 0.05), int(n * 0.15))
    result.end_ms_per_update = _cost_per_update(samples, int(n * 0.85), int(n * 0.95))
    return result


def format_result(r: BenchResult) -> str:
    lines = [
        f"bench-ui: {r.tokens} tokens of synthetic Markdown ({r.content}) at {r.rate:g} tokens/s "
        f"(Qt platform {r.platform})",
        f"  streamed in {r.stream_seconds:.1f} s, {r.view_updates} view updates, {r.reply_chars} characters",
        f"  event-loop stall while streaming: longest {r.longest_stall_ms:.1f} ms, p99 {r.p99_stall_ms:.1f} ms, "
        f"median {r.median_stall_ms:.2f} ms ({r.samples} probe ticks of {PROBE_INTERVAL_MS} ms)",
        f"  final whole-message render: {r.final_render_ms:.0f} ms wall (in slices); longest stall including it "
        f"{r.longest_stall_with_final_render_ms:.1f} ms",
        f"  GUI thread CPU per 1000 tokens: {r.start_cost_ms_per_1000:.1f} ms near the start (5-15%), "
        f"{r.end_cost_ms_per_1000:.1f} ms near the end (85-95%): ratio {r.end_to_start_ratio:.2f}",
        f"  GUI thread CPU per view update: {r.start_ms_per_update:.1f} ms near the start, "
        f"{r.end_ms_per_update:.1f} ms near the end",
    ]
    lines += [f"  note: {note}" for note in r.notes]
    return "\n".join(lines)


def main(tokens: int, rate: float, as_json: bool, content: str = "mixed") -> int:
    from PySide6.QtWidgets import QApplication

    from llmdesk.gui.app import make_application

    app = QApplication.instance() or make_application()
    result = run_bench(tokens, rate, content=content)
    if as_json:
        import json

        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_result(result))
    del app
    sys.stdout.flush()
    return 0 if not result.notes else 1
