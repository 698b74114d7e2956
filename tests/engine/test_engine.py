"""Engine tests on a real tiny random-weight Phi-3 loaded through llmdesk's own loader (never a mocked model)."""

from __future__ import annotations

import threading

import pytest
import torch

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError, PromptTooLongError
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.streaming import IncrementalDecoder
from llmdesk.engine.types import ChatTurn, TokenInfo

pytestmark = pytest.mark.slow

SPECIAL_MARKERS = ("<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "<|endoftext|>", "<s>", "</s>")


@pytest.fixture(scope="module")
def engine(tiny_model_dir) -> ChatEngine:
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    return eng


def _chat(engine: ChatEngine, text: str = "Tell me about foxes.", **decoding):
    pieces: list[str] = []
    tokens: list[TokenInfo] = []
    stats = engine.chat([ChatTurn("user", text)], DecodingSettings(**decoding), "You are terse.",
                        on_text=pieces.append, cancel=threading.Event(), on_token=tokens.append)
    return pieces, tokens, stats


def test_load_reports_what_was_loaded(engine, tiny_model_dir):
    info = engine.info
    assert info.model_id == str(tiny_model_dir)
    assert info.device == "cpu" and info.dtype == "float32"
    assert info.architecture == "Phi3ForCausalLM"
    assert info.parameters == sum(p.numel() for p in engine.loaded.model.parameters())
    assert info.weight_bytes == info.parameters * 4
    assert info.context_window == 512


def test_load_progress_covers_every_stage(tiny_model_dir):
    seen = []
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="bfloat16"), progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "resolve" and stages[-1] == "ready"
    assert {"tokenizer", "weights"} <= set(stages)
    weights = [p for p in seen if p.stage == "weights" and p.total]
    assert weights and weights[-1].done == weights[-1].total
    assert eng.info.dtype == "bfloat16"
    eng.unload()
    assert eng.info is None


def test_greedy_stream_matches_bare_generate(engine):
    pieces, tokens, stats = _chat(engine, max_new_tokens=40)
    loaded = engine.loaded
    from llmdesk.engine.prompt import fit_prompt

    prompt = fit_prompt(loaded.tokenizer, [ChatTurn("user", "Tell me about foxes.")], "You are terse.", 512, 40)
    ids = torch.tensor([prompt.input_ids])
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=40,
                                    do_sample=False, eos_token_id=list(loaded.end_token_ids),
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    bare = out[0, ids.shape[1]:].tolist()
    assert [t.token_id for t in tokens] == bare
    expected = loaded.tokenizer.decode([t for t in bare if t not in loaded.end_token_ids], skip_special_tokens=True)
    assert "".join(pieces) == expected
    assert stats.prompt_tokens == len(prompt.input_ids)
    assert stats.new_tokens == len(bare)
    assert stats.stop_reason in ("eos", "length")
    assert stats.ttft_s is not None and stats.ttft_s > 0


def test_pieces_carry_no_special_tokens_or_broken_characters(engine):
    pieces, tokens, _ = _chat(engine, max_new_tokens=120, do_sample=True, seed=11, temperature=1.5)
    assert pieces
    for piece in pieces:
        assert not any(marker in piece for marker in SPECIAL_MARKERS)
    # A random model can emit byte tokens that never form a character; those decode to U+FFFD in the full text
    # too. Streaming must not add any: no piece boundary splits a character.
    full = engine.loaded.tokenizer.decode([t.token_id for t in tokens], skip_special_tokens=True)
    assert "".join(pieces) == full


def test_incremental_decoder_never_splits_a_character(engine):
    tokenizer = engine.loaded.tokenizer
    text = "héllo 🙂 日本語 — ünïcödé\n```python\nprint('x')\n```"
    ids = tokenizer.encode(text, add_special_tokens=False)
    decoder = IncrementalDecoder(tokenizer)
    pieces = [decoder.push(i) for i in ids] + [decoder.flush()]
    assert all("\ufffd" not in p for p in pieces)
    assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True)


def test_same_seed_same_text_and_seed_is_reported(engine):
    a, _, sa = _chat(engine, max_new_tokens=30, do_sample=True, seed=42, temperature=1.2)
    b, _, sb = _chat(engine, max_new_tokens=30, do_sample=True, seed=42, temperature=1.2)
    c, _, _ = _chat(engine, max_new_tokens=30, do_sample=True, seed=43, temperature=1.2)
    assert "".join(a) == "".join(b)
    assert "".join(a) != "".join(c)
    assert sa.seed == sb.seed == 42
    # Without a seed a random one is drawn and reported, so the reply can be reproduced.
    d, _, sd = _chat(engine, max_new_tokens=30, do_sample=True, temperature=1.2)
    e, _, _ = _chat(engine, max_new_tokens=30, do_sample=True, seed=sd.seed, temperature=1.2)
    assert sd.seed is not None and "".join(d) == "".join(e)


def test_greedy_reports_no_seed(engine):
    _, _, stats = _chat(engine, max_new_tokens=5)
    assert stats.seed is None


def test_stop_sequence_ends_reply_and_is_not_shown(engine):
    full = "".join(_chat(engine, max_new_tokens=60)[0])
    assert len(full) > 20
    stop = full[len(full) // 2: len(full) // 2 + 3]
    pieces, _, stats = _chat(engine, max_new_tokens=60, stop_sequences=[stop])
    text = "".join(pieces)
    assert stats.stop_reason == "stop_sequence"
    assert text == full[: full.find(stop)]
    assert stop not in text


def test_length_stop_reason(engine):
    _, tokens, stats = _chat(engine, max_new_tokens=3)
    if stats.stop_reason != "eos":
        assert stats.stop_reason == "length" and stats.new_tokens == 3 and len(tokens) == 3


def test_cancel_mid_reply_stops_within_one_step(engine):
    cancel = threading.Event()
    pieces: list[str] = []
    tokens: list[TokenInfo] = []

    def on_token(info: TokenInfo) -> None:
        tokens.append(info)
        if len(tokens) == 3:
            cancel.set()

    stats = engine.chat([ChatTurn("user", "Count to a hundred.")], DecodingSettings(max_new_tokens=200), "",
                        on_text=pieces.append, cancel=cancel, on_token=on_token)
    assert stats.stop_reason == "cancelled"
    assert len(tokens) == 3
    assert stats.new_tokens <= 4  # the step in flight when the event was set, and no more


def test_cancel_during_prompt_processing(engine):
    """The event is set while the prompt's forward pass runs: no token is shown and generation stops there."""
    cancel = threading.Event()
    model = engine.loaded.model
    calls = []

    def hook(module, args, kwargs):
        calls.append(1)
        cancel.set()

    handle = model.model.layers[0].register_forward_pre_hook(hook, with_kwargs=True)
    pieces: list[str] = []
    try:
        stats = engine.chat([ChatTurn("user", "A long question " * 20)], DecodingSettings(max_new_tokens=200), "",
                            on_text=pieces.append, cancel=cancel)
    finally:
        handle.remove()
    assert stats.stop_reason == "cancelled"
    assert pieces == []
    assert len(calls) == 1  # only the prompt's forward pass ran
    assert stats.new_tokens <= 1


def test_cancel_before_start_runs_nothing(engine):
    cancel = threading.Event()
    cancel.set()
    stats = engine.chat([ChatTurn("user", "hi")], DecodingSettings(), "", on_text=lambda s: None, cancel=cancel)
    assert stats.stop_reason == "cancelled" and stats.new_tokens == 0


def test_token_inspector_reports_logprobs_and_alternatives(engine):
    _, tokens, _ = _chat(engine, max_new_tokens=8)
    assert len(tokens) >= 1
    for info in tokens:
        assert info.logprob <= 0
        assert len(info.top) == 10
        probs = [p for _, _, p in info.top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
        # Greedy without penalties picks the most likely token.
        assert info.top[0][0] == info.token_id
        assert abs(info.top[0][2] - torch.tensor(info.logprob).exp().item()) < 1e-4


def _long_conversation(n: int) -> list[ChatTurn]:
    turns = []
    for i in range(n):
        turns.append(ChatTurn("user", f"Question number {i}: tell me a fact about the number {i}."))
        turns.append(ChatTurn("assistant", f"Answer {i}: the number {i} is a fine number with many properties."))
    turns.append(ChatTurn("user", "And finally, what is the newest question?"))
    return turns


def test_context_fitting_keeps_system_and_newest_turns(engine):
    from llmdesk.engine.prompt import fit_prompt

    tokenizer = engine.loaded.tokenizer
    turns = _long_conversation(40)
    fit = fit_prompt(tokenizer, turns, "SYSTEM-RULES stay.", 512, 100)
    assert fit.dropped_messages > 0
    assert len(fit.input_ids) <= 512 - 100
    assert fit.kept_messages + fit.dropped_messages == len(turns)
    text = tokenizer.decode(fit.input_ids)
    assert "SYSTEM-RULES stay." in text
    assert "newest question" in text
    assert "Question number 0:" not in text
    kept = turns[fit.dropped_messages:]
    assert kept[0].role == "user"
    # Dropping one turn fewer would not fit: the fit is the longest that does.
    from llmdesk.engine.prompt import render

    starts = [i for i, t in enumerate(turns) if t.role == "user" and i < fit.dropped_messages]
    if starts:
        assert len(render(tokenizer, turns[starts[-1]:], "SYSTEM-RULES stay.")) > 412
    # The engine reports what it left out.
    stats = engine.chat(turns, DecodingSettings(max_new_tokens=100), "SYSTEM-RULES stay.", on_text=lambda s: None,
                        cancel=threading.Event())
    assert stats.dropped_messages == fit.dropped_messages
    assert stats.prompt_tokens == len(fit.input_ids)


def test_one_message_too_long_is_an_error_that_says_so(engine):
    with pytest.raises(PromptTooLongError) as err:
        engine.chat([ChatTurn("user", "word " * 2000)], DecodingSettings(max_new_tokens=50), "",
                    on_text=lambda s: None, cancel=threading.Event())
    message = str(err.value)
    assert "newest message" in message and "context window of 512 tokens" in message
    assert err.value.kind == "prompt_too_long"


def test_max_new_tokens_filling_the_window_is_refused(engine):
    with pytest.raises(EngineError) as err:
        engine.chat([ChatTurn("user", "hi")], DecodingSettings(max_new_tokens=600), "", on_text=lambda s: None,
                    cancel=threading.Event())
    assert err.value.kind == "bad_settings" and "600" in str(err.value)


def test_template_without_system_role_folds_system_into_first_user_turn(engine):
    from llmdesk.engine.prompt import render, template_supports_system

    tokenizer = engine.loaded.tokenizer
    original = tokenizer.chat_template
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}{{ '[' + m['role'] + ']' + m['content'] }}{% endfor %}{% if add_generation_prompt %}[assistant]"
        "{% endif %}")
    tokenizer._llmdesk_supports_system = None
    try:
        assert not template_supports_system(tokenizer)
        ids = render(tokenizer, [ChatTurn("user", "Hello")], "Be brief.")
        text = tokenizer.decode(ids)
        assert "[user]Be brief.\n\nHello" in text.replace("[user] ", "[user]")
    finally:
        tokenizer.chat_template = original
        tokenizer._llmdesk_supports_system = None


def test_no_model_loaded_is_a_clear_error():
    with pytest.raises(EngineError) as err:
        ChatEngine().chat([ChatTurn("user", "hi")], DecodingSettings(), "", on_text=lambda s: None,
                          cancel=threading.Event())
    assert err.value.kind == "no_model"


# -- bad input when loading ------------------------------------------------------------------------------------

def _load_error(**settings) -> EngineError:
    with pytest.raises(EngineError) as err:
        ChatEngine().load(ModelSettings(**settings))
    return err.value


def test_missing_folder(tmp_path):
    err = _load_error(model=str(tmp_path / "nothing-here"))
    assert err.kind == "not_found" and "does not exist" in str(err)


def test_folder_without_config(tmp_path):
    (tmp_path / "empty").mkdir()
    err = _load_error(model=str(tmp_path / "empty"))
    assert err.kind == "not_found" and "config.json" in str(err)


def test_not_a_causal_lm(tmp_path):
    from transformers import BertConfig

    BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37).save_pretrained(
        tmp_path / "bert")
    err = _load_error(model=str(tmp_path / "bert"))
    assert err.kind == "not_causal_lm" and "bert" in str(err)


def test_offline_and_not_cached():
    err = _load_error(model="someone/model-that-is-not-cached")
    assert err.kind == "offline"
    assert "not in the local Hugging Face cache" in str(err) and "local model folder" in str(err)


def test_unavailable_device(tiny_model_dir):
    err = _load_error(model=str(tiny_model_dir), device="cuda:7")
    assert err.kind == "device_unavailable" and "cuda:7" in str(err) and "cpu" in str(err)


def test_model_that_cannot_fit_is_refused_before_loading(tmp_path):
    from transformers import Phi3Config

    from tests.support.tiny import small_tokenizer

    folder = tmp_path / "huge"
    Phi3Config(hidden_size=16384, intermediate_size=65536, num_hidden_layers=200, num_attention_heads=128,
               num_key_value_heads=128).save_pretrained(folder)
    small_tokenizer().save_pretrained(folder)
    err = _load_error(model=str(folder), device="cpu", dtype="float32")
    assert err.kind == "too_large" and "does NOT fit" in str(err) and "Load even if it may not fit" in str(err)


def test_out_of_memory_translation():
    from llmdesk.engine.loader import translate_error

    err = translate_error(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "m", "cuda:0")
    assert err.kind == "out_of_memory" and "cuda:0" in str(err) and "smaller precision" in str(err)


def test_bad_dtype_is_refused():
    from llmdesk.engine.devices import resolve_dtype

    with pytest.raises(EngineError) as err:
        resolve_dtype("cpu", "int3")
    assert err.value.kind == "bad_settings" and "int3" in str(err.value)


def test_memory_estimate_never_goes_to_the_network(tiny_model_dir, monkeypatch):
    """An estimate for a Hub id that is not cached answers at once, even when the Hub could be tried."""
    import time

    from llmdesk.engine.devices import estimate_memory

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    started = time.perf_counter()
    with pytest.raises(EngineError) as err:
        estimate_memory(ModelSettings(model="someone/not-downloaded-model"))
    assert err.value.kind == "not_downloaded" and "not downloaded yet" in str(err.value)
    assert time.perf_counter() - started < 5
    estimate = estimate_memory(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    assert estimate.weight_bytes == ChatEngine().load(
        ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32")).weight_bytes
    assert estimate.fits and "fits" in estimate.message
