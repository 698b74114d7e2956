"""A remote engine: a server that speaks OpenAI's Chat Completions (vLLM, SGLang, llama.cpp's ``llama-server``,
Ollama, ``transformers serve``, ``llmdesk serve``) behind the same interface as the local
:class:`llmdesk.engine.session.ChatEngine`, so the window's worker does not know which kind it talks to.

HTTP goes through ``httpx`` and server-sent events through ``httpx-sse``; nothing here parses HTTP or SSE by hand.
No Qt, no torch.

Behaviour, in short:

- ``load`` checks the server (``GET /models``) and that the chosen model is there; every failure is an
  :class:`~llmdesk.engine.errors.EngineError` with a kind the window can act on ("unreachable", "unauthorized",
  "not_found", "model_missing", ...).
- ``chat`` streams (``stream: true`` with ``stream_options.include_usage``), sends stop sequences, max tokens,
  temperature, top-p and seed, and top-k, min-p and the repetition penalty as the extra fields vLLM and llama-server
  accept. A setting the server refuses (400/422 naming it) is dropped and the request retried once; a setting the
  connection-time check found ignored is reported. Either way the reply's ``GenerationStats.notes`` say so.
- Stop is immediate: a watcher shuts the socket down when the request's cancel event is set, so the reading thread
  returns at once and the server sees the client go (vLLM, SGLang and llama-server then abort the generation).
- A stream that sends nothing for ``stall_timeout_s`` (60 s) ends with an error; the text so far has already been
  handed to ``on_text`` and is kept by the caller.
- The API key is sent as a bearer token and never appears in an error message (messages are scrubbed of it).
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo, TokenInfo

CONNECT_TIMEOUT_S = 10.0
STALL_TIMEOUT_S = 60.0
TOP_ALTERNATIVES = 5
PROBE_TOKENS = 6
# Extra request fields (beyond OpenAI's own) that vLLM, SGLang and llama-server read; each maps a decoding setting.
EXTRA_FIELDS = ("top_k", "min_p", "repetition_penalty")


@dataclass(frozen=True)
class RemoteEndpoint:
    """One server and the model chosen on it.

    Attributes:
        name: the user's name for the server (shown in the window and recorded with each reply).
        base_url: the API root, normally ending in ``/v1`` (e.g. ``http://127.0.0.1:8000/v1``).
        model: the model id as ``GET /models`` lists it; empty to take the server's only (or first) model.
        api_key: sent as ``Authorization: Bearer``; never shown in ``repr``, logs or error messages.
        connect_timeout_s: seconds to wait for the TCP connection.
        stall_timeout_s: seconds a response may send nothing before it is given up.
    """

    name: str
    base_url: str
    model: str = ""
    api_key: str | None = field(default=None, repr=False)
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    stall_timeout_s: float = STALL_TIMEOUT_S

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def shown_url(self) -> str:
        """``root`` without any user:password part, for messages, stats and exports."""
        url = httpx.URL(self.root)
        return str(url.copy_with(username=None, password=None)) if url.userinfo else self.root


@dataclass(frozen=True)
class EndpointStatus:
    """The outcome of :func:`check_endpoint`.

    Attributes:
        ok: the server answered and the model is there.
        kind: "ok", "unreachable", "unauthorized", "not_found", "model_missing", "no_models" or "bad_response".
        message: one sentence for the user (with what to do next).
        models: the model ids the server lists (empty when it could not be asked).
    """

    ok: bool
    kind: str
    message: str
    models: tuple[str, ...] = ()


def _scrub(text: str, secret: str | None) -> str:
    """``text`` with the API key (if any) replaced by ``***``."""
    if secret:
        text = text.replace(secret, "***")
    return text


def _server_message(response: httpx.Response) -> str:
    """The server's own words from an error response: OpenAI's ``{"error": {"message"}}``, FastAPI's
    ``{"detail"}``, ``{"message"}`` or the plain text; at most 500 characters."""
    try:
        raw = response.read().decode("utf-8", "replace")
    except httpx.HTTPError:
        return ""
    text = raw.strip()
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            text = str(error["message"])
        elif isinstance(error, str):
            text = error
        elif body.get("detail") is not None:
            text = body["detail"] if isinstance(body["detail"], str) else json.dumps(body["detail"])
        elif body.get("message"):
            text = str(body["message"])
    return text[:500]


def _status_error(endpoint: RemoteEndpoint, response: httpx.Response, what: str) -> EngineError:
    """An EngineError for an HTTP error status, with the server's own message (key scrubbed)."""
    code = response.status_code
    said = _scrub(_server_message(response), endpoint.api_key)
    error = _status_error_for(endpoint, code, said, response.headers.get("retry-after"), what)
    error.server_message = said  # type: ignore[attr-defined]
    return error


def _status_error_for(endpoint: RemoteEndpoint, code: int, said: str, retry: str | None, what: str) -> EngineError:
    said_part = f": {said}" if said else ""
    where = f"{endpoint.name} ({endpoint.shown_url})"
    if code == 401:
        return EngineError("unauthorized", f"{where} refused the API key (401){said_part}.",
                           "Check the API key saved for this server.")
    if code == 403:
        return EngineError("unauthorized", f"{where} denied access (403){said_part}.",
                           "Check the API key and its permissions.")
    if code == 404:
        return EngineError("not_found", f"{where} has no {what} (404){said_part}.",
                           "Does the base URL end in /v1?")
    if code == 429:
        return EngineError("rate_limited", f"{where} is rate-limiting requests (429){said_part}.",
                           f"Try again in {retry} s." if retry else "Try again in a moment.")
    if code == 503:
        return EngineError("server_busy", f"{where} is unavailable (503){said_part}.",
                           "The server may still be loading its model or be overloaded; try again shortly.")
    if code in (400, 422):
        return EngineError("bad_request", f"{where} rejected the request ({code}){said_part}.")
    return EngineError("server_error", f"{where} answered {code}{said_part}.")


def _transport_error(endpoint: RemoteEndpoint, exc: Exception) -> EngineError:
    where = f"{endpoint.name} ({endpoint.shown_url})"
    if isinstance(exc, httpx.ConnectTimeout):
        return EngineError("unreachable", f"{where} did not accept a connection within "
                           f"{endpoint.connect_timeout_s:.0f} s.", "Is the server running, and is the address right?")
    if isinstance(exc, httpx.ConnectError):
        return EngineError("unreachable", f"{where} is unreachable: {_scrub(str(exc), endpoint.api_key)}.",
                           "Is the server running, and is the address right?")
    if isinstance(exc, httpx.TimeoutException):
        return EngineError("stalled", f"{where} sent nothing for {endpoint.stall_timeout_s:.0f} s.",
                           "The server may be overloaded; the text so far is kept.")
    return EngineError("unreachable", f"{where}: {type(exc).__name__}: {_scrub(str(exc), endpoint.api_key)}")


def _client(endpoint: RemoteEndpoint) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    # The read timeout is a backstop; the watcher ends a stalled stream first (and exactly at stall_timeout_s).
    timeout = httpx.Timeout(endpoint.stall_timeout_s + 5, connect=endpoint.connect_timeout_s)
    return httpx.Client(base_url=endpoint.root + "/", headers=headers, timeout=timeout, trust_env=False)


def list_models(endpoint: RemoteEndpoint) -> list[str]:
    """The model ids the server lists (``GET {base_url}/models``).

    Raises:
        EngineError: "unreachable", "unauthorized", "not_found" (hint: does the base URL end in /v1?),
            "bad_response" (not the OpenAI list shape), or another status error.
    """
    try:
        with _client(endpoint) as client:
            response = client.get("models")
            if response.status_code != 200:
                raise _status_error(endpoint, response, "model list at /models")
            try:
                body = response.json()
                return [str(m["id"]) for m in body["data"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise EngineError("bad_response", f"{endpoint.name} ({endpoint.shown_url}) answered /models with "
                                  "something that is not an OpenAI model list.",
                                  "Does the base URL end in /v1?") from exc
    except httpx.HTTPError as exc:
        raise _transport_error(endpoint, exc) from exc


def check_endpoint(endpoint: RemoteEndpoint) -> EndpointStatus:
    """Check a server and its model without raising: see :class:`EndpointStatus` for the outcomes."""
    try:
        models = tuple(list_models(endpoint))
    except EngineError as exc:
        return EndpointStatus(False, exc.kind, str(exc))
    if not models:
        return EndpointStatus(False, "no_models", f"{endpoint.name} lists no models.", models)
    if endpoint.model and endpoint.model not in models:
        shown = ", ".join(models[:8]) + (" ..." if len(models) > 8 else "")
        return EndpointStatus(False, "model_missing", f"{endpoint.name} does not serve '{endpoint.model}' "
                              f"(it serves: {shown}).", models)
    return EndpointStatus(True, "ok", f"{endpoint.name}: ready ({endpoint.model or models[0]}).", models)


class StopScanner:
    """Finds stop sequences in streamed text on our side, holding back any tail that could begin one.

    Servers differ (some include the stop text in the reply, some ignore ``stop``); scanning here makes the result
    the same everywhere. ``push`` returns the text that is safe to show; ``hit`` turns True at the first match.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.hit = False

    def push(self, text: str) -> str:
        if self.hit:
            return ""
        if not self.stops:
            return text
        self.pending += text
        found = [i for s in self.stops if (i := self.pending.find(s)) >= 0]
        if found:
            out, self.pending, self.hit = self.pending[:min(found)], "", True
            return out
        hold = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(self.pending)), hold, -1):
                if self.pending.endswith(s[:k]):
                    hold = k
                    break
        cut = len(self.pending) - hold
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out

    def flush(self) -> str:
        out, self.pending = ("" if self.hit else self.pending), ""
        return out


def request_body(endpoint: RemoteEndpoint, model: str, turns: Sequence[ChatTurn], decoding: DecodingSettings,
                 system_prompt: str, *, stream: bool = True, logprobs: bool = False,
                 continue_final: bool = False) -> dict[str, Any]:
    """The Chat Completions request for these turns and settings.

    Greedy decoding is ``temperature: 0`` (what vLLM, SGLang, llama-server and Ollama treat as greedy); sampling
    sends temperature, top_p and seed, plus top_k / min_p when they filter, and repetition_penalty when it is not
    1. ``max_tokens`` is ``decoding.max_new_tokens``.
    """
    messages: list[dict[str, str]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages += [{"role": t.role, "content": t.content} for t in turns]
    body: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": decoding.max_new_tokens,
                            "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    if decoding.stop_sequences:
        body["stop"] = list(decoding.stop_sequences)
    if decoding.do_sample:
        body["temperature"] = decoding.temperature
        body["top_p"] = decoding.top_p
        if decoding.seed is not None:
            body["seed"] = decoding.seed
        if decoding.top_k:
            body["top_k"] = decoding.top_k
        if decoding.min_p:
            body["min_p"] = decoding.min_p
    else:
        body["temperature"] = 0.0
    if decoding.repetition_penalty != 1.0:
        body["repetition_penalty"] = decoding.repetition_penalty
    if logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = TOP_ALTERNATIVES
    if continue_final:  # vLLM and SGLang: continue the last assistant message instead of starting a new one
        body["continue_final_message"] = True
        body["add_generation_prompt"] = False
    return body


def _token_info(entry: Mapping[str, Any]) -> TokenInfo:
    """A TokenInfo from one ``logprobs.content`` entry. The API gives no token ids: ``token_id`` is -1 and the top
    alternatives carry -1 too; probabilities are ``exp(logprob)``."""
    top = tuple((-1, str(t.get("token", "")), math.exp(float(t["logprob"])))
                for t in entry.get("top_logprobs") or () if t.get("logprob") is not None)
    logprob = entry.get("logprob")
    return TokenInfo(-1, str(entry.get("token", "")), float(logprob) if logprob is not None else math.nan, top)


class _Watcher:
    """Ends a response from another thread when the request is cancelled or the stream stalls: it shuts the socket
    down, which wakes the reading thread at once (closing alone would not) and tells the server the client left."""

    def __init__(self, cancel: threading.Event, stall_s: float) -> None:
        self.cancel = cancel
        self.stall_s = stall_s
        self.last = time.monotonic()
        self.stalled = False
        self.aborted = False
        self._done = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, name="llmdesk-remote-watch", daemon=True)

    def __enter__(self) -> _Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=2)

    def attach(self, response: httpx.Response) -> None:
        self._response = response
        self.last = time.monotonic()

    def beat(self) -> None:
        self.last = time.monotonic()

    def abort(self) -> None:
        """Shut the connection down now (any thread)."""
        self.aborted = True
        response = self._response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self) -> None:
        while not self._done.wait(0.05):
            if self.cancel.is_set():
                self.abort()
                return
            if self._response is not None and time.monotonic() - self.last > self.stall_s:
                self.stalled = True
                self.abort()
                return


class RemoteEngine:
    """A chat engine backed by an OpenAI-compatible server. Same interface as ``ChatEngine`` (``info``, ``load``,
    ``unload``, ``chat``); one thread uses it, only ``cancel`` events cross threads.

    Args:
        endpoint: the server and model.
        probe: on ``load``, check with three short requests whether the server honours ``top_k`` and ``min_p``
            (see :meth:`probe_extras`), so a reply that sets them can say when they were ignored.
    """

    kind = "remote"

    def __init__(self, endpoint: RemoteEndpoint, *, probe: bool = True) -> None:
        self.endpoint = endpoint
        self.probe = probe
        self.info: ModelInfo | None = None
        self.model = endpoint.model
        self.extras: dict[str, str] = {}   # field -> "honoured", "ignored", "refused" or "unknown"

    @property
    def loaded(self) -> None:
        return None

    # -- EngineLike ---------------------------------------------------------------------------------------------
    def load(self, settings: ModelSettings | None = None, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> ModelInfo:
        """Connect: list the server's models and pick ours (``settings`` is not used; the endpoint names the model).

        Raises:
            EngineError: "unreachable", "unauthorized", "not_found", "model_missing", "no_models", "bad_response".
        """
        started = time.perf_counter()
        if progress is not None:
            progress(LoadProgress("resolve", message=f"Connecting to {self.endpoint.name} ({self.endpoint.shown_url})"))
        status = check_endpoint(self.endpoint)
        if not status.ok:
            raise EngineError(status.kind, status.message,
                              "Pick one of the listed models." if status.kind == "model_missing" else "")
        self.model = self.endpoint.model or status.models[0]
        if self.probe and not (cancel is not None and cancel.is_set()):
            if progress is not None:
                progress(LoadProgress("weights", message="Checking which sampling settings the server honours"))
            self.extras = self.probe_extras()
        self.info = ModelInfo(model_id=self.model, revision=None, device=f"remote: {self.endpoint.name}",
                              dtype="as served", architecture="remote", parameters=0, weight_bytes=0,
                              memory_bytes=0, context_window=0, load_seconds=time.perf_counter() - started)
        if progress is not None:
            progress(LoadProgress("ready", message=status.message))
        return self.info

    def unload(self) -> None:
        self.info = None

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: Callable[[str], None], cancel: threading.Event,
             on_token: Callable[[TokenInfo], None] | None = None, continue_final: bool = False,
             **_ignored: Any) -> GenerationStats:
        """Stream a reply from the server through ``on_text`` (on this thread).

        Extra keyword arguments that only the local engine uses (e.g. a KV-cache key) are accepted and ignored.

        Returns:
            GenerationStats with prompt and reply tokens from the server's usage chunk, time to first token
            (seconds from sending the request), decode tokens/s, stop reason, ``engine``/``server`` and ``notes``
            (settings the server refused or ignored, missing per-token data).

        Raises:
            EngineError: "no_model" before ``load``; "unreachable", "unauthorized", "not_found", "rate_limited"
                (429), "server_busy" (503), "bad_request", "server_error", "stalled" (nothing for 60 s),
                "stream_cut" (the stream ended without a finish), "bad_response" (a malformed chunk). The text
                handed to ``on_text`` before the error stays with the caller.
        """
        if self.info is None:
            raise EngineError("no_model", "Not connected to a server.", "Connect first.")
        notes: list[str] = []
        body = request_body(self.endpoint, self.model, turns, decoding, system_prompt,
                            logprobs=on_token is not None, continue_final=continue_final)
        for name in EXTRA_FIELDS:
            if name in body and self.extras.get(name) == "ignored":
                notes.append(f"{self.endpoint.name} ignores {name} (found when connecting): the reply was made "
                             f"without it.")
        stats = GenerationStats(engine="remote", server=f"{self.endpoint.name} ({self.endpoint.shown_url})")
        stats.seed = body.get("seed")
        token_data = usage_seen = False
        for attempt in range(2):
            try:
                token_data, usage_seen = self._stream(body, stats, on_text, on_token, cancel,
                                                      decoding.stop_sequences)
                break
            except EngineError as exc:
                refused = [k for k in (*EXTRA_FIELDS, "seed", "logprobs", "top_logprobs", "stream_options")
                           if k in body and k in str(exc)] if exc.kind == "bad_request" and attempt == 0 else []
                if not refused:
                    raise
                for k in refused:
                    body.pop(k, None)
                    if k == "logprobs":
                        body.pop("top_logprobs", None)
                said = getattr(exc, "server_message", "") or str(exc)
                notes.append(f"{self.endpoint.name} refused {', '.join(refused)} (it said: {said}); the reply was "
                             "made without it.")
                if "seed" in refused:
                    stats.seed = None
        if on_token is not None and "logprobs" in body and stats.new_tokens and not token_data:
            notes.append(f"{self.endpoint.name} sent no per-token data (logprobs).")
        if not usage_seen and stats.new_tokens:
            notes.append(f"{self.endpoint.name} sent no token counts; reply tokens are counted from the stream.")
        stats.notes = notes
        return stats

    # -- the stream ---------------------------------------------------------------------------------------------
    def _stream(self, body: dict[str, Any], stats: GenerationStats, on_text: Callable[[str], None],
                on_token: Callable[[TokenInfo], None] | None, cancel: threading.Event,
                stops: Sequence[str]) -> tuple[bool, bool]:
        """Run one streamed request into ``stats``; returns (per-token data seen, usage chunk seen)."""
        endpoint = self.endpoint
        scanner = StopScanner(stops)
        started = time.perf_counter()
        first_at: float | None = None
        last_at: float | None = None
        counted = 0
        finish: str | None = None
        server_stop: Any = None
        usage: Mapping[str, Any] | None = None
        token_data = False
        if cancel.is_set():
            stats.stop_reason = "cancelled"
            return False, False
        with _Watcher(cancel, endpoint.stall_timeout_s) as watcher, _client(endpoint) as client:
            try:
                with client.stream("POST", "chat/completions", json=body,
                                   headers={"Accept": "text/event-stream"}) as response:
                    watcher.attach(response)
                    if response.status_code != 200:
                        raise _status_error(endpoint, response, "chat endpoint at /chat/completions")
                    for event in EventSource(response).iter_sse():
                        watcher.beat()
                        if event.data.strip() == "[DONE]":
                            break
                        try:
                            chunk = json.loads(event.data)
                        except ValueError as exc:
                            raise EngineError("bad_response", f"{endpoint.name} sent a malformed chunk: "
                                              f"{_scrub(event.data[:120], endpoint.api_key)!r}.",
                                              "The text so far is kept.") from exc
                        if not isinstance(chunk, Mapping):
                            raise EngineError("bad_response", f"{endpoint.name} sent a chunk that is not an "
                                              "object.", "The text so far is kept.")
                        if chunk.get("error"):
                            error = chunk["error"]
                            said = error.get("message") if isinstance(error, Mapping) else str(error)
                            raise EngineError("server_error", f"{endpoint.name} reported an error mid-reply: "
                                              f"{_scrub(str(said), endpoint.api_key)[:500]}.",
                                              "The text so far is kept.")
                        if chunk.get("usage"):
                            usage = chunk["usage"]
                        for choice in chunk.get("choices") or ():
                            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                                continue
                            delta = choice.get("delta") or {}
                            piece = delta.get("content") or ""
                            entries = ((choice.get("logprobs") or {}).get("content") or ())
                            if piece or entries:
                                now = time.perf_counter()
                                first_at = first_at or now
                                last_at = now
                            if entries:
                                counted += len(entries)
                                token_data = True
                                if on_token is not None and not scanner.hit:
                                    for entry in entries:
                                        on_token(_token_info(entry))
                            elif piece:
                                counted += 1
                            if piece and not cancel.is_set():
                                shown = scanner.push(piece)
                                if shown:
                                    on_text(shown)
                            if choice.get("finish_reason"):
                                finish = choice["finish_reason"]
                                server_stop = choice.get("stop_reason")
                        if scanner.hit or cancel.is_set():
                            watcher.abort()  # we have what we need: the server stops when the client goes
                            break
                    else:
                        if finish is None and not watcher.aborted:
                            raise EngineError("stream_cut", f"{endpoint.name} closed the stream before the reply "
                                              "ended.", "The text so far is kept.")
            except EngineError:
                if cancel.is_set():
                    stats.stop_reason = "cancelled"
                else:
                    raise
            except (httpx.HTTPError, SSEError, OSError) as exc:
                if cancel.is_set():
                    stats.stop_reason = "cancelled"
                elif watcher.stalled:
                    raise EngineError("stalled", f"{endpoint.name} sent nothing for "
                                      f"{endpoint.stall_timeout_s:.0f} s; the reply was given up.",
                                      "The text so far is kept.") from exc
                elif isinstance(exc, SSEError):
                    raise EngineError("bad_response", f"{endpoint.name} did not answer with an event stream: "
                                      f"{exc}.") from exc
                elif first_at is not None and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
                    raise EngineError("stream_cut", f"{endpoint.name} closed the stream before the reply ended.",
                                      "The text so far is kept.") from exc
                else:
                    raise _transport_error(endpoint, exc) from exc
        if not scanner.hit and not cancel.is_set():
            rest = scanner.flush()
            if rest:
                on_text(rest)
        stats.total_s = time.perf_counter() - started
        if usage is not None:
            stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            stats.new_tokens = int(usage.get("completion_tokens") or 0)
        else:
            stats.new_tokens = counted
        if first_at is not None:
            stats.ttft_s = first_at - started
            if last_at is not None and stats.new_tokens > 1 and last_at > first_at:
                stats.decode_tokens_per_s = (stats.new_tokens - 1) / (last_at - first_at)
        if cancel.is_set():
            stats.stop_reason = "cancelled"
        elif scanner.hit or (isinstance(server_stop, str) and server_stop in stops):
            stats.stop_reason = "stop_sequence"
        elif finish == "length":
            stats.stop_reason = "length"
        else:
            stats.stop_reason = "eos"
        return token_data, usage is not None

    # -- which extra fields the server honours -----------------------------------------------------------------
    def probe_extras(self) -> dict[str, str]:
        """Whether the server honours ``top_k`` and ``min_p``, found by behaviour, not by the server's word.

        With ``top_k: 1`` (or ``min_p: 1``) sampling at temperature 2 can only pick the most likely token, so two
        seeded replies must equal the greedy one; a server that ignores the field samples freely and (almost
        always) differs. A 400/422 naming the field means "refused". A very confident model could make an ignored
        field look honoured; the reverse cannot happen. Costs three short requests per field.

        Returns:
            ``{"top_k": "honoured" | "ignored" | "refused" | "unknown", "min_p": ...}``.
        """
        prompt = [ChatTurn("user", "Write five unrelated random words.")]
        greedy_settings = DecodingSettings(max_new_tokens=PROBE_TOKENS)
        try:
            greedy = self._complete(request_body(self.endpoint, self.model, prompt, greedy_settings, "",
                                                 stream=False))
        except EngineError:
            return {name: "unknown" for name in ("top_k", "min_p")}
        out: dict[str, str] = {}
        for name, value in (("top_k", 1), ("min_p", 1.0)):
            verdict = "honoured"
            for seed in (1, 2):
                body = request_body(self.endpoint, self.model, prompt, greedy_settings, "", stream=False)
                body.update(temperature=2.0, seed=seed, **{name: value})
                try:
                    text = self._complete(body)
                except EngineError as exc:
                    verdict = "refused" if exc.kind == "bad_request" and name in str(exc) else "unknown"
                    break
                if text != greedy:
                    verdict = "ignored"
                    break
            out[name] = verdict
        return out

    def _complete(self, body: dict[str, Any]) -> str:
        """One non-streamed request; the reply text."""
        try:
            with _client(self.endpoint) as client:
                response = client.post("chat/completions", json=body)
                if response.status_code != 200:
                    raise _status_error(self.endpoint, response, "chat endpoint at /chat/completions")
                try:
                    return str(response.json()["choices"][0]["message"]["content"] or "")
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    raise EngineError("bad_response", f"{self.endpoint.name} answered with something that is "
                                      "not a chat completion.") from exc
        except httpx.HTTPError as exc:
            raise _transport_error(self.endpoint, exc) from exc


def bench_remote(engine: RemoteEngine, *, new_tokens: int = 32, repeats: int = 3) -> dict[str, Any]:
    """Time to first token and decode speed of a connected remote engine: ``repeats`` greedy replies of up to
    ``new_tokens`` to a fixed prompt; medians (seconds, tokens/s) and each run's figures."""
    import statistics

    prompt = [ChatTurn("user", "Write a long story about a lighthouse keeper.")]
    runs: list[GenerationStats] = []
    for _ in range(repeats):
        runs.append(engine.chat(prompt, DecodingSettings(max_new_tokens=new_tokens), "", on_text=lambda s: None,
                                cancel=threading.Event()))
    rates = [r.decode_tokens_per_s for r in runs if r.decode_tokens_per_s]
    ttfts = [r.ttft_s for r in runs if r.ttft_s is not None]
    return {"server": engine.endpoint.name, "base_url": engine.endpoint.shown_url, "model": engine.model,
            "new_tokens": new_tokens, "repeats": repeats,
            "ttft_s": statistics.median(ttfts) if ttfts else None,
            "decode_tokens_per_s": statistics.median(rates) if rates else None,
            "runs": [{"ttft_s": r.ttft_s, "decode_tokens_per_s": r.decode_tokens_per_s, "new_tokens": r.new_tokens,
                      "prompt_tokens": r.prompt_tokens} for r in runs]}
