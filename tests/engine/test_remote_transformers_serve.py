"""The remote engine against a real third-party server: ``transformers serve`` on 127.0.0.1 with the tiny model.

The server is started by the test under ``timeout`` (it ends by itself even if the test process dies) and stopped
at the end of the module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine.remote import RemoteEndpoint, RemoteEngine, request_body
from llmdesk.engine.types import ChatTurn

pytestmark = pytest.mark.slow
SERVER_LIFE_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def transformers_server(tiny_model_dir: Path) -> Iterator[str]:
    cli = shutil.which("transformers")
    if cli is None:
        pytest.skip('transformers serve is not installed (pip install "transformers[serving]")')
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(["timeout", str(SERVER_LIFE_S), cli, "serve", str(tiny_model_dir), "--host",
                             "127.0.0.1", "--port", str(port), "--device", "cpu"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("transformers serve did not start within 120 s")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_greedy_reply_equals_the_servers_own_non_streamed_reply(transformers_server: str,
                                                               tiny_model_dir: Path) -> None:
    model = str(tiny_model_dir)
    endpoint = RemoteEndpoint("transformers serve", transformers_server, model)
    engine = RemoteEngine(endpoint)
    info = engine.load()
    assert info.model_id == model and info.device == "remote: transformers serve"
    assert engine.extras["top_k"] == "refused"  # it answers 422 "Unexpected fields in the request: {'top_k'}"

    turns = [ChatTurn("user", "Tell me about the quick brown fox.")]
    decoding = DecodingSettings(max_new_tokens=12)
    pieces: list[str] = []
    stats = engine.chat(turns, decoding, "You are terse.", on_text=pieces.append, cancel=threading.Event())

    own = httpx.post(f"{transformers_server}/chat/completions", timeout=60,
                     json=request_body(endpoint, model, turns, decoding, "You are terse.", stream=False)).json()
    assert "".join(pieces) == own["choices"][0]["message"]["content"]
    assert "".join(pieces)
    assert stats.new_tokens == own["usage"]["completion_tokens"] == 12
    assert stats.stop_reason == "length" and stats.ttft_s is not None
    assert stats.engine == "remote" and "transformers serve" in (stats.server or "")


def test_refused_top_k_is_reported_and_the_reply_still_comes(transformers_server: str, tiny_model_dir: Path) -> None:
    engine = RemoteEngine(RemoteEndpoint("ts", transformers_server, str(tiny_model_dir)), probe=False)
    engine.load()
    pieces: list[str] = []
    tokens: list = []
    stats = engine.chat([ChatTurn("user", "Hi")], DecodingSettings(do_sample=True, top_k=5, seed=3,
                                                                   max_new_tokens=5),
                        "", on_text=pieces.append, cancel=threading.Event(), on_token=tokens.append)
    assert pieces and stats.new_tokens == 5
    assert any("refused top_k" in note for note in stats.notes), stats.notes
    # it accepts logprobs but sends none: the reply says so instead of showing empty per-token data
    assert tokens == [] and any("no per-token data" in note for note in stats.notes), stats.notes
