"""``llmdesk ask --json`` and ``llmdesk prompt`` on the tiny model, in process; the prompt view and the meter's count
against the engine's own prompt ids."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from llmdesk.__main__ import main
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.prompt_view import build_prompt_view, count_prompt_tokens, load_tokenizer
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.types import ChatTurn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tiny_model_dir) -> ChatEngine:
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    return eng


def test_ask_json_prints_tokens_with_raw_logprobs(tiny_model_dir, engine, capsys):
    rc = main(["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32", "--max-new-tokens",
               "6", "--repetition-penalty", "1.5", "--top-logprobs", "4", "--json", "--system", "S", "Hello there"])
    out, _ = capsys.readouterr()
    assert rc == 0
    data = json.loads(out)
    assert data["distribution"] == "raw" and data["stats"]["new_tokens"] == len(data["tokens"])
    ids = [t["id"] for t in data["tokens"]]
    prompt = engine.prompt_ids([ChatTurn("user", "Hello there")], DecodingSettings(max_new_tokens=6), "S").input_ids
    model = engine.loaded.model
    for j, tok in enumerate(data["tokens"]):
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prompt + ids[:j]])).logits[0, -1].float()
        logprobs = torch.log_softmax(logits, -1)
        assert tok["logprob"] == pytest.approx(float(logprobs[tok["id"]]), abs=1e-4)
        assert [t["id"] for t in tok["top"]] == torch.topk(logprobs, 4).indices.tolist()
        assert set(tok["top"][0]) == {"id", "text", "logprob"}
    joined = engine.loaded.tokenizer.decode([i for i in ids if i not in engine.loaded.end_token_ids],
                                            skip_special_tokens=True)
    assert data["reply"] == joined


def test_ask_json_sampled_distribution_differs_under_penalty(tiny_model_dir, capsys):
    args = ["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32", "--max-new-tokens", "5",
            "--sample", "--seed", "4", "--temperature", "0.5", "--top-k", "5", "--json", "Hi"]
    assert main(args) == 0
    raw = json.loads(capsys.readouterr().out)
    assert main([*args, "--sampled-distribution"]) == 0
    sampled = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in raw["tokens"]] == [t["id"] for t in sampled["tokens"]]
    assert sampled["distribution"] == "sampled"
    # Temperature 0.5 sharpens: the chosen token is likelier under the sampled distribution; top-k 5 leaves 5.
    for r, s in zip(raw["tokens"], sampled["tokens"], strict=True):
        assert s["logprob"] > r["logprob"]
        assert len(s["top"]) == 5 and len(r["top"]) == 10


def test_ask_refuses_bad_top_logprobs(capsys):
    assert main(["ask", "--top-logprobs", "11", "--json", "hi"]) == 2
    assert "--top-logprobs must be 0 to 10" in capsys.readouterr().err


def test_prompt_view_decodes_exactly_the_engine_ids(tiny_model_dir, engine, capsys):
    turns = [ChatTurn("user", "Hi ünïcödé 日本語"), ChatTurn("assistant", "Hello!"), ChatTurn("user", "Go on")]
    tokenizer, window = load_tokenizer(str(tiny_model_dir))
    decoding = DecodingSettings(max_new_tokens=50)
    view = build_prompt_view(tokenizer, turns, "Be brief.", window, 50)
    fit = engine.prompt_ids(turns, decoding, "Be brief.")
    assert view.input_ids == fit.input_ids
    assert view.text == engine.loaded.tokenizer.decode(fit.input_ids, skip_special_tokens=False,
                                                       clean_up_tokenization_spaces=False)
    assert [t.token_id for t in view.tokens] == fit.input_ids
    assert any(t.special for t in view.tokens) and "<|user|>" in view.text
    # The meter counts the same number of tokens as the engine sends when nothing is left out.
    assert count_prompt_tokens(tokenizer, turns, "Be brief.") == len(fit.input_ids)
    # And the command prints that text and count.
    rc = main(["prompt", "--model", str(tiny_model_dir), "--system", "Be brief.", "--json", "Hi"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    one = engine.prompt_ids([ChatTurn("user", "Hi")], DecodingSettings(), "Be brief.").input_ids
    assert data["input_ids"] == one and data["token_count"] == len(one)
    assert data["text"] == engine.loaded.tokenizer.decode(one, skip_special_tokens=False,
                                                          clean_up_tokenization_spaces=False)
    rc = main(["prompt", "--model", str(tiny_model_dir), "--system", "Be brief.", "Hi"])
    out, err = capsys.readouterr()
    assert rc == 0 and out.rstrip("\n") == data["text"].rstrip("\n") and f"{len(one)} tokens of" in err


def test_prompt_from_a_saved_conversation(tiny_model_dir, capsys):
    from llmdesk.core.conversation import Message
    from llmdesk.core.store import ConversationStore

    with ConversationStore() as store:
        conv = store.create_conversation()
        user = Message("user", "First question")
        store.add_message(conv.id, user)
        store.add_message(conv.id, Message("assistant", "First answer", parent_id=user.id, stop_reason="eos"))
    args = ["prompt", "--model", str(tiny_model_dir), "--max-new-tokens", "50", "--conversation", conv.id]
    assert main([*args, "--json", "Next"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "First question" in data["text"], captured.err
    assert "First answer" in data["text"] and "Next" in data["text"] and data["dropped_messages"] == 0
    # With room for 505 new tokens in the tiny model's 512, the older exchange is left out, and said so.
    assert main([*args, "--max-new-tokens", "505", "Next"]) == 0
    captured = capsys.readouterr()
    assert "First question" not in captured.out and "2 oldest messages left out" in captured.err
    assert main(["prompt", "--model", str(tiny_model_dir), "--conversation", "nope"]) == 1
    assert "no conversation 'nope'" in capsys.readouterr().err


def test_raw_prompt_has_no_template(tiny_model_dir):
    tokenizer, window = load_tokenizer(str(tiny_model_dir))
    view = build_prompt_view(tokenizer, [ChatTurn("user", "Once upon a time")], "", window, 10, raw=True)
    assert "<|user|>" not in view.text and view.text.endswith("Once upon a time")
    assert view.input_ids == tokenizer("Once upon a time")["input_ids"]


def test_continue_signal_does_not_break_cancel(engine):
    cancel = threading.Event()
    cancel.set()
    stats = engine.continue_from_tokens([ChatTurn("user", "hi")], DecodingSettings(), "", [5],
                                        on_text=lambda s: None, cancel=cancel)
    assert stats.stop_reason == "cancelled"
