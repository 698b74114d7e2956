"""The model worker: a QObject that lives on one long-lived QThread and owns the engine (and so the model).

The model is loaded, used and freed only on that thread: every slot here runs there, reached through queued
signals from :class:`llmdesk.gui.chat.controller.ChatController`. The worker knows no widgets. Its signals carry plain
data and a request id. Every load request ends in exactly one of ``loaded`` or ``failed``, every chat request in
exactly one of ``finished`` or ``failed`` (a ``try``/``finally`` makes sure of it), so the window can never stay
busy. Stopping is not a queued call (the thread is busy inside ``generate()``): the controller sets the request's
``threading.Event``, which the engine checks at every forward pass.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.types import ChatTurn, DeviceInfo, GenerationStats, LoadProgress, ModelInfo, TokenInfo

log = logging.getLogger(__name__)


class EngineLike(Protocol):
    """The part of :class:`llmdesk.engine.session.ChatEngine` the worker uses."""

    info: ModelInfo | None

    def load(self, settings: ModelSettings, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> ModelInfo: ...

    def unload(self) -> None: ...

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: Callable[[str], None], cancel: threading.Event,
             on_token: Callable[[TokenInfo], None] | None = None,
             continue_final: bool = False, cache_key: str | None = None) -> GenerationStats: ...


@dataclass(frozen=True)
class EngineBackend:
    """How the worker makes its engine and asks about devices; all three run on the worker thread.

    Attributes:
        make_engine: returns a new engine (default: ``llmdesk.engine.session.ChatEngine()``).
        list_devices: the devices the model can run on (default: ``llmdesk.engine.devices.list_devices``).
        estimate_memory: a memory estimate for model settings, with ``.message`` and ``.fits`` (default:
            ``llmdesk.engine.devices.estimate_memory``), or None when there is none.
    """

    make_engine: Callable[[], EngineLike]
    list_devices: Callable[[], list[DeviceInfo]]
    estimate_memory: Callable[[ModelSettings], Any] | None = None


def default_backend() -> EngineBackend:
    """The real engine: local models, or a saved remote server when the model setting is ``remote:NAME``. Imports
    torch and transformers: call it on the worker thread only."""
    from llmdesk.engine import devices
    from llmdesk.engine.switching import SwitchingEngine

    return EngineBackend(make_engine=SwitchingEngine, list_devices=devices.list_devices,
                         estimate_memory=devices.estimate_memory)


@dataclass(frozen=True)
class LoadRequest:
    """Load ``settings``; ``cancel`` stops the load between steps."""

    request_id: int
    settings: ModelSettings
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)


@dataclass(frozen=True)
class ChatRequest:
    """Generate a reply to ``turns``; ``cancel`` stops it within one forward pass. With ``continue_final`` the
    last turn is an assistant reply that the model continues (the engine's ``continue_final=True``).
    ``cache_key`` (the conversation's id) lets the engine keep and reuse that conversation's KV cache."""

    request_id: int
    turns: tuple[ChatTurn, ...]
    decoding: DecodingSettings
    system_prompt: str
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)
    continue_final: bool = False
    # Written once by the worker, just before it signals the end: {"stats": GenerationStats}. Lets the controller
    # read how a reply it stopped waiting for went (the window closing waits for the thread, not for signals).
    outcome: dict[str, Any] = field(default_factory=dict, compare=False)
    cache_key: str | None = None
    reply_ids: tuple[int, ...] = ()  # "continue from here with this token": the reply's start, forced
    raw: bool = False  # raw completion: the last turn's text continued with no chat template


@dataclass(frozen=True)
class MemoryEstimateResult:
    """A memory estimate as plain data: ``message`` for the user, ``fits`` None when unknown."""

    request_id: int
    settings: ModelSettings
    message: str
    fits: bool | None


def _error_text(exc: BaseException) -> tuple[str, str]:
    """(message, kind) for an exception: EngineError's own text (with its hint), else the type and message."""
    kind = getattr(exc, "kind", None)
    if kind is not None:
        return str(exc), str(kind)
    return f"Unexpected error: {type(exc).__name__}: {exc}", "internal"


class ModelWorker(QObject):
    """Owns the engine on the worker thread; reports through signals only.

    Args:
        backend_factory: returns the :class:`EngineBackend`; called once, on the worker thread, by :meth:`start`.
            Tests and the UI benchmark pass a scripted engine here.

    Signals:
        ready(list): the worker started; carries the devices (list of DeviceInfo) from ``list_devices()``.
        start_failed(str): the engine could not be set up (e.g. torch is missing); carries the reason.
        load_progress(int, object): request id, LoadProgress.
        loaded(int, object): request id, ModelInfo. Ends a load request.
        text(int, str): request id, a piece of the reply.
        tokens(int, list): request id, the reply's TokenInfo list (the token inspector's record); sent once,
            just before ``finished`` or ``failed``, when the engine reported tokens.
        finished(int, object): request id, GenerationStats. Ends a chat request.
        failed(int, str, str): request id, message for the user (with the hint), error kind. Ends a load or chat
            request.
        estimated(object): a MemoryEstimateResult.
        unloaded(): the model was freed.
    """

    ready = Signal(list)
    start_failed = Signal(str)
    load_progress = Signal(int, object)
    loaded = Signal(int, object)
    text = Signal(int, str)
    tokens = Signal(int, list)
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    estimated = Signal(object)
    unloaded = Signal()

    def __init__(self, backend_factory: Callable[[], EngineBackend] | None = None) -> None:
        super().__init__()
        self._backend_factory = backend_factory or default_backend
        self._backend: EngineBackend | None = None
        self._engine: EngineLike | None = None
        self._start_error: str | None = None

    # -- slots (all run on the worker thread) ------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Set up the engine (this is where torch gets imported) and report the devices."""
        try:
            self._backend = self._backend_factory()
            self._engine = self._backend.make_engine()
            devices = list(self._backend.list_devices())
        except Exception as exc:  # noqa: BLE001 - the window must show any failure
            log.exception("engine setup failed")
            self._start_error, _ = _error_text(exc)
            self.start_failed.emit(self._start_error)
            return
        self.ready.emit(devices)

    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        """Load a model (replacing the current one)."""
        rid = request.request_id
        outcome: tuple[str, Any] = ("failed", ("Loading stopped unexpectedly.", "internal"))
        try:
            engine = self._require_engine()
            if request.cancel.is_set():
                outcome = ("failed", ("Loading was cancelled.", "cancelled"))
                return
            if engine.info is not None:
                engine.unload()
                self.unloaded.emit()
            info = engine.load(request.settings, progress=lambda p: self.load_progress.emit(rid, p),
                               cancel=request.cancel)
            outcome = ("loaded", info)
        except Exception as exc:  # noqa: BLE001
            if request.cancel.is_set():
                outcome = ("failed", ("Loading was cancelled.", "cancelled"))
            else:
                log.debug("load failed: %s", traceback.format_exc())
                outcome = ("failed", _error_text(exc))
        finally:
            if outcome[0] == "loaded":
                self.loaded.emit(rid, outcome[1])
            else:
                message, kind = outcome[1]
                self.failed.emit(rid, message, kind)

    @Slot(object)
    def chat(self, request: ChatRequest) -> None:
        """Generate one reply, streaming pieces through ``text``."""
        rid = request.request_id
        outcome: tuple[str, Any] = ("failed", ("The reply stopped unexpectedly.", "internal"))
        tokens: list[TokenInfo] = []  # kept here, sent once at the end: no per-token signal while streaming
        try:
            if request.cancel.is_set():
                outcome = ("finished", GenerationStats(stop_reason="cancelled"))
                return
            engine = self._require_engine()
            on_text = lambda piece: self.text.emit(rid, piece)  # noqa: E731
            if request.raw:
                raw = getattr(engine, "complete_raw", None)
                if raw is None:
                    from llmdesk.engine.errors import EngineError

                    raise EngineError("bad_settings", "This engine has no raw completion.")
                stats = raw(request.turns[-1].content, request.decoding, on_text=on_text, cancel=request.cancel,
                            on_token=tokens.append)
            elif request.reply_ids:
                go_on = getattr(engine, "continue_from_tokens", None)
                if go_on is None:
                    from llmdesk.engine.errors import EngineError

                    raise EngineError("bad_settings", "This engine cannot continue from a chosen token.")
                stats = go_on(request.turns, request.decoding, request.system_prompt, list(request.reply_ids),
                              on_text=on_text, cancel=request.cancel, on_token=tokens.append)
            else:
                extra: dict[str, Any] = {"continue_final": True} if request.continue_final else {}
                if request.cache_key is not None:
                    extra["cache_key"] = request.cache_key
                stats = engine.chat(request.turns, request.decoding, request.system_prompt, on_text=on_text,
                                    cancel=request.cancel, on_token=tokens.append, **extra)
            outcome = ("finished", stats)
        except Exception as exc:  # noqa: BLE001
            log.debug("generation failed: %s", traceback.format_exc())
            outcome = ("failed", _error_text(exc))
        finally:
            if tokens:
                self.tokens.emit(rid, tokens)
            if outcome[0] == "finished":
                request.outcome["stats"] = outcome[1]
                self.finished.emit(rid, outcome[1])
            else:
                message, kind = outcome[1]
                self.failed.emit(rid, message, kind)

    @Slot(object)
    def api_job(self, job: Any) -> None:
        """Run one API request (a :class:`llmdesk.server.runner.GenerationJob`) on the loaded model. Its callbacks
        run here and go straight to the API server; nothing reaches the GUI thread per token. Queued behind (and
        ahead of) the window's own replies, so the two never run on the model at once."""
        from llmdesk.server.runner import run_job

        if self._engine is None or self._engine.info is None:
            job.on_done(None, "No model is loaded in the window.")
            return
        run_job(self._engine, job)

    @Slot(object)
    def estimate(self, request: LoadRequest) -> None:
        """Estimate whether ``request.settings`` fits; reports through ``estimated``."""
        try:
            if self._backend is None or self._backend.estimate_memory is None:
                return
            est = self._backend.estimate_memory(request.settings)
            result = MemoryEstimateResult(request.request_id, request.settings, str(getattr(est, "message", est)),
                                          getattr(est, "fits", None))
        except Exception as exc:  # noqa: BLE001
            message, _ = _error_text(exc)
            result = MemoryEstimateResult(request.request_id, request.settings,
                                          f"No memory estimate: {message}", None)
        self.estimated.emit(result)

    @Slot()
    def unload(self) -> None:
        """Free the model."""
        if self._engine is not None and self._engine.info is not None:
            self._engine.unload()
            self.unloaded.emit()

    @Slot()
    def shutdown(self) -> None:
        """Free the model, drop the engine and end the thread's event loop (the last call the worker gets)."""
        try:
            if self._engine is not None and self._engine.info is not None:
                self._engine.unload()
        except Exception:  # noqa: BLE001 - shutting down anyway
            log.exception("unload during shutdown failed")
        finally:
            self._engine = None
            self._backend = None
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()

    # -- helpers ----------------------------------------------------------------------------------------------
    def _require_engine(self) -> EngineLike:
        if self._engine is None:
            from llmdesk.engine.errors import EngineError

            raise EngineError("load_failed", self._start_error or "The model engine is not available.",
                              "Check that torch and transformers are installed, then restart llmdesk.")
        return self._engine
