"""The token inspector in the window (scripted engine): shading that is not colour alone and copies as text, the
token popup, "continue from here with this token" as a saved version, and the trace surviving a reopen."""

from __future__ import annotations


from llmdesk.core.store import ConversationStore
from llmdesk.core.token_trace import trace_tokens
from llmdesk.gui.chat.token_view import BANDS, band, shown_prob, spans
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from tests.gui.test_gui_integration import make_window, send

PIECES = ["A", " fox", " is", " a", " small", " member", " of", " the", " dog", " family", "."]


def _window(qtbot):
    engine = ScriptedEngine(pieces=PIECES)
    return make_window(qtbot, engine), engine


def test_reply_is_shaded_by_band_and_copies_as_its_text(qtbot):
    window, _ = _window(qtbot)
    reply = send(qtbot, window, "What is a fox?")
    tokens = trace_tokens(reply.meta)
    assert tokens is not None and len(tokens) == len(PIECES)
    assert sum(t.chars for t in tokens) == len(reply.content)
    controls = window.chat_view.message_widget(reply.id).token_controls
    assert controls.button.isVisible() and not controls.button.isChecked()
    window.shade_tokens_action.setChecked(True)
    assert controls.button.isChecked() and controls.view.isVisible()
    view = controls.view
    assert view.toPlainText() == reply.content  # selectable and copyable as the reply's text
    # Every token's span has the underline style of its probability band (not colour alone).
    doc = view.document()
    for index, start, end in spans(reply.content, tokens):
        cursor = view.textCursor()
        cursor.setPosition(start + 1)
        fmt = cursor.charFormat()
        assert fmt.anchorHref() == f"tok:{index}"
        assert fmt.underlineStyle() == BANDS[band(shown_prob(tokens[index]))][1]
    styles = {band(shown_prob(t)) for t in tokens}
    assert len(styles) >= 3  # the scripted probabilities cover several bands
    assert doc.characterCount() > 0
    # The per-message switch turns this reply back to the rendered text.
    controls.button.setChecked(False)
    assert not view.isVisible() and window.chat_view.message_widget(reply.id).browser.isVisible()


def test_popup_lists_alternatives_and_continue_makes_a_saved_version(qtbot):
    window, _ = _window(qtbot)
    reply = send(qtbot, window, "What is a fox?")
    window.shade_tokens_action.setChecked(True)
    controls = window.chat_view.message_widget(reply.id).token_controls
    popup = controls.open_popup(4)
    token = controls.tokens[4]
    assert popup.isVisible()
    alternative = next(i for i, _s, _p in token.raw_top if i != token.token_id)
    assert alternative in popup.continue_buttons and token.token_id not in popup.continue_buttons
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        popup.continue_buttons[alternative].click()
    branch = finished.args[0]
    conv = window.controller.conversation
    assert branch.parent_id == reply.parent_id and branch.id != reply.id
    assert [m.id for m in conv.siblings(reply.id)] == [reply.id, branch.id]  # ◀ 2 / 2 ▶
    alt_text = dict((i, s) for i, s, _p in token.raw_top)[alternative]
    assert branch.content.startswith("".join(PIECES[:4]) + alt_text)
    new_tokens = trace_tokens(branch.meta)
    assert [t.token_id for t in new_tokens[:5]] == [t.token_id for t in controls.tokens[:4]] + [alternative]
    assert sum(t.chars for t in new_tokens) == len(branch.content)
    assert branch.meta["branched_from"] == {"message": reply.id, "token_index": 4, "token_id": alternative}
    # Saved like any reply: reopened from the database, both versions and their tokens are there.
    with ConversationStore() as store:
        again = store.load_conversation(conv.id)
    assert trace_tokens(again.messages[branch.id].meta) is not None
    assert trace_tokens(again.messages[reply.id].meta) is not None


def test_compare_answers_twice_side_by_side_each_kept_as_a_version(qtbot):
    window, _ = _window(qtbot)
    reply = send(qtbot, window, "What is a fox?")
    replies = []
    window.controller.reply_finished.connect(replies.append)
    dialog = window.compare_last(0)  # greedy vs temperature 1.2
    qtbot.waitUntil(lambda: len(replies) == 2, timeout=10_000)
    a, b = replies
    assert a.meta["compare"]["label"] == "A" and b.meta["compare"]["label"] == "B"
    assert a.meta["compare"]["group"] == b.meta["compare"]["group"]
    assert a.meta["decoding"]["do_sample"] is False
    assert b.meta["decoding"]["do_sample"] is True and b.meta["decoding"]["temperature"] == 1.2
    conv = window.controller.conversation
    assert [m.id for m in conv.siblings(reply.id)] == [reply.id, a.id, b.id]
    assert dialog.text("A") == a.content and dialog.text("B") == b.content
    assert "greedy" in dialog.columns["A"][0].text() and "temperature 1.2" in dialog.columns["B"][0].text()
    assert window.controller.decoding.do_sample is False  # the window's own settings are untouched


def test_raw_completion_sends_the_text_without_template(qtbot):
    from llmdesk.gui.chat.prompt_dialog import prompt_request

    window, engine = _window(qtbot)
    window.raw_action.setChecked(True)
    reply = send(qtbot, window, "Once upon a time")
    assert engine.raw_texts == ["Once upon a time"]
    assert reply.meta["raw_completion"] is True
    assert prompt_request(window.controller.conversation, reply.id, "")["raw"] is True
    window.raw_action.setChecked(False)
    send(qtbot, window, "Hello")
    assert engine.raw_texts == ["Once upon a time"]
