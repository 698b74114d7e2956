"""The token inspector on the real tiny model: what it reports equals a bare forward pass on the same tokens, raw
and after transformers' own processors; it changes no token; its stored form is small and reads back; a branch
from a token continues exactly as a bare ``generate`` on that prefix."""

from __future__ import annotations

import json
import math
import threading

import pytest
import torch

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.core.token_trace import decode_trace, encode_trace, token_json
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.streaming import generation_config
from llmdesk.engine.types import ChatTurn, TokenInfo

pytestmark = pytest.mark.slow

TURNS = [ChatTurn("user", "Tell me about foxes.")]
SYSTEM = "You are terse."


@pytest.fixture(scope="module")
def engine(tiny_model_dir) -> ChatEngine:
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    return eng


def _chat(engine: ChatEngine, with_tokens: bool = True, **decoding) -> tuple[str, list[TokenInfo], object]:
    pieces: list[str] = []
    tokens: list[TokenInfo] = []
    stats = engine.chat(TURNS, DecodingSettings(**decoding), SYSTEM, on_text=pieces.append, cancel=threading.Event(),
                        on_token=tokens.append if with_tokens else None)
    return "".join(pieces), tokens, stats


def _prompt(engine: ChatEngine, max_new: int) -> list[int]:
    loaded = engine.loaded
    return fit_prompt(loaded.tokenizer, TURNS, SYSTEM, loaded.info.context_window, max_new).input_ids


def _bare_distributions(engine: ChatEngine, prompt: list[int], generated: list[int], decoding: DecodingSettings):
    """Per step: (raw log-probs, processed log-probs) from a bare forward pass over prompt + the tokens so far, the
    processors built by transformers itself from the same GenerationConfig."""
    loaded = engine.loaded
    config = generation_config(decoding, loaded.model.generation_config, loaded.end_token_ids)
    processors = loaded.model._get_logits_processor(generation_config=config, input_ids_seq_length=len(prompt),
                                                    device="cpu")
    out = []
    for j in range(len(generated)):
        ids = torch.tensor([prompt + generated[:j]])
        with torch.inference_mode():
            logits = loaded.model(input_ids=ids).logits[:, -1].float()
        processed = processors(ids, logits.clone())
        out.append((torch.log_softmax(logits[0], -1), torch.log_softmax(processed[0], -1)))
    return out


def _check_against(tokens: list[TokenInfo], bare, atol: float, rel: float | None = None) -> None:
    for info, (raw, processed) in zip(tokens, bare, strict=True):
        assert info.raw_logprob == pytest.approx(float(raw[info.token_id]), abs=atol, rel=rel)
        assert info.logprob == pytest.approx(float(processed[info.token_id]), abs=atol, rel=rel)
        assert info.raw_rank == int((raw > raw[info.token_id]).sum())
        assert info.rank == int((processed > processed[info.token_id]).sum())
        assert info.candidates == int(torch.isfinite(processed).sum())
        raw_top = torch.topk(raw, 10)
        assert [i for i, _, _ in info.raw_top] == raw_top.indices.tolist()
        assert [p for _, _, p in info.raw_top] == pytest.approx(raw_top.values.exp().tolist(), abs=atol, rel=rel and 5 * rel)
        kept = min(10, info.candidates)
        top = torch.topk(processed, kept)
        assert [i for i, _, _ in info.top] == top.indices.tolist()
        assert [p for _, _, p in info.top] == pytest.approx(top.values.exp().tolist(), abs=atol, rel=rel and 5 * rel)


@pytest.mark.parametrize("decoding", [
    {"max_new_tokens": 12, "repetition_penalty": 1.3},
    {"max_new_tokens": 12, "do_sample": True, "temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.02,
     "repetition_penalty": 1.1, "seed": 7},
    {"max_new_tokens": 12, "do_sample": True, "temperature": 1.5, "top_k": 0, "top_p": 0.5, "seed": 3},
], ids=["greedy-penalty", "sampled-all-filters", "sampled-top-p"])
def test_inspector_equals_bare_forward_pass_raw_and_processed(engine, decoding):
    text, tokens, stats = _chat(engine, **decoding)
    assert len(tokens) == stats.new_tokens >= 1
    settings = DecodingSettings(**decoding)
    bare = _bare_distributions(engine, _prompt(engine, settings.max_new_tokens), [t.token_id for t in tokens],
                               settings)
    _check_against(tokens, bare, atol=1e-4)
    # The stored form reads back the same within 1/512 nat.
    back = decode_trace(json.loads(json.dumps(encode_trace(tokens))))
    _check_against(back, bare, atol=1.1e-3, rel=1e-3)
    assert [t.text for t in back] == [t.text for t in tokens]
    # Each token's chars cover the reply's text, in order.
    assert sum(t.chars for t in tokens) == len(text)


@pytest.mark.parametrize("decoding", [
    {"max_new_tokens": 20, "repetition_penalty": 1.3},
    {"max_new_tokens": 20, "do_sample": True, "temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.02,
     "repetition_penalty": 1.1, "seed": 11},
], ids=["greedy", "sampled"])
def test_inspector_changes_no_token(engine, decoding):
    with_text, tokens, _ = _chat(engine, **decoding)
    without_text, _, _ = _chat(engine, with_tokens=False, **decoding)
    assert with_text == without_text
    # And the ids are those of a bare generate with transformers' own processors.
    loaded = engine.loaded
    settings = DecodingSettings(**decoding)
    prompt = _prompt(engine, settings.max_new_tokens)
    config = generation_config(settings, loaded.model.generation_config, loaded.end_token_ids)
    if settings.do_sample:
        torch.manual_seed(settings.seed)
    ids = torch.tensor([prompt])
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
    assert [t.token_id for t in tokens] == out[0, len(prompt):].tolist()


def test_token_text_keeps_leading_space_and_names_byte_pieces(engine):
    from llmdesk.engine.streaming import token_text

    tokenizer = engine.loaded.tokenizer
    ids = tokenizer("Hello world 日本", add_special_tokens=False)["input_ids"]
    texts = [token_text(tokenizer, i) for i in ids]
    assert "".join(texts).strip() == "Hello world 日本" or any(t.startswith("<0x") for t in texts)
    assert texts[1].startswith(" ")  # " world", not "world"
    byte_ids = [i for i in range(len(tokenizer)) if tokenizer.convert_ids_to_tokens(i) == "<0xE6>"]
    if byte_ids:
        assert token_text(tokenizer, byte_ids[0]) == "<0xE6>"


def test_greedy_token_is_rank_zero_and_sampled_equals_raw_without_processors(engine):
    _, tokens, _ = _chat(engine, max_new_tokens=8)
    for info in tokens:
        assert info.rank == info.raw_rank == 0
        assert info.top == info.raw_top and info.logprob == info.raw_logprob


def test_trace_of_1000_tokens_stays_small(engine):
    """1,000 real tokens (three sampled replies of the tiny random model, whose near-uniform distributions are the
    worst case for compression) with 10 alternatives under both distributions."""
    tokens: list[TokenInfo] = []
    seed = 0
    while len(tokens) < 1000:
        _, more, _ = _chat(engine, max_new_tokens=400, do_sample=True, temperature=0.9, top_k=50, top_p=0.95,
                           repetition_penalty=1.1, seed=seed)
        tokens.extend(more)
        seed += 1
    tokens = tokens[:1000]
    stored = encode_trace(tokens)
    size = len(json.dumps(stored))
    print(f"\ntrace of 1000 tokens: {size} bytes of JSON")
    assert size < 100_000  # 92 kB measured for this worst case
    back = decode_trace(stored)
    assert [t.token_id for t in back] == [t.token_id for t in tokens]
    for a, b in zip(back, tokens, strict=True):
        assert a.rank == b.rank and a.raw_rank == b.raw_rank and a.candidates == b.candidates
        assert a.logprob == pytest.approx(b.logprob, rel=2e-3, abs=1e-3)
        assert [i for i, _, _ in a.top] == [i for i, _, _ in b.top]
    item = token_json(back[:1])[0]
    assert set(item) >= {"id", "text", "logprob", "top"} and len(item["top"]) == 10


@pytest.mark.parametrize("at", [0, 3])
def test_branch_from_token_continues_as_bare_generate(engine, at):
    loaded = engine.loaded
    _, tokens, _ = _chat(engine, max_new_tokens=10)
    alternative = tokens[at].raw_top[4][0]  # the 5th most likely token instead of the chosen one
    reply_ids = [t.token_id for t in tokens[:at]] + [alternative]
    pieces: list[str] = []
    new: list[TokenInfo] = []
    stats = engine.continue_from_tokens(TURNS, DecodingSettings(max_new_tokens=15), SYSTEM, reply_ids,
                                        on_text=pieces.append, cancel=threading.Event(), on_token=new.append)
    prompt = _prompt(engine, 15 + len(reply_ids)) + reply_ids
    ids = torch.tensor([prompt])
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=15,
                                    do_sample=False, eos_token_id=list(loaded.end_token_ids),
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    bare = out[0, len(prompt):].tolist()
    assert [t.token_id for t in new] == bare
    assert stats.new_tokens == len(bare) and stats.prompt_tokens == len(prompt)
    expected = loaded.tokenizer.decode(reply_ids + [t for t in bare if t not in loaded.end_token_ids],
                                       skip_special_tokens=True, clean_up_tokenization_spaces=False)
    assert "".join(pieces) == expected
    assert not math.isnan(new[0].logprob)


def test_raw_completion_continues_the_text_as_bare_generate(engine):
    loaded = engine.loaded
    pieces: list[str] = []
    stats = engine.complete_raw("Once upon a time", DecodingSettings(max_new_tokens=10), on_text=pieces.append,
                                cancel=threading.Event())
    ids = torch.tensor([loaded.tokenizer("Once upon a time")["input_ids"]])
    assert "<|user|>" not in loaded.tokenizer.decode(ids[0])
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=10,
                                    do_sample=False, eos_token_id=list(loaded.end_token_ids),
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    bare = out[0, ids.shape[1]:].tolist()
    assert stats.new_tokens == len(bare) and stats.prompt_tokens == ids.shape[1]
    assert "".join(pieces) == loaded.tokenizer.decode([t for t in bare if t not in loaded.end_token_ids],
                                                      skip_special_tokens=True)
