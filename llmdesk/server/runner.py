"""The one model thread behind the API server: jobs queue and run one at a time, in arrival order.

:class:`EngineRunner` owns a :class:`~llmdesk.engine.session.ChatEngine` on its own thread (``llmdesk serve``). The
window supplies its own :class:`Runner` that routes jobs into the chat controller's queue, so a window reply and an
API request never run on the model at once. No Qt here.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine.types import ChatTurn, GenerationStats, TokenInfo

log = logging.getLogger(__name__)


@dataclass
class GenerationJob:
    """One API request for the model thread.

    ``on_text``, ``on_token`` and ``on_done`` are called on the model thread; ``on_done`` exactly once, with the
    stats (stop reason "cancelled" when ``cancel`` was set, also before the job started) or an error message.
    """

    turns: tuple[ChatTurn, ...]
    decoding: DecodingSettings
    system_prompt: str
    on_text: Callable[[str], None]
    on_done: Callable[[GenerationStats | None, str | None], None]
    on_token: Callable[[TokenInfo], None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


class Runner(Protocol):
    """Where the server sends its jobs."""

    @property
    def model_ids(self) -> Sequence[str]: ...

    def submit(self, job: GenerationJob) -> None: ...


def run_job(engine: Any, job: GenerationJob) -> None:
    """Run ``job`` on ``engine`` (on the calling thread); ``job.on_done`` is called exactly once."""
    stats: GenerationStats | None = None
    error: str | None = None
    try:
        if job.cancel.is_set():
            stats = GenerationStats(stop_reason="cancelled")
        else:
            stats = engine.chat(job.turns, job.decoding, job.system_prompt, on_text=job.on_text, cancel=job.cancel,
                                on_token=job.on_token)
    except Exception as exc:  # noqa: BLE001 - the client gets the message; the server keeps running
        log.debug("API request failed", exc_info=True)
        error = str(exc) or type(exc).__name__
    finally:
        job.on_done(stats, error)


class EngineRunner:
    """A thread that owns ``engine`` and runs queued jobs one at a time.

    Args:
        engine: a loaded engine (``ChatEngine`` or ``RemoteEngine``); from now on only this runner's thread uses it.
        model_id: the name ``/v1/models`` lists.
    """

    def __init__(self, engine: Any, model_id: str) -> None:
        self.engine = engine
        self._model_id = model_id
        self._jobs: queue.Queue[GenerationJob | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="llmdesk-model", daemon=True)
        self._thread.start()

    @property
    def model_ids(self) -> Sequence[str]:
        return (self._model_id,)

    def submit(self, job: GenerationJob) -> None:
        self._jobs.put(job)

    def close(self, timeout: float = 30.0) -> None:
        """Finish the running job, cancel the queued ones, and end the thread."""
        pending: list[GenerationJob] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                pending.append(job)
        for job in pending:
            job.cancel.set()
            job.on_done(GenerationStats(stop_reason="cancelled"), None)
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            run_job(self.engine, job)
