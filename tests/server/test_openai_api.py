"""``llmdesk serve``'s API with the official ``openai`` client, on the tiny model; its security rules; and the round
trip: llmdesk's remote engine against llmdesk serve gives the same greedy reply as the local engine (``llmdesk ask``'s
path)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.remote import RemoteEndpoint, RemoteEngine
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.types import ChatTurn, GenerationStats
from llmdesk.server.openai_api import ServeConfig, ServeConfigError, is_loopback
from llmdesk.server.runner import EngineRunner, GenerationJob
from llmdesk.server.serve import ApiServer

MODEL = "tiny"
KEY = "sk-serve-test-key"


@pytest.fixture(scope="module")
def engine(tiny_model_dir: Path) -> Iterator[ChatEngine]:
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    yield eng
    eng.unload()


class _CountingEngine:
    """The real engine, with a record of how many chats run at once (to show that requests queue)."""

    def __init__(self, engine: ChatEngine) -> None:
        self.engine = engine
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def chat(self, *args, **kwargs) -> GenerationStats:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return self.engine.chat(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture(scope="module")
def served(engine: ChatEngine) -> Iterator[tuple[str, _CountingEngine, EngineRunner]]:
    counting = _CountingEngine(engine)
    runner = EngineRunner(counting, MODEL)
    server = ApiServer(runner, ServeConfig(port=0))
    url = server.start()
    try:
        yield url, counting, runner
    finally:
        server.stop()
        runner.close()


@pytest.fixture
def client(served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served[0], api_key="unused", max_retries=0, timeout=60)


MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."}]


def _local_greedy(engine: ChatEngine, n: int, **decoding) -> tuple[str, GenerationStats]:
    pieces: list[str] = []
    stats = engine.chat([ChatTurn("user", "Name a colour.")], DecodingSettings(max_new_tokens=n, **decoding),
                        "You are terse.", on_text=pieces.append, cancel=threading.Event())
    return "".join(pieces), stats


def test_models_lists_the_served_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]


def test_non_streamed_greedy_equals_the_local_engine(client: openai.OpenAI, engine: ChatEngine) -> None:
    reply = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=10, temperature=0)
    text, stats = _local_greedy(engine, 10)
    assert reply.choices[0].message.content == text and text
    assert reply.choices[0].finish_reason == ("length" if stats.stop_reason == "length" else "stop")
    assert reply.usage.completion_tokens == stats.new_tokens
    assert reply.usage.prompt_tokens == stats.prompt_tokens


def test_streamed_with_usage_and_logprobs(client: openai.OpenAI, engine: ChatEngine) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=8, temperature=0,
                                            stream=True, stream_options={"include_usage": True}, logprobs=True,
                                            top_logprobs=3)
    text, entries, usage, finish = [], [], None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            if choice.logprobs is not None and choice.logprobs.content:
                entries += choice.logprobs.content
            finish = choice.finish_reason or finish
    local, stats = _local_greedy(engine, 8)
    assert "".join(text) == local
    assert usage is not None and usage.completion_tokens == stats.new_tokens == len(entries)
    assert finish in ("length", "stop")
    first = entries[0]
    assert len(first.top_logprobs) == 3 and first.logprob <= 0
    assert first.top_logprobs[0].logprob >= first.top_logprobs[1].logprob
    assert abs(first.top_logprobs[0].logprob - first.logprob) < 1e-4  # greedy picks the most likely token


def test_stop_sequence(client: openai.OpenAI, engine: ChatEngine) -> None:
    full, _ = _local_greedy(engine, 12)
    stop = full[len(full) // 2:len(full) // 2 + 2]
    assert stop.strip(), full
    reply = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=12, temperature=0, stop=[stop])
    assert reply.choices[0].message.content == full[:full.find(stop)]
    assert reply.choices[0].finish_reason == "stop"


def test_seeded_sampling_is_reproducible(client: openai.OpenAI) -> None:
    texts = {client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=6, temperature=1.0,
                                            top_p=0.9, seed=11).choices[0].message.content for _ in range(2)}
    assert len(texts) == 1


def test_bad_requests_name_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="max_tokens"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=100_000)
    with pytest.raises(openai.BadRequestError, match="frequency_penalty"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, frequency_penalty=0.5)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="other", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError, match="top_p"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=1.0, top_p=7.0)


def test_oversized_body_is_refused(served) -> None:
    big = {"model": MODEL, "messages": [{"role": "user", "content": "x" * (2 << 20)}]}
    response = httpx.post(f"{served[0]}/chat/completions", json=big, timeout=30)
    assert response.status_code == 413


def test_requests_queue_one_at_a_time(served, client: openai.OpenAI) -> None:
    _, counting, _ = served
    counting.most = 0
    results: list[str] = []

    def ask() -> None:
        results.append(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=8,
                                                      temperature=0).choices[0].message.content)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and len(set(results)) == 1
    assert counting.most == 1


def test_client_that_disconnects_cancels_its_generation(served, engine: ChatEngine) -> None:
    url, counting, runner = served
    seen: list[GenerationStats | None] = []
    original = counting.chat

    def recording_chat(*args, **kwargs):
        stats = original(*args, **kwargs)
        seen.append(stats)
        return stats

    counting.chat = recording_chat  # type: ignore[method-assign]
    try:
        body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 400, "temperature": 0, "stream": True}
        with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=30) as response:
            for _ in response.iter_lines():
                break  # first event read, then the client goes
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        counting.chat = original  # type: ignore[method-assign]
    assert seen and seen[0].stop_reason == "cancelled" and seen[0].new_tokens < 400


def test_queued_job_cancelled_before_it_runs_never_reaches_the_model(engine: ChatEngine) -> None:
    counting = _CountingEngine(engine)
    runner = EngineRunner(counting, MODEL)
    done: list[tuple] = []
    job = GenerationJob((ChatTurn("user", "hi"),), DecodingSettings(max_new_tokens=4), "", on_text=print,
                        on_done=lambda s, e: done.append((s, e)))
    job.cancel.set()
    runner.submit(job)
    runner.close()
    assert done and done[0][0].stop_reason == "cancelled" and counting.most == 0


# -- security --------------------------------------------------------------------------------------------------

def test_other_interfaces_need_an_api_key() -> None:
    with pytest.raises(ServeConfigError, match="needs an API key"):
        ServeConfig(host="0.0.0.0")
    assert ServeConfig(host="0.0.0.0", api_key=KEY).host == "0.0.0.0"
    assert ServeConfig().host == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_host_header_is_checked(served) -> None:
    url = served[0]
    assert httpx.get(f"{url}/models").status_code == 200
    assert httpx.get(f"{url}/models", headers={"Host": "localhost"}).status_code == 200
    rebound = httpx.get(f"{url}/models", headers={"Host": "attacker.example:8765"})
    assert rebound.status_code == 400


def test_cross_origin_refused_unless_configured(served, engine: ChatEngine) -> None:
    url = served[0]
    refused = httpx.get(f"{url}/models", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "Cross-origin" in refused.text
    form = httpx.post(f"{url}/chat/completions", content=b'{"model": "tiny"}', headers={"Content-Type": "text/plain"})
    assert form.status_code == 415  # a "simple" cross-site form post cannot reach the model
    runner = EngineRunner(engine, MODEL)
    server = ApiServer(runner, ServeConfig(port=0, cors_origins=("http://localhost:3000",)))
    other = server.start()
    try:
        ok = httpx.get(f"{other}/models", headers={"Origin": "http://localhost:3000"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert httpx.get(f"{other}/models", headers={"Origin": "http://evil.example"}).status_code == 403
    finally:
        server.stop()
        runner.close()


def test_api_key_is_required_when_set(engine: ChatEngine) -> None:
    runner = EngineRunner(engine, MODEL)
    server = ApiServer(runner, ServeConfig(port=0, api_key=KEY))
    url = server.start()
    try:
        assert httpx.get(f"{url}/models").status_code == 401
        assert httpx.get(f"{url}/models", headers={"Authorization": "Bearer nope"}).status_code == 401
        good = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0)
        assert [m.id for m in good.models.list()] == [MODEL]
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
    finally:
        server.stop()
        runner.close()


# -- round trip --------------------------------------------------------------------------------------------------

def test_remote_engine_against_llmdesk_serve_equals_the_local_engine(served, engine: ChatEngine) -> None:
    remote = RemoteEngine(RemoteEndpoint("self", served[0], MODEL))
    remote.load()
    assert remote.extras == {"top_k": "honoured", "min_p": "honoured"}
    pieces: list[str] = []
    tokens: list = []
    stats = remote.chat([ChatTurn("user", "Name a colour.")], DecodingSettings(max_new_tokens=10),
                        "You are terse.", on_text=pieces.append, cancel=threading.Event(), on_token=tokens.append)
    local, local_stats = _local_greedy(engine, 10)
    assert "".join(pieces) == local
    assert stats.new_tokens == local_stats.new_tokens == len(tokens)
    assert stats.prompt_tokens == local_stats.prompt_tokens
    assert stats.notes == []
