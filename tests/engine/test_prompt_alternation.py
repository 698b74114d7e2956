"""Whatever the shown path holds (turns of one role in a row after failed or stopped replies, imported chats that
start with a reply), the prompt is one a strict-alternation chat template accepts. Property-based, with the tiny
model's real tokenizer and a Llama-2/Mistral-style template; no model is run."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from llmdesk.engine.errors import ChatTemplateError
from llmdesk.engine.prompt import fit_prompt, to_messages
from llmdesk.engine.types import ChatTurn

STRICT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}")


@pytest.fixture(scope="module")
def strict_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = STRICT_TEMPLATE
    return tokenizer


turns_strategy = st.lists(
    st.builds(ChatTurn, st.sampled_from(["user", "assistant", "system"]),
              st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)),
    min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(turns=turns_strategy, system_prompt=st.sampled_from(["", "Be brief."]))
def test_every_shown_path_gives_a_prompt_the_strict_template_accepts(strict_tokenizer, turns, system_prompt):
    if not any(t.role == "user" for t in turns):
        return  # nothing to answer: refused before any template (fit_prompt's own error)
    fit = fit_prompt(strict_tokenizer, turns, system_prompt, context_window=100_000, max_new_tokens=8)
    assert fit.input_ids and fit.kept_messages >= 1
    messages = to_messages([t for t in turns if t.role != "system"][fit.dropped_messages:], system_prompt, False)
    roles = [m["role"] for m in messages]
    assert all(a != b for a, b in zip(roles, roles[1:])), roles
    assert roles[0] == "user"
    text = strict_tokenizer.decode(fit.input_ids)
    for turn in turns[-3:]:
        if turn.role == "user":
            assert turn.content.strip() in text or turn.content in text


def test_a_reply_with_nothing_to_answer_before_it_is_a_template_error_of_its_own_kind(strict_tokenizer):
    with pytest.raises(ChatTemplateError) as err:
        fit_prompt(strict_tokenizer, [ChatTurn("assistant", "Hello")], "", 100_000, 8)
    assert err.value.kind == "chat_template" and "must alternate" in str(err.value)
