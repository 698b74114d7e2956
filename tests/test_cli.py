"""``llmdesk ask`` and ``llmdesk bench`` end to end on the tiny model, in process."""

from __future__ import annotations

import json

import pytest

from llmdesk.__main__ import main

pytestmark = pytest.mark.slow


def test_ask_streams_reply_to_stdout_and_stats_to_stderr(tiny_model_dir, capsys):
    rc = main(["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--max-new-tokens", "12", "--seed", "3",
               "Hello there"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert out.strip()
    assert "prompt" in err and "reply" in err and "seed 3" in err
    # Same seed, same reply.
    main(["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--max-new-tokens", "12", "--seed", "3",
          "Hello there"])
    again, _ = capsys.readouterr()
    assert again == out


def test_ask_refuses_an_invalid_setting_naming_it(capsys):
    rc = main(["ask", "--temperature", "9", "hi"])
    _, err = capsys.readouterr()
    assert rc == 2 and "decoding.temperature: must be from 0.01 to 5.0, not 9.0" in err


def test_ask_reports_a_missing_model(tmp_path, capsys):
    rc = main(["ask", "--model", str(tmp_path / "missing"), "hi"])
    _, err = capsys.readouterr()
    assert rc == 1 and "does not exist" in err


def test_bench_random_weights_json(tiny_model_dir, capsys):
    rc = main(["bench", "--random-weights", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32",
               "--prompt-tokens", "8", "--new-tokens", "6", "--repeats", "1", "--turns", "0", "--json"])
    out, _ = capsys.readouterr()
    assert rc == 0
    report = json.loads(out)
    assert report["prompt_tokens"] == 8 and report["new_tokens"] == 6 and report["multi_turn"] is None
    assert report["engine"]["decode_tokens_per_s"] > 0 and report["bare"]["decode_tokens_per_s"] > 0
    assert report["decode_ratio"] == pytest.approx(
        report["engine"]["decode_tokens_per_s"] / report["bare"]["decode_tokens_per_s"])
    assert report["weight_bytes"] == report["parameters"] * 4
    assert report["implied_bandwidth_gb_s"] > 0


def test_bench_multi_turn_reprefill_vs_kept_cache(tiny_model_dir, capsys):
    rc = main(["bench", "--random-weights", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32",
               "--prompt-tokens", "8", "--new-tokens", "2", "--repeats", "1", "--turns", "4", "--turn-tokens", "40",
               "--reply-tokens", "3", "--json"])
    out, _ = capsys.readouterr()
    assert rc == 0
    multi = json.loads(out)["multi_turn"]
    assert multi["turns"] == 4 and multi["reply_tokens"] == 3
    for key in ("prompt_tokens", "ttft_reprefill_s", "ttft_cached_s", "cached_tokens"):
        assert len(multi[key]) == 4
    prompts, cached = multi["prompt_tokens"], multi["cached_tokens"]
    assert all(b - a >= 30 for a, b in zip(prompts, prompts[1:]))  # each turn adds about 40 tokens
    assert cached[0] == 0 and all(0 < c < p for c, p in zip(cached[1:], prompts[1:]))
    assert all(t > 0 for t in multi["ttft_reprefill_s"] + multi["ttft_cached_s"])
    assert multi["last_turn_ratio"] == pytest.approx(multi["ttft_cached_s"][-1] / multi["ttft_reprefill_s"][-1])
    rc = main(["bench", "--random-weights", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32",
               "--prompt-tokens", "8", "--new-tokens", "2", "--repeats", "1", "--turns", "2", "--turn-tokens", "40"])
    out, _ = capsys.readouterr()
    assert rc == 0 and "multi-turn chat: 2 turns" in out and "with the kept cache" in out


def test_bench_refuses_bad_multi_turn_flags(capsys):
    assert main(["bench", "--turns", "-1"]) == 2
    assert main(["bench", "--turn-tokens", "10", "--reply-tokens", "4"]) == 2
    _, err = capsys.readouterr()
    assert "--turn-tokens" in err


def test_bench_refuses_both_sources(capsys):
    assert main(["bench", "--model", "x", "--random-weights", "y"]) == 2


def test_default_ask_greedy_equals_bare_generate_on_the_lone_user_message(tiny_model_dir, capsys):
    """The reference pipeline: the user message alone (no system prompt), greedy. ``llmdesk ask --greedy`` with the
    default settings gives exactly what bare transformers ``generate`` gives on that one message."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from llmdesk.core.settings import Settings

    assert Settings().system_prompt == ""
    assert Settings().decoding.max_new_tokens == 500 and not Settings().decoding.do_sample
    prompt = "Create a funny joke about chickens."
    max_new = 48  # the tiny model's context window is 512 tokens; 500 is the default for real models
    rc = main(["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32", "--greedy",
               "--max-new-tokens", str(max_new), prompt])
    out, err = capsys.readouterr()
    assert rc == 0, err

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        generated = model.generate(**inputs, max_new_tokens=max_new, do_sample=False)
    bare = tokenizer.decode(generated[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert bare.strip()
    assert out == bare + "\n"
    assert f"prompt {inputs['input_ids'].shape[1]} tokens" in err


def test_ask_conversation_refuses_an_unknown_id(capsys):
    rc = main(["ask", "--conversation", "nope", "hi"])
    _, err = capsys.readouterr()
    assert rc == 2 and "--conversation: no stored conversation has the id 'nope'" in err
