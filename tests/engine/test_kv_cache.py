"""The KV cache kept between turns, on the real tiny Phi-3 (fp32, so greedy output with the cache must equal
output without it token for token), and on a tiny variant with a 16-token sliding window like Phi-3-mini's."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

from llmdesk.core.settings import DecodingSettings, ModelSettings, SettingsError, settings_from_dict
from llmdesk.engine.errors import EngineError
from llmdesk.engine.kv_cache import KVCacheStore, bytes_per_token, cache_bytes, can_crop, common_prefix_length
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.types import ChatTurn, GenerationStats

pytestmark = pytest.mark.slow

SYSTEM = "You are a helpful assistant."
GREEDY = DecodingSettings(max_new_tokens=12)


def _load(model_dir: Path, budget: int | None = 1 << 30, dtype: str = "float32") -> ChatEngine:
    engine = ChatEngine(cache_budget_bytes=budget)
    engine.load(ModelSettings(model=str(model_dir), device="cpu", dtype=dtype,
                              kv_cache_budget_mb=(budget or 0) >> 20))
    engine.caches.set_budget(budget or 0)  # the budget in bytes (the setting counts MB)
    return engine


@pytest.fixture(scope="module")
def engines(tiny_model_dir) -> tuple[ChatEngine, ChatEngine]:
    """(engine that keeps caches, engine that keeps none) on the same tiny model."""
    cached, plain = _load(tiny_model_dir), _load(tiny_model_dir, budget=0)
    yield cached, plain
    cached.unload()
    plain.unload()


@pytest.fixture(scope="module")
def sliding_dir(tmp_path_factory) -> Path:
    from tests.support.tiny import build_tiny_phi3

    return build_tiny_phi3(tmp_path_factory.mktemp("tiny-phi3-sliding"), sliding_window=16)


def _chat(engine: ChatEngine, turns: Sequence[ChatTurn], *, key: str | None, decoding: DecodingSettings = GREEDY,
          system: str = SYSTEM, cancel: threading.Event | None = None, continue_final: bool = False,
          stop_after: int | None = None) -> tuple[str, GenerationStats]:
    pieces: list[str] = []
    cancel = cancel or threading.Event()

    def on_text(piece: str) -> None:
        pieces.append(piece)
        if stop_after is not None and len(pieces) >= stop_after:
            cancel.set()

    stats = engine.chat(turns, decoding, system, on_text=on_text, cancel=cancel, continue_final=continue_final,
                        cache_key=key)
    return "".join(pieces), stats


def _both(cached: ChatEngine, plain: ChatEngine, turns: Sequence[ChatTurn], key: str,
          **kwargs) -> tuple[str, GenerationStats]:
    """Reply with and without the kept cache; the texts must be equal. Returns the cached engine's reply."""
    text, stats = _chat(cached, turns, key=key, **kwargs)
    kwargs.pop("cancel", None)
    expected, _ = _chat(plain, turns, key=None, **kwargs)
    if kwargs.get("stop_after") is None:
        assert text == expected
    return text, stats


def _prompt(engine: ChatEngine, turns: Sequence[ChatTurn], system: str = SYSTEM, continue_final: bool = False,
            max_new_tokens: int = GREEDY.max_new_tokens) -> list[int]:
    loaded = engine.loaded
    return fit_prompt(loaded.tokenizer, turns, system, loaded.info.context_window, max_new_tokens,
                      continue_final).input_ids


# -- plain helpers ----------------------------------------------------------------------------------------------

def test_common_prefix_length():
    assert common_prefix_length([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2
    assert common_prefix_length([], [1]) == 0
    assert common_prefix_length([9], [1]) == 0


def test_budget_setting_is_declared_with_limits():
    assert ModelSettings().kv_cache_budget_mb == 2048
    with pytest.raises(SettingsError, match="model.kv_cache_budget_mb"):
        settings_from_dict({"model": {"kv_cache_budget_mb": -1}})
    assert settings_from_dict({"model": {"kv_cache_budget_mb": 0}}).model.kv_cache_budget_mb == 0
    with pytest.raises(ValueError, match="at least 0"):
        KVCacheStore(-1)


# -- many turns, with and without the cache ---------------------------------------------------------------------

def test_greedy_output_with_the_cache_equals_output_without_it_over_many_turns(engines):
    cached, plain = engines
    turns: list[ChatTurn] = []
    for i in range(8):
        turns.append(ChatTurn("user", f"Turn {i}: the quick brown fox jumps over the lazy dog {i} times."))
        prompt = _prompt(cached, turns)
        kept = cached.caches.tokens("many")
        reply, stats = _both(cached, plain, turns, "many")
        assert stats.prompt_tokens == len(prompt)
        # exactly the true common prefix is reused (at most all but the last prompt token)
        expected = 0 if kept is None else min(common_prefix_length(kept, prompt), len(prompt) - 1)
        assert stats.cached_tokens == expected
        if i:
            assert stats.cached_tokens > 0
        # the cache holds the prompt and every generated token but the last, which was never processed
        tokens = cached.caches.tokens("many")
        assert tokens[:len(prompt)] == prompt and len(tokens) == len(prompt) + stats.new_tokens - 1
        assert stats.kv_cache_bytes == cached.kv_cache_bytes > 0
        turns.append(ChatTurn("assistant", reply))


def test_edit_branch_switch_regenerate_and_new_system_prompt(engines):
    cached, plain = engines
    key = "branches"
    a = [ChatTurn("user", "Hello, how are you?")]
    reply_a, _ = _both(cached, plain, a, key)
    b = [*a, ChatTurn("assistant", reply_a), ChatTurn("user", "Tell me about the fox.")]
    reply_b, _ = _both(cached, plain, b, key)
    # edit the second message: a new branch from the first reply
    edited = [*b[:-1], ChatTurn("user", "Tell me about the dog instead.")]
    _, stats = _both(cached, plain, edited, key)
    assert 0 < stats.cached_tokens < stats.prompt_tokens
    # regenerate the same reply: everything but the last prompt token comes from the cache
    _, stats = _both(cached, plain, edited, key)
    assert stats.cached_tokens == stats.prompt_tokens - 1
    # switch back to the first branch and go on there
    back = [*b, ChatTurn("assistant", reply_b), ChatTurn("user", "And then?")]
    _both(cached, plain, back, key)
    # a new system prompt changes the prompt's first tokens
    _, stats = _both(cached, plain, back, key, system="You answer in rhymes.")
    new_prompt = _prompt(cached, back, system="You answer in rhymes.")
    assert stats.cached_tokens == common_prefix_length(_prompt(cached, back), new_prompt)
    # a settings change that changes the prompt: fewer turns fit with a larger max_new_tokens window; a sampling
    # change does not change the prompt and keeps the whole prefix
    _, stats = _both(cached, plain, back, key, decoding=DecodingSettings(max_new_tokens=12, repetition_penalty=1.3),
                     system="You answer in rhymes.")
    assert stats.cached_tokens == stats.prompt_tokens - 1


def test_continue_a_reply_cut_at_the_length_limit(engines):
    cached, plain = engines
    key = "continue"
    turns = [ChatTurn("user", "Write a long story about a fox.")]
    short = DecodingSettings(max_new_tokens=5)
    reply, stats = _both(cached, plain, turns, key, decoding=short)
    assert stats.stop_reason == "length"
    opened = [*turns, ChatTurn("assistant", reply)]
    more, stats = _both(cached, plain, opened, key, decoding=short, continue_final=True)
    assert stats.cached_tokens > 0
    opened = [*turns, ChatTurn("assistant", reply + more)]
    _both(cached, plain, opened, key, decoding=short, continue_final=True)
    _both(cached, plain, [*opened, ChatTurn("user", "Thanks!")], key)


def test_stop_while_decoding_then_go_on(engines):
    cached, plain = engines
    key = "stop-decode"
    turns = [ChatTurn("user", "Count to twenty, please.")]
    partial, stats = _chat(cached, turns, key=key, stop_after=3)
    assert stats.stop_reason == "cancelled"
    tokens = cached.caches.tokens(key)
    prompt = _prompt(cached, turns)
    assert tokens is not None and tokens[:len(prompt)] == prompt and len(tokens) <= len(prompt) + stats.new_tokens
    # the partial reply is kept in the conversation and the talk goes on
    nxt = [*turns, ChatTurn("assistant", partial), ChatTurn("user", "Go on.")]
    _, stats = _both(cached, plain, nxt, key)
    assert stats.cached_tokens > 0
    # a stop before the request reached the model keeps what the cache held
    cancel = threading.Event()
    cancel.set()
    again = [*nxt, ChatTurn("assistant", "ok"), ChatTurn("user", "Once more.")]
    _, stats = _chat(cached, again, key=key, cancel=cancel)
    assert stats.stop_reason == "cancelled" and stats.new_tokens == 0
    _both(cached, plain, again, key)


def test_stop_during_prompt_processing(engines):
    cached, plain = engines
    key = "stop-prefill"
    turns = [ChatTurn("user", "A first question about foxes.")]
    reply, _ = _both(cached, plain, turns, key)
    nxt = [*turns, ChatTurn("assistant", reply), ChatTurn("user", "A second, longer question about dogs and cats.")]
    cancel = threading.Event()
    handle = cached.loaded.model.register_forward_pre_hook(lambda module, args: cancel.set())  # set while reading
    try:
        text, stats = _chat(cached, nxt, key=key, cancel=cancel)
    finally:
        handle.remove()
    assert stats.stop_reason == "cancelled" and text == ""
    kept = cached.caches.tokens(key)
    assert kept is None or kept == _prompt(cached, nxt)[:len(kept)]  # only tokens the model really processed
    _, stats = _both(cached, plain, [*nxt, ChatTurn("assistant", ""), ChatTurn("user", "Now answer.")], key)
    _both(cached, plain, nxt, key)


def test_error_half_way_through_a_forward_pass_drops_the_cache(engines):
    cached, plain = engines
    key = "error"
    turns = [ChatTurn("user", "Tell me something.")]
    reply, _ = _both(cached, plain, turns, key)
    nxt = [*turns, ChatTurn("assistant", reply), ChatTurn("user", "More, please.")]
    calls = {"n": 0}

    def fail_in_second_layer(module, args):
        calls["n"] += 1
        if calls["n"] == 3:  # the second decode step, after the first layer already stored its keys and values
            raise RuntimeError("injected failure")

    handle = cached.loaded.model.model.layers[1].register_forward_pre_hook(fail_in_second_layer)
    try:
        with pytest.raises(EngineError) as info:
            _chat(cached, nxt, key=key)
    finally:
        handle.remove()
    assert info.value.kind == "generation_failed"
    assert cached.caches.tokens(key) is None
    _, stats = _both(cached, plain, nxt, key)
    assert stats.cached_tokens == 0


def test_template_that_rewrites_earlier_tokens_reuses_only_the_true_common_prefix(tiny_model_dir):
    cached, plain = _load(tiny_model_dir), _load(tiny_model_dir, budget=0)
    # a template that marks the newest user message: the previous prompt's tail is rewritten on the next turn
    template = ("{% for m in messages %}{% if loop.last and m['role'] == 'user' %}{{ '<|user|>\nLATEST: ' + "
                "m['content'] + '<|end|>\n' }}{% else %}{{ '<|' + m['role'] + '|>\n' + m['content'] + '<|end|>\n' }}"
                "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}")
    for engine in (cached, plain):
        engine.loaded.tokenizer.chat_template = template
    try:
        turns = [ChatTurn("user", "first question")]
        reply, _ = _both(cached, plain, turns, "rewrite")
        nxt = [*turns, ChatTurn("assistant", reply), ChatTurn("user", "second question")]
        before = cached.caches.tokens("rewrite")
        _, stats = _both(cached, plain, nxt, "rewrite")
        assert stats.cached_tokens == common_prefix_length(before, _prompt(cached, nxt))
        assert stats.cached_tokens < len(_prompt(cached, turns)) - 1  # the "LATEST: " turn was not reused
    finally:
        cached.unload()
        plain.unload()


def test_sampling_with_a_seed_gives_the_same_reply_with_the_cache(engines):
    cached, plain = engines
    sampled = DecodingSettings(max_new_tokens=10, do_sample=True, temperature=1.0, top_k=0, seed=1234)
    turns = [ChatTurn("user", "Pick some random words.")]
    reply, stats = _both(cached, plain, turns, "sampled", decoding=sampled)
    assert stats.seed == 1234
    _, stats = _both(cached, plain, [*turns, ChatTurn("assistant", reply), ChatTurn("user", "More.")], "sampled",
                     decoding=sampled)
    assert stats.cached_tokens > 0 and stats.seed == 1234


# -- several conversations within a budget ----------------------------------------------------------------------

def test_caches_of_recent_conversations_are_kept_within_the_budget(tiny_model_dir):
    engine = _load(tiny_model_dir)
    per_token = bytes_per_token(engine.loaded.model)
    assert per_token == 2 * 2 * 4 * 16 * 4  # 2 layers x (keys, values) x 4 heads x 16 dims x fp32
    convs = {k: [ChatTurn("user", f"Conversation {k}: say something about foxes.")] for k in "abc"}
    for k, turns in convs.items():
        _chat(engine, turns, key=k)
    sizes = {k: cache_bytes(engine.caches._entries[k].cache) for k in "abc"}
    assert engine.kv_cache_bytes == sum(sizes.values())
    assert sizes["a"] == per_token * len(engine.caches.tokens("a"))
    # going back to "a" reuses its cache
    _, stats = _chat(engine, convs["a"], key="a")
    assert stats.cached_tokens == stats.prompt_tokens - 1
    # a budget for about two conversations keeps the two most recent ("b" is the least recently used)
    engine.caches.set_budget(sizes["a"] + sizes["c"] + per_token)
    assert engine.caches.keys() == ["c", "a"]
    _, stats = _chat(engine, convs["b"], key="b")
    assert stats.cached_tokens == 0 and engine.caches.keys() == ["a", "b"]
    assert stats.kv_cache_bytes <= engine.caches.budget_bytes
    # a budget of 0 keeps nothing
    engine.caches.set_budget(0)
    _, stats = _chat(engine, convs["a"], key="a")
    assert stats.cached_tokens == 0 and stats.kv_cache_bytes == 0 and len(engine.caches) == 0
    engine.unload()


def test_reload_and_precision_switch_drop_the_caches(tiny_model_dir):
    engine = _load(tiny_model_dir)
    turns = [ChatTurn("user", "Hello there.")]
    _chat(engine, turns, key="x")
    assert engine.kv_cache_bytes > 0
    engine.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="bfloat16"))
    assert engine.kv_cache_bytes == 0 and engine.caches.budget_bytes == ModelSettings().kv_cache_budget_mb << 20
    _, stats = _chat(engine, turns, key="x")
    assert stats.cached_tokens == 0
    _, stats = _chat(engine, turns, key="x")
    assert stats.cached_tokens == stats.prompt_tokens - 1
    engine.unload()
    assert engine.kv_cache_bytes == 0


def test_no_cache_key_keeps_nothing(engines):
    cached, _ = engines
    before = cached.kv_cache_bytes
    _, stats = _chat(cached, [ChatTurn("user", "One-off question.")], key=None)
    assert stats.cached_tokens == 0 and cached.kv_cache_bytes == before


# -- out of memory ----------------------------------------------------------------------------------------------

def _oom_on_calls(model, fail_on: set[int]):
    calls = {"n": 0}

    def hook(module, args):
        calls["n"] += 1
        if calls["n"] in fail_on:
            raise torch.OutOfMemoryError("injected: CUDA out of memory")

    return model.register_forward_pre_hook(hook)


def test_out_of_memory_with_kept_caches_drops_them_and_goes_on(tiny_model_dir):
    cached, plain = _load(tiny_model_dir), _load(tiny_model_dir, budget=0)
    turns = [ChatTurn("user", "Tell me a story.")]
    reply, _ = _both(cached, plain, turns, "oom")
    _chat(cached, [ChatTurn("user", "another conversation")], key="other")
    nxt = [*turns, ChatTurn("assistant", reply), ChatTurn("user", "And then what happened?")]
    expected, full = _chat(plain, nxt, key=None)
    handle = _oom_on_calls(cached.loaded.model, {4})  # prefill, 2 decode steps, then out of memory
    try:
        text, stats = _chat(cached, nxt, key="oom")
    finally:
        handle.remove()
    assert text == expected  # the reply went on from the tokens already generated
    assert stats.new_tokens == full.new_tokens and stats.stop_reason == full.stop_reason
    assert stats.notice is not None and "dropped" in stats.notice
    assert cached.kv_cache_bytes == 0 and stats.kv_cache_bytes == 0
    # a second failure is a clear error; what streamed before it is the caller's partial reply
    _chat(cached, nxt, key="oom")
    pieces: list[str] = []
    handle = _oom_on_calls(cached.loaded.model, {4, 5})
    try:
        with pytest.raises(EngineError) as info:
            cached.chat(nxt, GREEDY, SYSTEM, on_text=pieces.append, cancel=threading.Event(), cache_key="oom")
    finally:
        handle.remove()
    assert info.value.kind == "out_of_memory" and "again" in str(info.value) and "partial reply" in str(info.value)
    assert "".join(pieces) and expected.startswith("".join(pieces))
    cached.unload()
    plain.unload()


def test_out_of_memory_without_kept_caches_is_an_error_at_once(tiny_model_dir):
    engine = _load(tiny_model_dir)
    handle = _oom_on_calls(engine.loaded.model, {1})
    try:
        with pytest.raises(EngineError) as info:
            _chat(engine, [ChatTurn("user", "hi")], key="fresh")
    finally:
        handle.remove()
    assert info.value.kind == "out_of_memory" and "again" not in str(info.value)
    engine.unload()


# -- sliding window (Phi-3-mini: 2047) --------------------------------------------------------------------------

def test_sliding_window_past_the_window_falls_back_or_extends_and_is_right(sliding_dir):
    cached, plain = _load(sliding_dir), _load(sliding_dir, budget=0)
    assert cached.loaded.model.config.sliding_window == 16
    turns: list[ChatTurn] = []
    fallbacks = 0
    for i in range(4):
        turns.append(ChatTurn("user", f"Question {i} about the fox and the dog."))
        kept = cached.caches.tokens("slide")
        reply, stats = _both(cached, plain, turns, "slide")
        assert stats.prompt_tokens > 16
        # past its window the kept cache cannot be cut back: reused only when the prompt extends all of it
        assert stats.cached_tokens in (0, len(kept or ()))
        fallbacks += kept is not None and stats.cached_tokens == 0
        turns.append(ChatTurn("assistant", reply))
    assert fallbacks
    cached.unload()
    plain.unload()


def test_sliding_window_cache_is_reused_only_as_an_exact_extension(sliding_dir):
    from llmdesk.engine.loader import load_model

    loaded = load_model(ModelSettings(model=str(sliding_dir), device="cpu", dtype="float32"))
    model = loaded.model
    g = torch.Generator().manual_seed(0)
    short, long, more = (torch.randint(10, 30000, (n,), generator=g).tolist() for n in (10, 40, 9))
    store = KVCacheStore(1 << 30)
    with torch.inference_mode():
        # within the window a cache can still be cut back
        plan = store.take("s", model, short)
        model(input_ids=torch.tensor([short]), cache=plan.cache, use_cache=True)
        assert can_crop(plan.cache)
        store.put("s", plan.cache, short)
        plan = store.take("s", model, short[:6] + more)
        assert plan.reused_tokens == 6
        # past the window: the states of the oldest tokens are gone
        plan = store.take("l", model, long)
        model(input_ids=torch.tensor([long]), cache=plan.cache, use_cache=True)
        assert not can_crop(plan.cache)
        store.put("l", plan.cache, long)
        plan = store.take("l", model, long[:30] + more)
        assert plan.reused_tokens == 0 and "sliding window" in plan.reason
        model(input_ids=torch.tensor([long]), cache=plan.cache, use_cache=True)
        store.put("l", plan.cache, long)
        # extending every kept token needs no cut: same logits as reading the whole prompt
        plan = store.take("l", model, long + more)
        assert plan.reused_tokens == len(long)
        with_cache = model(input_ids=torch.tensor([more]), cache=plan.cache, use_cache=True).logits
        without = model(input_ids=torch.tensor([long + more])).logits[:, -len(more):]
    torch.testing.assert_close(with_cache, without, rtol=1e-4, atol=1e-4)


def test_memory_estimate_counts_the_kept_caches(tiny_model_dir):
    from llmdesk.engine.devices import estimate_memory

    none = estimate_memory(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32",
                                         kv_cache_budget_mb=0))
    some = estimate_memory(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32",
                                         kv_cache_budget_mb=512))
    assert some.kept_cache_bytes == 512 << 20 and none.kept_cache_bytes == 0
    assert some.needed_bytes - none.needed_bytes == pytest.approx(1.1 * (512 << 20), abs=2)
    assert "KV caches kept between turns" in some.message and "kept" not in none.message
