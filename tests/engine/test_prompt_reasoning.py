"""Earlier replies' reasoning in the prompt: left out, or passed as ``reasoning_content`` when the chat template
reads that field; a template that opens <think> in the prompt makes the stream start with that tag. The tiny
random-weight Phi-3's tokenizer with small reasoning-style templates; the tiny model itself for the stream."""

from __future__ import annotations

import threading

import pytest
from transformers import AutoTokenizer

from llmdesk.core.branches import prompt_turns
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.reasoning import split_pieces
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.prompt import fit_prompt, template_takes_reasoning, to_messages
from llmdesk.engine.session import ChatEngine
from llmdesk.engine.types import ChatTurn

# Like DeepSeek-R1 / older Qwen reasoning templates: knows nothing of reasoning_content; opens <think> itself.
PLAIN_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}")
# Like Qwen3: reads reasoning_content on assistant messages and writes it back in <think> tags.
FIELD_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>"
    "{% if m.role == 'assistant' and m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}"
    "{{ m.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def _conversation() -> Conversation:
    conv = Conversation()
    user = conv.add(Message("user", "What is 2+2?"))
    conv.add(Message("assistant", "**4**", parent_id=user.id, stop_reason="eos",
                     meta={"reasoning": "SECRET-REASONING adding two and two"}))
    conv.add(Message("user", "And 3+3?", parent_id=conv.current_leaf_id))
    return conv


def test_prompt_turns_carry_the_reasoning_apart_from_the_text() -> None:
    turns = prompt_turns(_conversation())
    assert turns[1] == ChatTurn("assistant", "**4**", "SECRET-REASONING adding two and two")


def test_a_template_without_reasoning_content_gets_no_reasoning(tokenizer) -> None:
    tokenizer.chat_template = PLAIN_TEMPLATE
    assert not template_takes_reasoning(tokenizer)
    text = tokenizer.decode(fit_prompt(tokenizer, prompt_turns(_conversation()), "", 100_000, 8).input_ids)
    assert "SECRET-REASONING" not in text and "</think>" not in text
    assert "**4**" in text


def test_a_template_that_reads_reasoning_content_gets_it_as_that_field(tokenizer) -> None:
    tokenizer.chat_template = FIELD_TEMPLATE
    assert template_takes_reasoning(tokenizer)
    text = tokenizer.decode(fit_prompt(tokenizer, prompt_turns(_conversation()), "", 100_000, 8).input_ids)
    assert "<think>SECRET-REASONING adding two and two</think>**4**" in text


def test_to_messages_field_only_on_replies_with_reasoning() -> None:
    turns = [ChatTurn("user", "a"), ChatTurn("assistant", "b", "r"), ChatTurn("user", "c"),
             ChatTurn("assistant", "d")]
    assert to_messages(turns, "", True)[1] == {"role": "assistant", "content": "b"}
    with_field = to_messages(turns, "", True, with_reasoning=True)
    assert with_field[1] == {"role": "assistant", "content": "b", "reasoning_content": "r"}
    assert with_field[3] == {"role": "assistant", "content": "d"}


def test_prompt_that_opens_think_starts_the_stream_with_the_tag(tiny_model_dir) -> None:
    engine = ChatEngine()
    engine.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    try:
        engine.loaded.tokenizer.chat_template = PLAIN_TEMPLATE
        pieces: list[str] = []
        engine.chat([ChatTurn("user", "hi")], DecodingSettings(max_new_tokens=6, temperature=0.0), "",
                    on_text=pieces.append, cancel=threading.Event())
        assert pieces[0] == "<think>"
        # random weights never close the block: the whole reply is reasoning, the answer empty
        result = split_pieces(pieces)
        assert result.answer == "" and result.reasoning == "".join(pieces[1:]).strip()
        engine.loaded.tokenizer.chat_template = FIELD_TEMPLATE
        pieces.clear()
        engine.chat([ChatTurn("user", "hi")], DecodingSettings(max_new_tokens=4, temperature=0.0), "",
                    on_text=pieces.append, cancel=threading.Event())
        assert "<think>" not in pieces[:1]
    finally:
        engine.unload()
