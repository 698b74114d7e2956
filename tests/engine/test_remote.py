"""The remote engine against a loopback fake that scripts what real servers do wrong (tests/support/fake_openai.py).

The real third-party server (``transformers serve``) is in test_remote_transformers_serve.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.remote import RemoteEndpoint, RemoteEngine, StopScanner, check_endpoint, list_models
from llmdesk.engine.types import ChatTurn, TokenInfo
from tests.support.fake_openai import GREEDY, MODEL, SECRET, FakeServer

TURNS = [ChatTurn("user", "Hi")]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def _engine(fake: FakeServer, scenario: str, **kw) -> RemoteEngine:
    engine = RemoteEngine(RemoteEndpoint(scenario, fake.url(scenario), MODEL, **kw), probe=False)
    engine.load()
    return engine


def _chat(engine: RemoteEngine, decoding: DecodingSettings | None = None, **kw):
    pieces: list[str] = []
    tokens: list[TokenInfo] = []
    cancel = kw.pop("cancel", threading.Event())
    try:
        stats = engine.chat(TURNS, decoding or DecodingSettings(max_new_tokens=16), "Be brief.",
                            on_text=pieces.append, cancel=cancel, on_token=tokens.append, **kw)
    except EngineError as exc:
        return "".join(pieces), tokens, exc
    return "".join(pieces), tokens, stats


def test_streams_text_stats_and_per_token_data(fake: FakeServer) -> None:
    text, tokens, stats = _chat(_engine(fake, "ok"), cache_key="ignored-by-remote")
    assert text == "Hello world!"
    assert (stats.prompt_tokens, stats.new_tokens, stats.stop_reason) == (5, 3, "eos")
    assert stats.ttft_s is not None and stats.ttft_s > 0 and stats.decode_tokens_per_s is not None
    assert stats.engine == "remote" and stats.server == f"ok ({fake.url('ok')})"
    assert [t.text for t in tokens] == ["Hello", " world", "!"]
    assert tokens[0].logprob == -0.5 and tokens[0].top[1][1] == "x"
    assert abs(tokens[0].top[1][2] - 0.2231) < 1e-3  # exp(-1.5)
    sent = fake.state["requests"][-1]
    assert sent["stream"] and sent["stream_options"] == {"include_usage": True}
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["temperature"] == 0.0 and sent["max_tokens"] == 16 and sent["top_logprobs"] == 5
    assert stats.notes == []


def test_sampling_settings_are_sent_with_extra_fields(fake: FakeServer) -> None:
    decoding = DecodingSettings(do_sample=True, temperature=0.9, top_p=0.8, top_k=7, min_p=0.05,
                                repetition_penalty=1.1, seed=42, max_new_tokens=9, stop_sequences=["\n\n"])
    _, _, stats = _chat(_engine(fake, "ok"), decoding)
    sent = fake.state["requests"][-1]
    assert {k: sent[k] for k in ("temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed",
                                 "max_tokens", "stop")} == {
        "temperature": 0.9, "top_p": 0.8, "top_k": 7, "min_p": 0.05, "repetition_penalty": 1.1, "seed": 42,
        "max_tokens": 9, "stop": ["\n\n"]}
    assert stats.seed == 42


def test_status_checks_name_the_problem(fake: FakeServer) -> None:
    assert check_endpoint(RemoteEndpoint("a", fake.url("ok"), MODEL)).kind == "ok"
    missing = check_endpoint(RemoteEndpoint("a", fake.url("ok"), "other-model"))
    assert missing.kind == "model_missing" and MODEL in missing.message
    no_models = check_endpoint(RemoteEndpoint("a", fake.url("nomodels"), MODEL))
    assert no_models.kind == "not_found" and "end in /v1" in no_models.message
    wrong_key = check_endpoint(RemoteEndpoint("a", fake.url("auth"), MODEL, api_key="sk-wrong-key-777"))
    assert wrong_key.kind == "unauthorized" and "401" in wrong_key.message
    assert "sk-wrong-key-777" not in wrong_key.message and "***" in wrong_key.message
    assert check_endpoint(RemoteEndpoint("a", fake.url("auth"), MODEL, api_key=SECRET)).ok
    assert fake.state is not None
    assert list_models(RemoteEndpoint("a", fake.url("ok"))) == [MODEL]


def test_unreachable_is_reported_quickly() -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status = check_endpoint(RemoteEndpoint("gone", f"http://127.0.0.1:{port}/v1", MODEL))
    assert status.kind == "unreachable" and "Is the server running" in status.message


def test_key_is_sent_as_bearer_and_never_in_repr(fake: FakeServer) -> None:
    endpoint = RemoteEndpoint("auth", fake.url("auth"), MODEL, api_key=SECRET)
    engine = RemoteEngine(endpoint, probe=False)
    engine.load()
    text, _, stats = _chat(engine)
    assert text == "Hello world!"
    assert SECRET not in repr(endpoint) and SECRET not in repr(stats.to_dict())


@pytest.mark.parametrize(("scenario", "kind", "words"), [
    ("ratelimit", "rate_limited", ["429", "Rate limit reached for requests", "7 s"]),
    ("busy", "server_busy", ["503", "Model is still loading"]),
])
def test_429_and_503_show_the_servers_message(fake: FakeServer, scenario: str, kind: str, words: list[str]) -> None:
    _, _, exc = _chat(_engine(fake, scenario))
    assert isinstance(exc, EngineError) and exc.kind == kind
    for word in words:
        assert word in str(exc)


def test_cut_stream_keeps_text_and_says_so(fake: FakeServer) -> None:
    text, _, exc = _chat(_engine(fake, "cut"))
    assert text == "Hello world"
    assert isinstance(exc, EngineError) and exc.kind == "stream_cut" and "kept" in str(exc)


def test_stalled_stream_ends_with_error_and_text_kept(fake: FakeServer) -> None:
    engine = _engine(fake, "slow", stall_timeout_s=1.0)
    started = time.monotonic()
    text, _, exc = _chat(engine)
    assert time.monotonic() - started < 10
    assert text == "Hello"
    assert isinstance(exc, EngineError) and exc.kind == "stalled" and "1 s" in str(exc)


def test_malformed_chunk_is_an_error_with_text_kept(fake: FakeServer) -> None:
    text, _, exc = _chat(_engine(fake, "malformed"))
    assert text == "Hel"
    assert isinstance(exc, EngineError) and exc.kind == "bad_response" and "malformed" in str(exc)


def test_refused_setting_is_dropped_and_reported(fake: FakeServer) -> None:
    decoding = DecodingSettings(do_sample=True, top_k=5, seed=1, max_new_tokens=8)
    text, _, stats = _chat(_engine(fake, "refuses_topk"), decoding)
    assert text == "Hello world!"
    assert "top_k" not in fake.state["requests"][-1]
    assert any("refused top_k" in n for n in stats.notes), stats.notes


def test_ignored_setting_found_by_probe_and_reported(fake: FakeServer) -> None:
    engine = RemoteEngine(RemoteEndpoint("ig", fake.url("ignores_topk"), MODEL))
    engine.load()
    assert engine.extras == {"top_k": "ignored", "min_p": "honoured"}
    _, _, stats = _chat(engine, DecodingSettings(do_sample=True, top_k=5, max_new_tokens=8))
    assert any("ignores top_k" in n for n in stats.notes), stats.notes
    assert any("no per-token data" in n for n in stats.notes)
    assert any("no token counts" in n for n in stats.notes)
    assert stats.new_tokens == 3  # counted from the stream
    _, _, plain = _chat(engine, DecodingSettings(do_sample=True, top_k=0, max_new_tokens=8))
    assert not any("top_k" in n for n in plain.notes)
    assert GREEDY


def test_stop_sequences_are_enforced_on_our_side(fake: FakeServer) -> None:
    text, _, stats = _chat(_engine(fake, "stop_echo"), DecodingSettings(stop_sequences=["END"]))
    assert text == "one two " and stats.stop_reason == "stop_sequence"


def test_stop_is_immediate_and_the_server_sees_the_client_go(fake: FakeServer) -> None:
    engine = _engine(fake, "endless")
    cancel = threading.Event()
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 5:
            threading.Timer(0.0, cancel.set).start()

    fake.state["closed_at"] = None
    stats = engine.chat(TURNS, DecodingSettings(), "", on_text=on_text, cancel=cancel)
    returned = time.monotonic()
    assert stats.stop_reason == "cancelled"
    assert len(pieces) < 30
    deadline = time.monotonic() + 5
    while fake.state["closed_at"] is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.state["closed_at"] is not None and fake.state["closed_at"] - returned < 1.0


def test_chat_before_load_is_a_clear_error(fake: FakeServer) -> None:
    engine = RemoteEngine(RemoteEndpoint("ok", fake.url("ok"), MODEL), probe=False)
    with pytest.raises(EngineError, match="Not connected"):
        engine.chat(TURNS, DecodingSettings(), "", on_text=print, cancel=threading.Event())


@pytest.mark.parametrize(("pieces", "stops", "shown", "hit"), [
    (["ab", "cE", "ND", "x"], ["END"], "abc", True),
    (["a", "E", "N", "x"], ["END"], "aENx", False),
    (["hello"], [], "hello", False),
    (["x<|", "end|>y"], ["<|end|>", "\n\n"], "x", True),
])
def test_stop_scanner(pieces: list[str], stops: list[str], shown: str, hit: bool) -> None:
    scanner = StopScanner(stops)
    out = "".join(scanner.push(p) for p in pieces) + scanner.flush()
    assert (out, scanner.hit) == (shown, hit)


def test_credentials_in_the_url_never_reach_messages_or_stats(fake: FakeServer) -> None:
    url = fake.url("ok").replace("http://", "http://bob:hunter2@")
    engine = RemoteEngine(RemoteEndpoint("creds", url, MODEL), probe=False)
    engine.load()
    _, _, stats = _chat(engine)
    assert "hunter2" not in repr(stats.to_dict()) and stats.server == f"creds ({fake.url('ok')})"
    status = check_endpoint(RemoteEndpoint("creds", url.replace("/ok/", "/nomodels/"), MODEL))
    assert status.kind == "not_found" and "hunter2" not in status.message
