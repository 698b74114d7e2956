"""The context meter with the real tiny model's tokenizer and chat template: its count equals the length of the
engine's prompt ids, and the messages the engine would leave out are the ones marked."""

from __future__ import annotations

import pytest

from llmdesk.core.conversation import ChatTurn
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.session import ChatEngine
from llmdesk.gui.chat.context_meter import ContextMeter, PromptCounter

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tiny_model_dir) -> ChatEngine:
    eng = ChatEngine()
    eng.load(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    return eng


def _count(qtbot, counter, *args):
    with qtbot.waitSignal(counter.counted, timeout=60_000) as got:
        counter.request(*args)
    return got.args[0]


def test_count_equals_engine_prompt_ids_and_left_out_are_the_dropped(qtbot, tiny_model_dir, engine):
    counter = PromptCounter(debounce_ms=10)
    turns = [ChatTurn("user", "Tell me about foxes."), ChatTurn("assistant", "Foxes are small canids."),
             ChatTurn("user", "And wolves? " * 3)]
    ids = ["u1", "a1", ""]
    result = _count(qtbot, counter, str(tiny_model_dir), turns, ids, "Be brief.", 100)
    fit = engine.prompt_ids(turns, DecodingSettings(max_new_tokens=100), "Be brief.")
    assert not result.error
    assert result.tokens == len(fit.input_ids) == result.full_tokens
    assert result.budget == 512 - 100 and result.left_out == ()
    # Room for 480 new tokens: the engine drops the first exchange, and the meter names exactly those messages.
    long_turns = [ChatTurn("user", "word " * 20), ChatTurn("assistant", "reply " * 20), turns[2]]
    result = _count(qtbot, counter, str(tiny_model_dir), long_turns, ids, "Be brief.", 460)
    fit = engine.prompt_ids(long_turns, DecodingSettings(max_new_tokens=460), "Be brief.")
    assert fit.dropped_messages == 2
    assert result.left_out == ("u1", "a1") and result.tokens == len(fit.input_ids)
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.show_result(result)
    assert "2 oldest messages will not be sent" in meter.label.text()
    assert meter.bar.value() == result.tokens
    counter.wait()


def test_newest_request_wins_and_errors_are_said(qtbot, tmp_path):
    counter = PromptCounter(debounce_ms=10)
    seen = []
    counter.counted.connect(seen.append)
    counter.request(str(tmp_path / "missing"), [ChatTurn("user", "a")], [""], "", 10)
    with qtbot.waitSignal(counter.counted, timeout=60_000):
        counter.request(str(tmp_path / "missing2"), [ChatTurn("user", "b")], [""], "", 10)
    counter.wait()
    assert len(seen) == 1 and "not on this machine" in seen[0].error


def test_prompt_view_rebuilds_the_engine_ids_from_what_the_reply_saved(qtbot, tiny_model_dir, engine):
    from llmdesk.core.conversation import Conversation, Message
    from llmdesk.gui.chat.prompt_dialog import PromptDialog, PromptTask, prompt_request

    conv = Conversation()
    u1 = conv.add(Message("user", "Tell me about foxes."))
    a1 = conv.add(Message("assistant", "Foxes are small.", parent_id=u1.id, stop_reason="eos"))
    u2 = conv.add(Message("user", "And wolves?", parent_id=a1.id))
    reply = conv.add(Message("assistant", "Wolves are big.", parent_id=u2.id, stop_reason="eos",
                             meta={"decoding": {"max_new_tokens": 80}, "system_prompt": "Be brief."}))
    request = prompt_request(conv, reply.id, "some other default")
    counter = PromptCounter()
    got = []

    class Done:
        def emit(self, view, error):
            got.append((view, error))

    PromptTask(counter, str(tiny_model_dir), request, Done()).run()
    view, error = got[0]
    assert not error
    turns = [ChatTurn("user", "Tell me about foxes."), ChatTurn("assistant", "Foxes are small."),
             ChatTurn("user", "And wolves?")]
    fit = engine.prompt_ids(turns, DecodingSettings(max_new_tokens=80), "Be brief.")
    assert view.input_ids == fit.input_ids
    assert view.text == engine.loaded.tokenizer.decode(fit.input_ids, skip_special_tokens=False,
                                                       clean_up_tokenization_spaces=False)
    dialog = PromptDialog("prompt")
    qtbot.addWidget(dialog)
    dialog.show_view(view)
    assert dialog.text.toPlainText() == view.text  # what is shown and copied is the exact decode
    assert f"{len(fit.input_ids):,} tokens" in dialog.summary.text()
    assert dialog.tokens.toPlainText().count("<|user|>") == 2
