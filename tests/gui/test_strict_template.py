"""A chat template that insists on alternating user/assistant turns (Gemma, Mistral, Llama-2 style), on the tiny
random Phi-3: a reply stopped before its first token or failed leaves no text, and the conversation goes on, in the
window and through ``llmdesk ask --conversation``. A template that refuses anyway is an error of its own kind."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from llmdesk.core.settings import DecodingSettings, ModelSettings, Settings
from llmdesk.engine.errors import ChatTemplateError
from llmdesk.engine.types import ChatTurn

pytestmark = pytest.mark.slow

ALTERNATE = "Conversation roles must alternate user/assistant/user/assistant/..."
STRICT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('" + ALTERNATE + "') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + '<|end|>\n' }}"
    "{% else %}{{ '<|assistant|>\n' + message['content'] + '<|end|>\n' }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}")


@pytest.fixture(scope="module")
def strict_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with a strict-alternation chat template."""
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("strict") / "model"
    shutil.copytree(tiny_model_dir, out)
    for name in ("chat_template.jinja", "chat_template.json"):
        (out / name).unlink(missing_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(out)
    tokenizer.chat_template = STRICT_TEMPLATE
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def strict_engine(strict_model_dir):
    from llmdesk.engine.session import ChatEngine

    engine = ChatEngine()
    engine.load(ModelSettings(model=str(strict_model_dir), device="cpu", dtype="float32"))
    yield engine
    engine.unload()


def _chat(engine, turns, system_prompt="", **decoding):
    pieces: list[str] = []
    stats = engine.chat(turns, DecodingSettings(max_new_tokens=3, **decoding), system_prompt, on_text=pieces.append,
                        cancel=threading.Event())
    return "".join(pieces), stats


def test_the_template_really_is_strict(strict_engine):
    tokenizer = strict_engine.loaded.tokenizer
    with pytest.raises(Exception, match="must alternate"):
        tokenizer.apply_chat_template([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
                                      tokenize=False, add_generation_prompt=True)


def test_consecutive_user_turns_are_merged_and_answered(strict_engine):
    from llmdesk.engine.prompt import fit_prompt

    # What a conversation looks like after a reply that failed before its first token (empty turns are not sent).
    turns = [ChatTurn("user", "First question"), ChatTurn("assistant", "An answer"), ChatTurn("user", "Second"),
             ChatTurn("user", "Second, again")]
    text, stats = _chat(strict_engine, turns, system_prompt="Be brief.")
    assert stats.stop_reason in ("eos", "length") and stats.error is None
    tokenizer = strict_engine.loaded.tokenizer
    fit = fit_prompt(tokenizer, turns, "Be brief.", 512, 3)
    prompt = tokenizer.decode(fit.input_ids)
    assert "Second\n\nSecond, again" in prompt
    assert "Be brief.\n\nFirst question" in prompt  # no system role: folded into the first user turn


def test_a_template_that_refuses_is_a_chat_template_error(strict_engine):
    tokenizer = strict_engine.loaded.tokenizer
    original = tokenizer.chat_template
    tokenizer.chat_template = "{{ raise_exception('This model only takes Klingon') }}"
    try:
        with pytest.raises(ChatTemplateError) as err:
            _chat(strict_engine, [ChatTurn("user", "hi")])
    finally:
        tokenizer.chat_template = original
    assert err.value.kind == "chat_template"
    assert "This model only takes Klingon" in str(err.value)
    assert "Unexpected" not in str(err.value)


def test_window_goes_on_after_a_stop_before_the_first_token_and_a_failed_reply(qtbot, strict_model_dir):
    from llmdesk.core.store import ConversationStore
    from llmdesk.gui.app import build_window

    settings = Settings()
    settings.decoding.max_new_tokens = 3
    model = ModelSettings(model=str(strict_model_dir), device="cpu", dtype="float32")
    window = build_window(settings, initial_model=model, save=None, remember_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    controller = window.controller
    qtbot.waitUntil(lambda: controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert controller.model_info is not None, window.banner.label.text()

    # 1. stopped before its first token
    with qtbot.waitSignal(controller.reply_finished, timeout=60_000) as finished:
        window.send("Tell me a story")
        window.stop()
    stopped = finished.args[0]
    assert stopped.content == "" and stopped.stop_reason == "cancelled"

    # 2. a reply that fails (max new tokens fills the whole context window)
    controller.set_decoding(DecodingSettings(max_new_tokens=512))
    with qtbot.waitSignal(controller.reply_finished, timeout=60_000) as finished:
        window.send("Please?")
    failed = finished.args[0]
    assert failed.content == "" and failed.stop_reason == "error"

    # 3. the conversation goes on: the three user messages are merged into one user turn
    controller.set_decoding(DecodingSettings(max_new_tokens=3))
    with qtbot.waitSignal(controller.reply_finished, timeout=60_000) as finished:
        window.send("Go on")
    reply = finished.args[0]
    assert reply.stop_reason in ("eos", "length"), reply.meta
    assert "error" not in reply.meta, reply.meta

    # another failed reply, so that the terminal's message follows a user message with no answer
    controller.set_decoding(DecodingSettings(max_new_tokens=512))
    with qtbot.waitSignal(controller.reply_finished, timeout=60_000) as finished:
        window.send("One more?")
    assert finished.args[0].stop_reason == "error"
    conv_id = controller.conversation.id
    window.close()

    # 4. and through the terminal, on the same conversation
    from llmdesk.__main__ import main

    assert main(["ask", "--conversation", conv_id, "--model", str(strict_model_dir), "--device", "cpu",
                 "--dtype", "float32", "--max-new-tokens", "3", "--greedy", "And then?"]) == 0
    with ConversationStore() as store:
        saved = store.load_conversation(conv_id)
    path = saved.path()
    assert [m.role for m in path] == ["user", "assistant"] * 5
    assert [m.stop_reason for m in path[1::2]][:4] == ["cancelled", "error", reply.stop_reason, "error"]
    assert path[-2].content == "And then?" and path[-1].stop_reason in ("eos", "length"), path[-1].meta
    assert path[-1].meta["stats"]["new_tokens"] > 0 and path[-1].meta["model"] == str(strict_model_dir)
