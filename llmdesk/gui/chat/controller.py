"""The chat controller: owns the worker thread, the requests and the conversation on show.

Widgets talk to the controller (``send``, ``stop``, ``load_model``...) and listen to its signals; they never
reach into the worker, and the worker never sees a widget. Reply pieces from the worker are coalesced here by a
single-shot QTimer and handed on at most about 30 times a second.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer, Signal, Slot

from llmdesk.core import branches
from llmdesk.core.conversation import Conversation, Message, new_id
from llmdesk.core.reasoning import split_reasoning
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.core.store import ReplyCheckpointer, reply_meta
from llmdesk.engine.types import ChatTurn, DeviceInfo, GenerationStats, LoadProgress, ModelInfo
from llmdesk.gui.chat.worker import ChatRequest, EngineBackend, LoadRequest, MemoryEstimateResult, ModelWorker

log = logging.getLogger(__name__)

FLUSH_INTERVAL_MS = 33  # at most ~30 view updates a second while a reply streams
SHUTDOWN_TIMEOUT_MS = 15_000
CHECKPOINT_INTERVAL_S = 1.0  # with a store, a streaming reply's text is saved at least this often


class MessageStore(Protocol):
    """The persistence hook: the subset of ``llmdesk.core.store.ConversationStore`` the controller calls."""

    def create_conversation(self, title: str = "New chat") -> Conversation: ...

    def add_message(self, conversation_id: str, message: Message, *, make_current: bool = True) -> None: ...

    def update_message(self, message_id: str, *, content: str | None = None, stop_reason: str | None = None,
                       meta: dict | None = None) -> None: ...

    def set_current_leaf(self, conversation_id: str, leaf_id: str) -> None: ...


class _ReportingStore:
    """The store as a reply's :class:`ReplyCheckpointer` writes to it: a save that fails is reported through the
    controller's ``store_error`` and the text stays in memory and on screen."""

    def __init__(self, controller: ChatController) -> None:
        self._controller = controller

    def update_message(self, message_id: str, **fields: Any) -> None:
        self._controller._persist("update_message", message_id, **fields)  # noqa: SLF001 - its owner


@dataclasses.dataclass
class _Reply:
    request: ChatRequest
    message: Message
    pieces: list[str] = dataclasses.field(default_factory=list)
    pending: list[str] = dataclasses.field(default_factory=list)
    checkpoint: ReplyCheckpointer | None = None  # saves the text as it streams (None without a store)
    started: float = dataclasses.field(default_factory=time.perf_counter)
    held: bool = False
    earlier_meta: dict[str, Any] | None = None  # a continued reply: its meta before this run
    tokens: list[Any] | None = None  # the engine's TokenInfo list, when it reported one
    prefix_tokens: list[Any] | None = None  # a branch from a token: the original's tokens up to it, and the forced one
    prefix_text_len: int | None = None


class ChatController(QObject):
    """Runs the model worker on its own thread and turns user actions into requests.

    Args:
        decoding: decoding settings for the next reply.
        system_prompt: the system prompt for the next reply.
        backend_factory: passed to :class:`ModelWorker` (None: the real engine).
        store: optional persistence hook (a ConversationStore); None keeps conversations in memory only.
        conversation: the conversation to show first (already in ``store``); None makes a new one.
        flush_interval_ms: the shortest time between two ``reply_text`` signals.

    Signals:
        engine_ready(list): the worker is up; the devices (list of DeviceInfo).
        engine_failed(str): the engine could not start; the reason.
        load_started(object): a load began; its ModelSettings.
        load_progress(object): a LoadProgress of the running load.
        model_loaded(object): the ModelInfo of the model now loaded.
        load_failed(str, str): the message (with what to do next) and the error kind.
        model_unloaded(): the model was freed.
        loading_changed(bool): a load is (not) running.
        busy_changed(bool): a reply is (not) being generated.
        message_added(object): a Message was added to the conversation on show.
        reply_resumed(object): an assistant Message that stopped at the length limit streams on (Continue).
        reply_text(str, str): message id, the text that arrived since the last signal.
        reply_finished(object): the assistant Message, complete with stop_reason and meta (stats or error).
        conversation_changed(object): another Conversation is on show.
        estimate_ready(object): a MemoryEstimateResult.
        store_error(str): saving failed (the conversation stays in memory); the reason.
        compare_started(object, str): one reply of a comparison started; the Message and its label.
    """

    engine_ready = Signal(list)
    engine_failed = Signal(str)
    load_started = Signal(object)
    load_progress = Signal(object)
    model_loaded = Signal(object)
    load_failed = Signal(str, str)
    model_unloaded = Signal()
    loading_changed = Signal(bool)
    busy_changed = Signal(bool)
    message_added = Signal(object)
    reply_resumed = Signal(object)
    reply_text = Signal(str, str)
    reply_finished = Signal(object)
    conversation_changed = Signal(object)
    estimate_ready = Signal(object)
    store_error = Signal(str)
    compare_started = Signal(object, str)

    # to the worker (queued: the worker lives on the model thread)
    _request_start = Signal()
    _request_load = Signal(object)
    _request_chat = Signal(object)
    _request_estimate = Signal(object)
    _request_unload = Signal()
    _request_shutdown = Signal()
    _request_api_job = Signal(object)

    def __init__(self, decoding: DecodingSettings | None = None, system_prompt: str = "", *,
                 backend_factory: Callable[[], EngineBackend] | None = None, store: MessageStore | None = None,
                 conversation: Conversation | None = None, flush_interval_ms: int = FLUSH_INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.decoding = decoding or DecodingSettings()
        self.system_prompt = system_prompt
        self.raw_completion = False  # the next replies continue the text with no chat template
        self.next_decoding: DecodingSettings | None = None  # one reply's own settings (Compare)
        self._queued: list[Callable[[], Any]] = []  # replies that start when the one streaming ends (Compare)
        self.store = store
        self.devices: list[DeviceInfo] = []
        self.model_info: ModelInfo | None = None
        self.last_stats: GenerationStats | None = None
        self.conversation = conversation if conversation is not None else self._make_conversation()
        self._next_id = 1
        self._load: LoadRequest | None = None
        self._reply: _Reply | None = None
        self._started = False
        self._ready = False
        self._stopped = False
        self._last_piece_count = 0
        # Replies ended here before the worker answered (window closing, another conversation shown): request id ->
        # the reply, so the worker's stats (and any last text) still reach the saved message.
        self._detached: dict[int, _Reply] = {}

        self._thread = QThread()
        self._thread.setObjectName("llmdesk-model")
        self._worker = ModelWorker(backend_factory)
        self._worker.moveToThread(self._thread)
        self._request_start.connect(self._worker.start)
        self._request_load.connect(self._worker.load)
        self._request_chat.connect(self._worker.chat)
        self._request_estimate.connect(self._worker.estimate)
        self._request_unload.connect(self._worker.unload)
        self._request_shutdown.connect(self._worker.shutdown)
        self._request_api_job.connect(self._worker.api_job)
        self._worker.ready.connect(self._on_ready)
        self._worker.start_failed.connect(self._on_start_failed)
        self._worker.load_progress.connect(self._on_load_progress)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.text.connect(self._on_text)
        self._worker.tokens.connect(self._on_tokens)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.estimated.connect(self._on_estimated)
        self._worker.unloaded.connect(self._on_unloaded)

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush)
        self._checkpoint_timer = QTimer(self)
        self._checkpoint_timer.timeout.connect(self._poll_checkpoint)
        self._flush_interval_ms = flush_interval_ms
        self._last_flush = 0.0

    # -- state ------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether a reply is being generated."""
        return self._reply is not None

    @property
    def reply_pieces_received(self) -> int:
        """How many pieces the reply being generated has received so far (0 when none)."""
        return len(self._reply.pieces) if self._reply is not None else self._last_piece_count

    @property
    def loading(self) -> bool:
        """Whether a model load is running or queued."""
        return self._load is not None

    @property
    def running(self) -> bool:
        """Whether the model thread runs."""
        return self._thread.isRunning()

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the model thread; the worker sets up the engine there and reports ``engine_ready``."""
        if self._started:
            return
        self._started = True
        self._thread.start()
        self._request_start.emit()

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Stop all work and end the model thread: cancel events, then the worker frees the model and quits its
        event loop, and this waits for the thread (at most ``timeout_ms``). A reply in progress is kept as
        stopped. Returns whether the thread ended."""
        self._stopped = True
        if self._load is not None:
            self._load.cancel.set()
        if self._reply is not None:
            self._reply.request.cancel.set()
            self._finish_now()
        self._load = None
        self._flush_timer.stop()
        if not self._thread.isRunning():
            return True
        self._request_shutdown.emit()
        ended = self._thread.wait(timeout_ms)
        if not ended:
            log.error("the model thread did not end within %d ms", timeout_ms)
        else:
            # The worker's last signals are still queued for this thread (the GUI thread was waiting): the text
            # and the stats of the reply it was writing. Deliver them now, once, so that nothing of it is lost.
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        for rid, reply in list(self._detached.items()):  # the worker has answered by now: keep its stats
            stats = reply.request.outcome.get("stats")
            if stats is not None:
                self._complete_detached(rid, stats)
        return bool(ended)

    # -- model ------------------------------------------------------------------------------------------------
    def submit_api_job(self, job: Any) -> None:
        """Queue an API request (a :class:`llmdesk.server.runner.GenerationJob`) for the model thread, behind the
        window's own requests. Safe to call from any thread (the API server's); the job's ``on_done`` is always
        called, with an error when the model thread is not running."""
        if not self.running:
            job.on_done(None, "The model thread is not running.")
            return
        self._request_api_job.emit(job)

    def load_model(self, settings: ModelSettings) -> int:
        """Load (or reload) a model; a load already running is cancelled. Returns the request id."""
        self._ensure_started()
        if self._load is not None:
            self._load.cancel.set()
        request = LoadRequest(self._new_id(), dataclasses.replace(settings))
        self._load = request
        self.loading_changed.emit(True)
        self.load_started.emit(request.settings)
        self._request_load.emit(request)
        return request.request_id

    def cancel_load(self) -> bool:
        """Cancel the running load; returns whether there was one."""
        if self._load is None:
            return False
        self._load.cancel.set()
        return True

    def unload_model(self) -> None:
        """Free the model's memory (on the worker thread)."""
        self._ensure_started()
        self._request_unload.emit()

    def estimate(self, settings: ModelSettings) -> int:
        """Ask for a memory estimate; the answer comes through ``estimate_ready``."""
        self._ensure_started()
        request = LoadRequest(self._new_id(), dataclasses.replace(settings))
        self._request_estimate.emit(request)
        return request.request_id

    # -- conversation -----------------------------------------------------------------------------------------
    def set_decoding(self, decoding: DecodingSettings) -> None:
        """Decoding settings for the next reply (no reload)."""
        self.decoding = decoding

    def set_system_prompt(self, prompt: str) -> None:
        self.system_prompt = prompt

    def new_conversation(self) -> Conversation:
        """Start an empty conversation (a reply in progress is stopped first)."""
        self.stop()
        self._finish_now()
        self.set_conversation(self._make_conversation())
        return self.conversation

    def set_conversation(self, conversation: Conversation, *, discard_reply: bool = False) -> None:
        """Show another conversation (e.g. picked in a sidebar). A reply in progress is stopped first and kept
        as stopped; with ``discard_reply`` (its conversation was deleted) its text is not saved."""
        self.stop()
        self._finish_now(save=not discard_reply)
        self.conversation = conversation
        self.conversation_changed.emit(conversation)

    # -- branches ---------------------------------------------------------------------------------------------
    def regenerate(self, reply_id: str) -> Message | None:
        """Write a new reply as a sibling of ``reply_id`` (the old one is kept; the arrows switch between them).
        Returns the new reply being written, or None while a reply streams.

        Raises:
            BranchError: ``reply_id`` is not a reply of the conversation on show.
        """
        if self._reply is not None or self._stopped:
            return None
        conv = self.conversation
        parent, turns = branches.regenerate_parent(conv, reply_id)
        reply = branches.new_reply(conv, parent.id)
        reply.stop_reason = None
        reply.meta = self._reply_meta()
        self._persist("add_message", conv.id, reply)
        self.conversation_changed.emit(conv)
        self._start_reply(reply, turns)
        return reply

    def edit_message(self, message_id: str, text: str) -> Message | None:
        """Edit a user message: the new text becomes a sibling user message (a new branch; the old one and its
        replies are kept) and gets a reply. Returns the reply being written, or None while a reply streams.

        Raises:
            BranchError: not a user message of the conversation on show, or the text is blank.
        """
        if self._reply is not None or self._stopped:
            return None
        conv = self.conversation
        user = branches.edit_user_message(conv, message_id, text)
        self._persist("add_message", conv.id, user)
        reply = branches.new_reply(conv, user.id)
        reply.meta = self._reply_meta()
        self._persist("add_message", conv.id, reply)
        self.conversation_changed.emit(conv)
        self._start_reply(reply, branches.prompt_turns(conv, user.id))
        return reply

    def switch_sibling(self, message_id: str, step: int) -> str | None:
        """Show the previous (``step`` -1) or next (+1) alternative of a message; the shown path follows that
        branch to its newest leaf. Returns the new leaf, or None while a reply streams."""
        if self._reply is not None:
            return None
        conv = self.conversation
        before = conv.current_leaf_id
        leaf = branches.switch_sibling(conv, message_id, step)
        if leaf != before:
            self._persist("set_current_leaf", conv.id, leaf)
            self.conversation_changed.emit(conv)
        return leaf

    def show_message(self, message_id: str) -> str:
        """Make a message visible (a search hit on another branch): switch to a branch that holds it."""
        conv = self.conversation
        before = conv.current_leaf_id
        leaf = branches.reveal_message(conv, message_id)
        if leaf != before:
            self._persist("set_current_leaf", conv.id, leaf)
            self.conversation_changed.emit(conv)
        return leaf

    def continue_reply(self, reply_id: str) -> Message | None:
        """Let the model go on with a reply that stopped at the length limit: the new text is appended to the
        same message (``continue_final``), checkpointed like any reply. Returns the message, or None while a
        reply streams.

        Raises:
            BranchError: the message cannot be continued (see :func:`llmdesk.core.branches.continue_turns`).
        """
        if self._reply is not None or self._stopped:
            return None
        conv = self.conversation
        turns = branches.continue_turns(conv, reply_id)
        message = conv.messages[reply_id]
        earlier = dict(message.meta)
        message.stop_reason = None
        message.meta = self._reply_meta()  # this run's model and settings; the earlier run's go to "earlier"
        self._start_reply(message, turns, continue_final=True, earlier_meta=earlier)
        self.reply_resumed.emit(message)
        return message

    def continue_from_token(self, reply_id: str, index: int, token_id: int) -> Message | None:
        """"Continue from here with this token": a new version of reply ``reply_id`` made of its tokens before
        position ``index``, then ``token_id`` (one of the alternatives there), then what the model generates from
        that point. It is a sibling of the reply (the arrows switch between them) and is saved like one. Returns
        the new reply being written, or None while a reply streams.

        Raises:
            BranchError: ``reply_id`` is not a reply of the conversation on show.
            BranchError: also when the reply has no saved tokens, or ``index`` is not one of its positions.
        """
        from llmdesk.core.token_trace import forced_token, trace_tokens

        if self._reply is not None or self._stopped:
            return None
        conv = self.conversation
        original = conv.messages.get(reply_id)
        tokens = trace_tokens(original.meta) if original is not None else None
        if not tokens:
            raise branches.BranchError("This reply has no saved tokens to continue from.")
        if not 0 <= index < len(tokens):
            raise branches.BranchError(f"Token position {index} is outside the reply's {len(tokens)} tokens")
        parent, turns = branches.regenerate_parent(conv, reply_id)
        reply = branches.new_reply(conv, parent.id)
        reply.stop_reason = None
        reply.meta = self._reply_meta()
        reply.meta["branched_from"] = {"message": reply_id, "token_index": index, "token_id": token_id}
        self._persist("add_message", conv.id, reply)
        self.conversation_changed.emit(conv)
        prefix = [*tokens[:index], forced_token(tokens[index], token_id)]
        self._start_reply(reply, turns, reply_ids=tuple(t.token_id for t in prefix))
        assert self._reply is not None
        self._reply.prefix_tokens = prefix
        return reply

    def compare(self, reply_id: str, first: DecodingSettings, second: DecodingSettings,
                labels: tuple[str, str] = ("A", "B")) -> Message | None:
        """Compare: answer the same conversation as ``reply_id`` under two decoding settings, one after the other
        with the one loaded model. Each answer is a new version of the reply (kept as a branch; its meta has
        ``"compare": {"group", "label"}``) and ``compare_started`` announces each. Returns the first reply, or None
        while a reply streams.

        Raises:
            BranchError: ``reply_id`` is not a reply of the conversation on show.
        """
        if self._reply is not None or self._stopped:
            return None
        group = new_id()

        def start(decoding: DecodingSettings, label: str) -> Message | None:
            self.next_decoding = decoding
            try:
                reply = self.regenerate(reply_id)
            finally:
                self.next_decoding = None
            if reply is not None:
                reply.meta["compare"] = {"group": group, "label": label}
                self.compare_started.emit(reply, label)
            return reply

        first_reply = start(first, labels[0])
        if first_reply is not None:
            self._queued.append(lambda: start(second, labels[1]))
        return first_reply

    def send(self, text: str) -> Message | None:
        """Add a user message and ask for a reply. Returns the assistant message being written, or None when the
        text is empty or a reply is still streaming. Sent during a load, the reply starts once the model is
        loaded."""
        if not text.strip() or self._reply is not None or self._stopped:
            return None
        conv = self.conversation
        # The same path as ``llmdesk ask --conversation``: the shown path, ending with this message.
        user, assistant, turns = branches.send_message(conv, text)
        assistant.meta = self._reply_meta()
        for message in (user, assistant):
            self._persist("add_message", conv.id, message)
            self.message_added.emit(message)
        self._start_reply(assistant, turns)
        return assistant

    def _start_reply(self, message: Message, turns: list[ChatTurn], *, continue_final: bool = False,
                     earlier_meta: dict[str, Any] | None = None, reply_ids: tuple[int, ...] = ()) -> None:
        self._ensure_started()
        decoding = dataclasses.replace(self.next_decoding or self.decoding)
        self.next_decoding = None
        raw = self.raw_completion and not continue_final and not reply_ids
        request = ChatRequest(self._new_id(), tuple(turns), decoding, self.system_prompt,
                              continue_final=continue_final, reply_ids=reply_ids, raw=raw,
                              cache_key=self.conversation.id)
        if raw:
            message.meta["raw_completion"] = True
        self._reply = _Reply(request, message, earlier_meta=earlier_meta)
        if continue_final:  # stream onto the text already there
            self._reply.pieces.append(message.content)
        if self.store is not None:
            self._reply.checkpoint = ReplyCheckpointer(_ReportingStore(self), message.id,
                                                       interval_s=CHECKPOINT_INTERVAL_S,
                                                       text=message.content if continue_final else "",
                                                       meta=message.meta)
            self._checkpoint_timer.start(int(CHECKPOINT_INTERVAL_S * 1000))
        self.busy_changed.emit(True)
        if self._ready and self._load is None:
            self._request_chat.emit(request)
        else:
            self._reply.held = True  # sent once the engine is up and the model has loaded (or failed to)

    def stop(self) -> bool:
        """Stop the reply being generated: sets its cancel event directly (the worker is busy generating, so this
        cannot be a queued call). The partial reply is kept. Returns whether a reply was running."""
        if self._reply is None:
            return False
        self._reply.request.cancel.set()
        if self._reply.held:  # never reached the worker: nothing will answer it
            self._end_reply(GenerationStats(stop_reason="cancelled"), None)
        return True

    # -- worker signals ---------------------------------------------------------------------------------------
    @Slot(list)
    def _on_ready(self, devices: list) -> None:
        self.devices = list(devices)
        self._ready = True
        self.engine_ready.emit(self.devices)
        self._release_held_reply()

    @Slot(str)
    def _on_start_failed(self, message: str) -> None:
        self._ready = True
        self.engine_failed.emit(message)
        self._release_held_reply()

    def _release_held_reply(self) -> None:
        reply = self._reply
        if reply is not None and reply.held and self._ready and self._load is None:
            reply.held = False
            self._request_chat.emit(reply.request)

    @Slot(int, object)
    def _on_load_progress(self, rid: int, progress: LoadProgress) -> None:
        if self._load is not None and rid == self._load.request_id:
            self.load_progress.emit(progress)

    @Slot(int, object)
    def _on_loaded(self, rid: int, info: ModelInfo) -> None:
        self.model_info = info
        if self._load is not None and rid == self._load.request_id:
            self._load = None
            self.loading_changed.emit(False)
        self.model_loaded.emit(info)
        self._release_held_reply()

    @Slot()
    def _on_unloaded(self) -> None:
        self.model_info = None
        self.model_unloaded.emit()

    @Slot(int, str)
    def _on_text(self, rid: int, piece: str) -> None:
        reply = self._reply
        if reply is None or rid != reply.request.request_id:
            if rid in self._detached:  # text generated before the worker saw the stop
                self._detached[rid].pieces.append(piece)
            return
        if reply.prefix_tokens is not None and reply.prefix_text_len is None:
            reply.prefix_text_len = len(piece)  # the engine sends the forced start of the reply as one piece
        reply.pieces.append(piece)
        reply.pending.append(piece)
        if not self._flush_timer.isActive():
            since = (time.perf_counter() - self._last_flush) * 1000.0
            self._flush_timer.start(int(max(0.0, self._flush_interval_ms - since)))

    @Slot()
    def _flush(self, checkpoint: bool = True) -> None:
        reply = self._reply
        if reply is None or not reply.pending:
            return
        chunk = "".join(reply.pending)
        reply.pending.clear()
        self._last_flush = time.perf_counter()
        self.reply_text.emit(reply.message.id, chunk)
        if reply.checkpoint is not None:  # saved when the last save is CHECKPOINT_INTERVAL_S old
            if checkpoint:
                reply.checkpoint.append(chunk)
            else:
                reply.checkpoint.add(chunk)

    @Slot()
    def _poll_checkpoint(self) -> None:
        """A pause in the stream still gets the text shown so far saved within about CHECKPOINT_INTERVAL_S."""
        reply = self._reply
        if reply is None:
            self._checkpoint_timer.stop()
        elif reply.checkpoint is not None:
            self._flush()
            reply.checkpoint.poll()

    @Slot(int, list)
    def _on_tokens(self, rid: int, tokens: list) -> None:
        if self._reply is not None and rid == self._reply.request.request_id:
            self._reply.tokens = tokens

    @Slot(int, object)
    def _on_finished(self, rid: int, stats: GenerationStats) -> None:
        if self._reply is not None and rid == self._reply.request.request_id:
            self._end_reply(stats, None)
        elif rid in self._detached:
            self._complete_detached(rid, stats)

    def _complete_detached(self, rid: int, stats: GenerationStats) -> None:
        """A reply ended here before the worker answered (closing, switching): save the worker's real stats, and
        the text that arrived after the stop, instead of the zeros it was first saved with."""
        reply = self._detached.pop(rid)
        message = reply.message
        reasoning = self._take_text(reply)
        stats = dataclasses.replace(stats, stop_reason="cancelled")
        message.meta = self._final_meta(reply, stats, None, reasoning)
        self._persist("update_message", message.id, content=message.content, meta=message.meta)

    @Slot(int, str, str)
    def _on_failed(self, rid: int, message: str, kind: str) -> None:
        if self._reply is not None and rid == self._reply.request.request_id:
            self._end_reply(GenerationStats(stop_reason="error", error=message), message)
        elif rid in self._detached:
            self._detached.pop(rid)  # it was stopped already; saved as stopped
        elif self._load is not None and rid == self._load.request_id:
            self._load = None
            self.loading_changed.emit(False)
            self.load_failed.emit(message, kind)
            self._release_held_reply()

    @Slot(object)
    def _on_estimated(self, result: MemoryEstimateResult) -> None:
        self.estimate_ready.emit(result)

    # -- helpers ----------------------------------------------------------------------------------------------
    def _ensure_started(self) -> None:
        if not self._started:
            self.start()

    def _new_id(self) -> int:
        rid = self._next_id
        self._next_id += 1
        return rid

    def _make_conversation(self) -> Conversation:
        if self.store is not None:
            try:
                return self.store.create_conversation()
            except Exception as exc:  # noqa: BLE001 - keep working in memory
                self.store_error.emit(self.tr("Could not create a conversation in the database: {error}").format(error=exc))
        return Conversation()

    def _reply_meta(self) -> dict[str, Any]:
        """What is known when a reply starts (the model on show and the decoding settings); completed by
        :meth:`_end_reply` with the stats, the seed actually used and the stop reason."""
        meta: dict[str, Any] = {"decoding": dataclasses.asdict(self.next_decoding or self.decoding)}
        if self.model_info is not None:
            info = self.model_info
            meta.update(model=info.model_id, revision=info.revision, device=info.device, dtype=info.dtype)
        return meta

    def _persist(self, method: str, *args: Any, **kwargs: Any) -> None:
        if self.store is None:
            return
        try:
            getattr(self.store, method)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the text stays in memory and on screen
            log.warning("store.%s failed: %s", method, exc)
            self.store_error.emit(self.tr("Could not save the conversation: {error}").format(error=exc))

    def _finish_now(self, *, save: bool = True) -> None:
        """End the current reply at once (as stopped), without waiting for the worker's answer; when the worker
        answers, its stats are saved to the message (see :meth:`_complete_detached`)."""
        reply = self._reply
        if reply is not None:
            self._end_reply(self._stats_so_far(reply), None, save=save)
            if save and not reply.held:  # reply.pieces holds the whole text (reasoning included) as one piece
                self._detached[reply.request.request_id] = reply

    @staticmethod
    def _stats_so_far(reply: _Reply) -> GenerationStats:
        """Stats for a reply cut off here, until the worker's own arrive: the time it ran (its token count and
        speeds are only known to the worker)."""
        return GenerationStats(stop_reason="cancelled", total_s=time.perf_counter() - reply.started)

    def _end_reply(self, stats: GenerationStats, error: str | None, *, save: bool = True) -> None:
        reply = self._reply
        if reply is None:
            return
        self._flush(checkpoint=False)  # the final save follows at once
        self._flush_timer.stop()
        self._checkpoint_timer.stop()
        self._reply = None
        self._last_piece_count = len(reply.pieces)
        message = reply.message
        reasoning = self._take_text(reply)
        message.stop_reason = stats.stop_reason
        meta = self._final_meta(reply, stats, error, reasoning)
        message.meta = meta
        if error is None and stats.new_tokens:
            self.last_stats = stats
        if save and reply.checkpoint is not None:
            reply.checkpoint.finish(message.stop_reason or "", meta)
        self.reply_finished.emit(message)
        self.busy_changed.emit(False)
        if self._queued:
            if stats.stop_reason == "cancelled" or error is not None:
                self._queued.clear()  # a stopped comparison does not go on
            else:
                QTimer.singleShot(0, self._queued.pop(0))

    @staticmethod
    def _take_text(reply: _Reply) -> str:
        """Put the reply's answer in the message's text (the pieces become one, the whole raw text) and return
        its reasoning ("" when none), which goes to ``meta["reasoning"]`` (``llmdesk.core.reasoning``)."""
        raw = "".join(reply.pieces)
        reply.pieces[:] = [raw]
        split = split_reasoning(raw)
        reply.message.content = split.answer
        return split.reasoning

    def _final_meta(self, reply: _Reply, stats: GenerationStats, error: str | None,
                    reasoning: str = "") -> dict[str, Any]:
        """What produced the reply (``llmdesk.core.store.reply_meta``): the model it was started with (or the one
        loaded when a held reply ran), the decoding settings sent, the seed actually used (``stats.seed``), the
        stats, the stop reason and the time; the reasoning, if any, under ``"reasoning"``. A continued reply keeps
        its earlier runs under ``"earlier"`` and its reasoning."""
        started = reply.message.meta
        model: Any = None
        if "model" in started:
            model = {"model_id": started.get("model"), "revision": started.get("revision"),
                     "device": started.get("device"), "dtype": started.get("dtype")}
        elif self.model_info is not None:
            model = self.model_info
        meta = reply_meta(model=model, decoding=reply.request.decoding, stats=stats, seed=stats.seed,
                          stop_reason=stats.stop_reason, error=error)
        if reply.earlier_meta is not None:
            earlier = dict(reply.earlier_meta)
            reasoning = reasoning or earlier.pop("reasoning", "")
            runs = list(earlier.pop("earlier", []))
            earlier.pop("tokens", None)  # carried on in this run's trace
            meta["earlier"] = [*runs, earlier]
        if reasoning:
            meta["reasoning"] = reasoning
        meta["system_prompt"] = reply.request.system_prompt  # rebuilds the exact prompt ("Show the prompt")
        for key in ("branched_from", "raw_completion", "compare"):
            if key in started:
                meta[key] = started[key]
        trace = self._trace(reply)
        if trace is not None:
            meta["tokens"] = trace
        return meta

    @staticmethod
    def _trace(reply: _Reply) -> dict[str, Any] | None:
        """The stored form of the reply's tokens: a continued reply's earlier tokens, or a branch's tokens up to
        the chosen one, come first."""
        from llmdesk.core.token_trace import encode_trace, trace_tokens

        if not reply.tokens:
            return None
        before: list[Any] = []
        if reply.prefix_tokens is not None:
            before = list(reply.prefix_tokens)
            known = sum(t.chars or 0 for t in before[:-1])
            before[-1] = dataclasses.replace(before[-1], chars=max(0, (reply.prefix_text_len or 0) - known))
        elif reply.earlier_meta is not None:
            before = trace_tokens(reply.earlier_meta) or []
        try:
            return encode_trace([*before, *reply.tokens])
        except (ValueError, OverflowError) as exc:  # a token the stored form cannot hold: the reply is kept
            log.warning("token data not saved: %s", exc)
            return None
