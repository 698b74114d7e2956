"""The stored form of a reply's tokens: round trip, tokens without a raw distribution (remote engines), damage."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmdesk.core.token_trace import TokenInfo, TraceError, decode_trace, encode_trace, token_json, trace_tokens, \
    visible_piece

alt = st.tuples(st.integers(0, 200_000), st.text(max_size=6), st.floats(1e-12, 1.0))
token = st.builds(
    TokenInfo, token_id=st.integers(0, 200_000), text=st.text(max_size=8), logprob=st.floats(-60, 0),
    top=st.lists(alt, max_size=10).map(tuple), raw_logprob=st.one_of(st.none(), st.floats(-60, 0)),
    raw_top=st.lists(alt, max_size=10).map(tuple), rank=st.one_of(st.none(), st.integers(0, 200_000)),
    raw_rank=st.one_of(st.none(), st.integers(0, 200_000)), candidates=st.one_of(st.none(), st.integers(1, 200_000)),
    chars=st.one_of(st.none(), st.integers(0, 40)))


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1.1e-3


@settings(max_examples=60, deadline=None)
@given(st.lists(token, max_size=12))
def test_round_trip(tokens):
    back = decode_trace(json.loads(json.dumps(encode_trace(tokens))))
    assert len(back) == len(tokens)
    first: dict[int, str] = {}
    for t in tokens:
        first.setdefault(t.token_id, t.text)
        for i, s, _ in t.raw_top + t.top:
            first.setdefault(i, s)
    for a, b in zip(back, tokens, strict=True):
        assert a.token_id == b.token_id and a.rank == b.rank and a.raw_rank == b.raw_rank
        assert a.candidates == b.candidates and a.chars == b.chars
        assert _close(a.logprob, b.logprob) and _close(a.raw_logprob, b.raw_logprob)
        assert [i for i, _, _ in a.raw_top] == [i for i, _, _ in b.raw_top]
        assert [i for i, _, _ in a.top] == [i for i, _, _ in b.top]
        for (_, _, p), (_, _, q) in zip(a.top + a.raw_top, b.top + b.raw_top, strict=True):
            assert _close(math.log(p), math.log(q))
        # An id's text is kept (the first text seen for that id; NULs dropped).
        assert a.text == first[b.token_id].replace("\0", "")


def test_remote_token_without_raw_distribution():
    tokens = [TokenInfo(5, " the", -0.5, ((5, " the", 0.6), (9, " a", 0.3)))]
    (back,) = decode_trace(encode_trace(tokens))
    assert back.raw_logprob is None and back.raw_top == () and back.rank is None
    assert back.top[1][:2] == (9, " a")
    item = token_json([back])[0]  # raw asked for, none known: the one distribution there is
    assert item["id"] == 5 and item["text"] == " the" and item["logprob"] == pytest.approx(-0.5, abs=1e-3)
    assert [t["id"] for t in item["top"]] == [5, 9]


def test_identical_distributions_stored_once():
    top = tuple((i, f"t{i}", 0.1) for i in range(10))
    same = [TokenInfo(i, f"t{i}", math.log(0.1), top, math.log(0.1), top, 0, 0, 32000) for i in range(200)]
    differ = [TokenInfo(i, f"t{i}", math.log(0.2), tuple((j, f"t{j}", 0.2) for j in range(5)), math.log(0.1), top,
                        0, 0, 5) for i in range(200)]
    assert len(encode_trace(same)["data"]) < len(encode_trace(differ)["data"])


@pytest.mark.parametrize("stored", [None, {}, {"v": 2}, {"v": 1, "n": 1, "data": "!!"},
                                    {"v": 1, "n": 3, "data": encode_trace([TokenInfo(1, "a", -1.0, ())])["data"]}])
def test_damaged_trace_is_named(stored):
    with pytest.raises(TraceError):
        decode_trace(stored)
    assert trace_tokens({"tokens": stored}) is None or stored is None


def test_visible_piece():
    assert visible_piece(" Hello\n\t\x1b") == "␣Hello↵⇥\\x1b"
    assert visible_piece("<0xE6>") == "<0xE6>"


def test_json_export_carries_the_trace():
    from llmdesk.core.conversation import Conversation, Message
    from llmdesk.core.export import to_json

    tokens = [TokenInfo(5, " the", -0.5, ((5, " the", 0.6), (9, " a", 0.3)), -0.7, ((5, " the", 0.5),), 0, 0, 7, 4)]
    conv = Conversation()
    user = conv.add(Message("user", "hi"))
    conv.add(Message("assistant", " the", parent_id=user.id, stop_reason="eos", meta={"tokens": encode_trace(tokens)}))
    data = json.loads(to_json([conv]))
    (reply,) = [m for m in data["conversations"][0]["messages"] if m["role"] == "assistant"]
    (back,) = decode_trace(reply["meta"]["tokens"])
    assert back.token_id == 5 and back.chars == 4 and back.raw_top[0][:2] == (5, " the")
