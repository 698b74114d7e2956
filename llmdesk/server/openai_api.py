"""llmdesk's own OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed and not).

A Starlette app (run under uvicorn by ``llmdesk serve`` and by the window's switch). Requests become
:class:`~llmdesk.server.runner.GenerationJob` s for one model thread (a :class:`~llmdesk.server.runner.Runner`); they
queue there, so only one runs on the model at a time. Supported request fields: model, messages, max_tokens /
max_completion_tokens, temperature (0: greedy), top_p, seed, stop, logprobs, top_logprobs, stream,
stream_options.include_usage, and the extras top_k, min_p, repetition_penalty. Any other field is refused with a
400 that names it (never silently dropped).

Security: the caller binds to 127.0.0.1 unless the user asks otherwise (see :class:`ServeConfig`); the Host header
must name this server (DNS rebinding); requests carrying an Origin header are refused unless that origin is
configured (and then CORS headers are sent); bodies must be JSON and at most ``max_body_bytes``; with an API key
set, every request needs ``Authorization: Bearer <key>``. A client that disconnects cancels its generation, queued
or running. No Qt, no torch at import time.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llmdesk.core.settings import DecodingSettings, SettingsError, replace_decoding
from llmdesk.engine.types import ChatTurn, GenerationStats, TokenInfo
from llmdesk.server.runner import GenerationJob, Runner

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
MAX_TOKENS_LIMIT = 4096
DEFAULT_MAX_TOKENS = 512
MAX_STOP = 8
MAX_TOP_LOGPROBS = 5
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ACCEPTED = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
            "logprobs", "top_logprobs", "stream", "stream_options", "top_k", "min_p", "repetition_penalty", "n",
            "user"}


class ServeConfigError(ValueError):
    """A server setting that is not allowed (e.g. another interface without an API key)."""


@dataclass(frozen=True)
class ServeConfig:
    """How the API server is reachable.

    Attributes:
        host: the interface to bind; 127.0.0.1 by default. Anything that is not loopback needs ``api_key``.
        port: the TCP port (0: any free one).
        api_key: when set, required as a bearer token on every request.
        allowed_hosts: extra names the Host header may carry (the bound address and the loopback names always
            may).
        cors_origins: browser origins allowed to call the API; none by default (requests with another Origin are
            refused with 403).
        max_body_bytes: the largest request body accepted (413 beyond).
        max_tokens_limit: the largest ``max_tokens`` accepted (400 beyond).
    """

    host: str = "127.0.0.1"
    port: int = 8765
    api_key: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    max_tokens_limit: int = MAX_TOKENS_LIMIT

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.api_key:
            raise ServeConfigError(f"Serving on {self.host} (not this machine only) needs an API key: set one, or "
                                   "bind 127.0.0.1.")
        if not 0 <= self.port <= 65535:
            raise ServeConfigError(f"port must be 0 to 65535, got {self.port}")

    def host_names(self) -> list[str]:
        names = [*LOOPBACK_NAMES, *self.allowed_hosts]
        if self.host not in ("0.0.0.0", "::"):
            names.append(self.host)
        return sorted({n.strip("[]").lower() for n in names})


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ApiError(Exception):
    """A request error answered in OpenAI's error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code

    def response(self) -> JSONResponse:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return JSONResponse({"error": {"message": str(self), "type": kind, "param": self.param, "code": self.code}},
                            status_code=self.status)


@dataclass
class ParsedRequest:
    model: str
    turns: tuple[ChatTurn, ...]
    system_prompt: str
    decoding: DecodingSettings
    stream: bool
    include_usage: bool
    logprobs: bool
    top_logprobs: int


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ApiError(400, f"messages[{index}].content: only text parts are supported",
                               f"messages[{index}].content")
            parts.append(part["text"])
        return "".join(parts)
    raise ApiError(400, f"messages[{index}].content must be a string or a list of text parts",
                   f"messages[{index}].content")


def parse_request(body: Any, config: ServeConfig, model_ids: Sequence[str]) -> ParsedRequest:
    """Check a Chat Completions request and turn it into turns and decoding settings.

    Raises:
        ApiError: 400 naming the field that is missing, wrong or out of range; 404 for an unknown model.
    """
    if not isinstance(body, Mapping):
        raise ApiError(400, "The request body must be a JSON object.")
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise ApiError(400, f"Unsupported field(s): {', '.join(unknown)}. llmdesk serve does not ignore settings "
                       "silently; leave them out.", unknown[0])
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "model is required (see GET /v1/models)", "model")
    if model not in model_ids:
        raise ApiError(404, f"The model '{model}' does not exist here; this server has: {', '.join(model_ids)}",
                       "model", "model_not_found")
    if body.get("n", 1) != 1:
        raise ApiError(400, "n must be 1", "n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list", "messages")
    system: list[str] = []
    turns: list[ChatTurn] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ApiError(400, f"messages[{i}] must be an object", f"messages[{i}]")
        role = message.get("role")
        text = _text(message.get("content"), i)
        if role in ("system", "developer") and not turns:
            system.append(text)
        elif role in ("system", "user", "assistant"):
            turns.append(ChatTurn(str(role), text))
        else:
            raise ApiError(400, f"messages[{i}].role must be system, developer, user or assistant, not {role!r}",
                           f"messages[{i}].role")
    if not turns:
        raise ApiError(400, "messages needs at least one user message", "messages")

    max_tokens = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= \
            config.max_tokens_limit:
        raise ApiError(400, f"max_tokens must be an integer from 1 to {config.max_tokens_limit}", "max_tokens")
    stop = body.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > MAX_STOP or not all(isinstance(s, str) for s in stop):
        raise ApiError(400, f"stop must be a string or a list of at most {MAX_STOP} strings", "stop")
    temperature = body.get("temperature", 1.0)
    if temperature is None:
        temperature = 1.0
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0 <= temperature <= 5:
        raise ApiError(400, "temperature must be a number from 0 to 5", "temperature")
    changes: dict[str, Any] = {"max_new_tokens": max_tokens, "stop_sequences": stop, "do_sample": temperature > 0,
                               "top_k": 0, "top_p": 1.0, "min_p": 0.0, "repetition_penalty": 1.0, "seed": None}
    if temperature > 0:
        changes["temperature"] = float(temperature)
    for name in ("top_p", "seed", "top_k", "min_p", "repetition_penalty"):
        if body.get(name) is not None:
            changes[name] = body[name]
    try:
        decoding = replace_decoding(DecodingSettings(), **changes)
    except SettingsError as exc:
        raise ApiError(400, str(exc), exc.field) from exc
    logprobs = bool(body.get("logprobs", False))
    top_logprobs = body.get("top_logprobs") or 0
    if not isinstance(top_logprobs, int) or not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
        raise ApiError(400, f"top_logprobs must be an integer from 0 to {MAX_TOP_LOGPROBS}", "top_logprobs")
    if top_logprobs and not logprobs:
        raise ApiError(400, "top_logprobs needs logprobs: true", "top_logprobs")
    options = body.get("stream_options") or {}
    if not isinstance(options, Mapping):
        raise ApiError(400, "stream_options must be an object", "stream_options")
    return ParsedRequest(model=model, turns=tuple(turns), system_prompt="\n\n".join(system), decoding=decoding,
                         stream=bool(body.get("stream", False)), include_usage=bool(options.get("include_usage")),
                         logprobs=logprobs, top_logprobs=top_logprobs)


def _logprob_entry(info: TokenInfo, top: int) -> dict[str, Any]:
    return {"token": info.text, "logprob": info.logprob if math.isfinite(info.logprob) else -9999.0,
            "bytes": list(info.text.encode("utf-8")),
            "top_logprobs": [{"token": text, "logprob": math.log(p) if p > 0 else -9999.0,
                              "bytes": list(text.encode("utf-8"))} for _, text, p in info.top[:top]]}


def _finish_reason(stats: GenerationStats) -> str:
    return "length" if stats.stop_reason == "length" else "stop"


def _usage(stats: GenerationStats) -> dict[str, int]:
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.new_tokens,
            "total_tokens": stats.prompt_tokens + stats.new_tokens}


class _Bridge:
    """Carries a job's callbacks from the model thread into the event loop (as (kind, value) items)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(self, kind: str, value: Any) -> None:
        self.loop.call_soon_threadsafe(self.items.put_nowait, (kind, value))


def create_app(runner: Runner, config: ServeConfig | None = None) -> Starlette:
    """The ASGI app serving ``runner``'s model(s) under ``config``'s rules."""
    config = config or ServeConfig()
    origins = set(config.cors_origins)

    def check(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin is not None and origin not in origins:
            raise ApiError(403, f"Cross-origin requests from {origin} are not allowed (start the server with "
                           "--cors-origin to allow one).")
        if config.api_key:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {config.api_key}".encode()):
                raise ApiError(401, "A valid API key is required (Authorization: Bearer ...).",
                               code="invalid_api_key")

    async def models(request: Request) -> Response:
        try:
            check(request)
        except ApiError as exc:
            return exc.response()
        return JSONResponse({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "llmdesk"} for m in runner.model_ids]})

    async def read_body(request: Request) -> Any:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "The request body must be JSON (Content-Type: application/json).")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_body_bytes:
            raise ApiError(413, f"The request body is larger than {config.max_body_bytes} bytes.")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > config.max_body_bytes:
                raise ApiError(413, f"The request body is larger than {config.max_body_bytes} bytes.")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ApiError(400, f"The request body is not valid JSON: {exc}") from exc

    async def chat(request: Request) -> Response:
        try:
            check(request)
            parsed = parse_request(await read_body(request), config, runner.model_ids)
        except ApiError as exc:
            return exc.response()
        loop = asyncio.get_running_loop()
        bridge = _Bridge(loop)
        cancel = threading.Event()
        job = GenerationJob(
            turns=parsed.turns, decoding=parsed.decoding, system_prompt=parsed.system_prompt,
            on_text=lambda piece: bridge.put("text", piece),
            on_token=(lambda info: bridge.put("token", info)) if parsed.logprobs else None,
            on_done=lambda stats, error: bridge.put("done", (stats, error)), cancel=cancel)

        async def watch_disconnect() -> None:
            while True:
                message = await request.receive()
                if message["type"] == "http.disconnect":
                    cancel.set()
                    return

        watcher = asyncio.create_task(watch_disconnect())
        runner.submit(job)
        rid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if parsed.stream:
            return StreamingResponse(_stream(parsed, bridge, cancel, watcher, rid, created),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            text: list[str] = []
            tokens: list[dict[str, Any]] = []
            while True:
                kind, value = await bridge.items.get()
                if kind == "text":
                    text.append(value)
                elif kind == "token":
                    tokens.append(_logprob_entry(value, parsed.top_logprobs))
                else:
                    stats, error = value
                    break
        except BaseException:
            cancel.set()  # the handler was cancelled (server stopping): stop the generation too
            raise
        finally:
            watcher.cancel()
        if error is not None or stats is None:
            return ApiError(500, f"Generation failed: {error}").response()
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": "".join(text)},
                                  "finish_reason": _finish_reason(stats),
                                  "logprobs": {"content": tokens} if parsed.logprobs else None}
        return JSONResponse({"id": rid, "object": "chat.completion", "created": created, "model": parsed.model,
                             "choices": [choice], "usage": _usage(stats)})

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=config.host_names())]
    if origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=sorted(origins), allow_methods=["GET", "POST"],
                                     allow_headers=["authorization", "content-type"]))
    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])],
                     middleware=middleware)


def _sse(data: Mapping[str, Any] | str) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n"


async def _stream(parsed: ParsedRequest, bridge: _Bridge, cancel: threading.Event, watcher: asyncio.Task[None],
                  rid: str, created: int) -> AsyncIterator[str]:
    """The server-sent events of one streamed reply; a client that goes away cancels the job (``finally``)."""
    def chunk(delta: Mapping[str, Any], finish: str | None = None, tokens: list[dict[str, Any]] | None = None
              ) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
        if parsed.logprobs:
            choice["logprobs"] = {"content": tokens} if tokens else None
        return {"id": rid, "object": "chat.completion.chunk", "created": created, "model": parsed.model,
                "choices": [choice]}

    done = False
    try:
        yield _sse(chunk({"role": "assistant", "content": ""}))
        pending: list[dict[str, Any]] = []
        while True:
            kind, value = await bridge.items.get()
            if kind == "token":
                pending.append(_logprob_entry(value, parsed.top_logprobs))
                continue
            if kind == "text":
                yield _sse(chunk({"content": value}, tokens=pending))
                pending = []
                continue
            stats, error = value
            done = True
            if error is not None or stats is None:
                yield _sse({"error": {"message": f"Generation failed: {error}", "type": "server_error"}})
                return
            yield _sse(chunk({}, _finish_reason(stats), tokens=pending))
            if parsed.include_usage:
                yield _sse({"id": rid, "object": "chat.completion.chunk", "created": created, "model": parsed.model,
                            "choices": [], "usage": _usage(stats)})
            yield _sse("[DONE]")
            return
    finally:
        if not done:
            cancel.set()  # the client went away (or the server is stopping): stop the generation
        watcher.cancel()
