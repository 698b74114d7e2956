"""A small loopback server that scripts what real OpenAI-compatible servers do wrong.

Each scenario is a path prefix: base URL ``http://127.0.0.1:PORT/<scenario>/v1``. Starlette app under uvicorn on a
thread, bound to 127.0.0.1 only; it stops when the fixture ends and, whatever happens, after ``max_life_s``.

Scenarios: ``ok`` (streams "Hello", " world", "!" with logprobs when asked, then usage), ``auth`` (401 unless the
bearer is :data:`SECRET`; its message echoes the key, as some servers do), ``nomodels`` (no /models route),
``ratelimit`` (429 with Retry-After), ``busy`` (503), ``cut`` (the stream ends without a finish), ``slow`` (one
piece, then silence), ``malformed`` (a chunk that is not JSON), ``ignores_topk`` (accepts top_k and ignores it,
honours min_p), ``refuses_topk`` (422 naming top_k, like ``transformers serve``), ``endless`` (a piece every 20 ms
until the client goes; records when it noticed), ``stop_echo`` (includes the stop text, as some servers do).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SECRET = "sk-test-0123456789abcdef"
MODEL = "fake-model"
PIECES = ["Hello", " world", "!"]
GREEDY = "alpha beta gamma"


def _chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None, usage: Any = None) -> str:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    body: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "model": MODEL, "choices": [choice]}
    if usage is not None:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n"


def _lp(piece: str) -> dict[str, Any]:
    return {"content": [{"token": piece, "logprob": -0.5, "bytes": list(piece.encode()),
                         "top_logprobs": [{"token": piece, "logprob": -0.5}, {"token": "x", "logprob": -1.5}]}]}


class FakeServer:
    """The scripted server; ``state`` records what it saw (requests, disconnects)."""

    def __init__(self, max_life_s: float = 120.0) -> None:
        self.state: dict[str, Any] = {"requests": [], "closed_at": None, "last_headers": {}}
        app = Starlette(routes=[Route("/{scenario}/v1/models", self.models),
                                Route("/{scenario}/v1/chat/completions", self.chat, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.max_life_s = max_life_s
        self.port = 0

    def __enter__(self) -> FakeServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        threading.Timer(self.max_life_s, self.stop).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.thread.join(timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True

    def url(self, scenario: str) -> str:
        return f"http://127.0.0.1:{self.port}/{scenario}/v1"

    # -- routes -------------------------------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        scenario = request.path_params["scenario"]
        if scenario == "nomodels":
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if scenario == "auth" and request.headers.get("authorization") != f"Bearer {SECRET}":
            got = request.headers.get("authorization", "")
            return JSONResponse({"error": {"message": f"Incorrect API key provided: {got[7:]}"}}, status_code=401)
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "fake"}]})

    async def chat(self, request: Request) -> Response:
        scenario = request.path_params["scenario"]
        body = await request.json()
        self.state["requests"].append(body)
        self.state["last_headers"] = dict(request.headers)
        if scenario == "auth" and request.headers.get("authorization") != f"Bearer {SECRET}":
            return JSONResponse({"error": {"message": "Incorrect API key provided."}}, status_code=401)
        if scenario == "ratelimit":
            return JSONResponse({"error": {"message": "Rate limit reached for requests"}}, status_code=429,
                                headers={"Retry-After": "7"})
        if scenario == "busy":
            return JSONResponse({"detail": "Model is still loading"}, status_code=503)
        if scenario == "refuses_topk" and "top_k" in body:
            return JSONResponse({"detail": "Unexpected fields in the request: {'top_k'}"}, status_code=422)
        if scenario == "ignores_topk" and not body.get("stream"):
            if body.get("temperature", 0) == 0 or body.get("min_p") == 1.0:
                text = GREEDY
            else:
                rng = random.Random(body.get("seed"))
                text = " ".join(rng.choice(["red", "green", "blue", "cyan", "teal"]) for _ in range(3))
            return JSONResponse({"id": "c", "object": "chat.completion", "model": MODEL, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        if not body.get("stream"):
            return JSONResponse({"id": "c", "object": "chat.completion", "model": MODEL, "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "".join(PIECES)}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        return StreamingResponse(self._stream(scenario, body), media_type="text/event-stream")

    async def _stream(self, scenario: str, body: dict[str, Any]) -> AsyncIterator[str]:
        want_lp = bool(body.get("logprobs")) and scenario != "ignores_topk"  # ignores logprobs too
        yield _chunk({"role": "assistant"})
        try:
            if scenario == "endless":
                for i in range(1500):  # at most 30 s
                    yield _chunk({"content": f"w{i} "})
                    await asyncio.sleep(0.02)
                return
            if scenario == "malformed":
                yield _chunk({"content": "Hel"})
                yield "data: {not json\n\n"
                return
            if scenario == "stop_echo":
                for piece in ["one", " two", " END", " three"]:
                    yield _chunk({"content": piece})
                yield _chunk({}, finish="stop", usage={"prompt_tokens": 5, "completion_tokens": 3})
                yield "data: [DONE]\n\n"
                return
            for i, piece in enumerate(PIECES):
                yield _chunk({"content": piece}, logprobs=_lp(piece) if want_lp else None)
                if scenario == "cut" and i == 1:
                    return
                if scenario == "slow" and i == 0:
                    await asyncio.sleep(30)
            yield _chunk({}, finish="stop")
            if scenario != "ignores_topk":  # this one also sends no usage chunk
                usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
                yield f"data: {json.dumps({'id': 'c1', 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"
        finally:
            self.state["closed_at"] = time.monotonic()
