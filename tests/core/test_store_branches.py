"""Branches: regenerate, edit, switch between alternatives, continue; the prompt follows the shown path; the store
keeps every branch across a restart."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from llmdesk.core.branches import (
    BranchError,
    can_continue,
    continue_turns,
    edit_user_message,
    new_reply,
    position_label,
    prompt_turns,
    regenerate_parent,
    reveal_message,
    sibling_position,
    switch_sibling,
)
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.store import ConversationStore
from llmdesk.engine.types import ChatTurn

_clock = itertools.count(1000)


def msg(role: str, text: str, parent: Message | None = None, **kw) -> Message:
    return Message(role, text, parent_id=parent.id if parent else None, created_at=float(next(_clock)), **kw)


def build() -> tuple[Conversation, dict[str, Message]]:
    """system -> u1 -> a1 -> u2 -> a2 (shown)."""
    conv = Conversation()
    m: dict[str, Message] = {}
    m["sys"] = conv.add(msg("system", "Be brief."))
    m["u1"] = conv.add(msg("user", "Name a fruit.", m["sys"]))
    m["a1"] = conv.add(msg("assistant", "Apple.", m["u1"], stop_reason="eos"))
    m["u2"] = conv.add(msg("user", "Another?", m["a1"]))
    m["a2"] = conv.add(msg("assistant", "Pear.", m["u2"], stop_reason="eos"))
    return conv, m


def texts(turns: list[ChatTurn]) -> list[str]:
    return [t.content for t in turns]


def test_prompt_is_the_shown_path():
    conv, m = build()
    assert prompt_turns(conv) == [ChatTurn("system", "Be brief."), ChatTurn("user", "Name a fruit."),
                                  ChatTurn("assistant", "Apple."), ChatTurn("user", "Another?"),
                                  ChatTurn("assistant", "Pear.")]
    assert texts(prompt_turns(conv, m["u1"].id)) == ["Be brief.", "Name a fruit."]
    assert prompt_turns(Conversation()) == []


def test_regenerate_adds_an_alternative_and_prompt_stops_at_the_question():
    conv, m = build()
    parent, turns = regenerate_parent(conv, m["a2"].id)
    assert parent.id == m["u2"].id
    assert texts(turns) == ["Be brief.", "Name a fruit.", "Apple.", "Another?"]
    reply = new_reply(conv, parent.id)
    assert conv.current_leaf_id == reply.id and reply.content == ""
    assert position_label(conv, reply.id) == "2 / 2" and position_label(conv, m["a2"].id) == "1 / 2"
    # the empty reply being generated is not part of the prompt
    assert texts(prompt_turns(conv)) == texts(turns)
    reply.content = "Banana."
    third = new_reply(conv, parent.id)
    third.content = "Cherry."
    assert sibling_position(conv, third.id) == (3, 3)
    assert texts(prompt_turns(conv))[-1] == "Cherry."


def test_regenerate_rejects_non_replies():
    conv, m = build()
    with pytest.raises(BranchError, match="only a reply"):
        regenerate_parent(conv, m["u2"].id)
    with pytest.raises(BranchError, match="not in conversation"):
        regenerate_parent(conv, "nope")
    with pytest.raises(BranchError, match="must follow"):
        new_reply(conv, m["a1"].id)


def test_switch_siblings_moves_the_shown_path_and_the_prompt():
    conv, m = build()
    _, _ = regenerate_parent(conv, m["a2"].id)
    b = new_reply(conv, m["u2"].id)
    b.content = "Banana."
    assert texts(prompt_turns(conv))[-1] == "Banana."
    leaf = switch_sibling(conv, b.id, -1)
    assert leaf == m["a2"].id == conv.current_leaf_id
    assert texts(prompt_turns(conv))[-1] == "Pear."
    assert switch_sibling(conv, m["a2"].id, -1) == m["a2"].id  # stops at the first
    assert switch_sibling(conv, m["a2"].id, +1) == b.id
    assert switch_sibling(conv, b.id, +1) == b.id              # stops at the last
    assert position_label(conv, m["u1"].id) == ""              # no alternatives


def test_edit_starts_a_branch_and_switching_back_restores_the_old_continuation():
    conv, m = build()
    edited = edit_user_message(conv, m["u1"].id, "Name a vegetable.")
    assert edited.parent_id == m["sys"].id and conv.current_leaf_id == edited.id
    assert texts(prompt_turns(conv)) == ["Be brief.", "Name a vegetable."]
    assert position_label(conv, edited.id) == "2 / 2"
    carrot = new_reply(conv, edited.id)
    carrot.content = "Carrot."
    # back to the original question: the shown path goes down to its newest leaf again
    assert switch_sibling(conv, edited.id, -1) == m["a2"].id
    assert texts(prompt_turns(conv)) == ["Be brief.", "Name a fruit.", "Apple.", "Another?", "Pear."]
    assert switch_sibling(conv, m["u1"].id, +1) == carrot.id
    # every original message is still there
    assert all(x.id in conv.messages for x in m.values())
    with pytest.raises(BranchError, match="only your own"):
        edit_user_message(conv, m["a1"].id, "x")
    with pytest.raises(BranchError, match="empty"):
        edit_user_message(conv, m["u1"].id, "   ")


def test_edit_of_a_later_message_keeps_the_earlier_turns():
    conv, m = build()
    edited = edit_user_message(conv, m["u2"].id, "And a red one?")
    assert texts(prompt_turns(conv)) == ["Be brief.", "Name a fruit.", "Apple.", "And a red one?"]
    assert sibling_position(conv, edited.id) == (2, 2)


def test_continue_only_a_shown_reply_cut_at_the_length_limit():
    conv, m = build()
    assert not can_continue(conv, m["a2"].id)
    with pytest.raises(BranchError, match="length limit"):
        continue_turns(conv, m["a2"].id)
    m["a2"].stop_reason = "length"
    assert can_continue(conv, m["a2"].id)
    assert texts(continue_turns(conv, m["a2"].id))[-1] == "Pear."
    assert continue_turns(conv, m["a2"].id)[-1].role == "assistant"
    m["a1"].stop_reason = "length"
    with pytest.raises(BranchError, match="last message shown"):
        continue_turns(conv, m["a1"].id)


def test_reveal_a_message_on_another_branch():
    conv, m = build()
    edited = edit_user_message(conv, m["u1"].id, "Name a vegetable.")
    assert reveal_message(conv, m["u2"].id) == m["a2"].id
    assert reveal_message(conv, m["u1"].id) == m["a2"].id  # already shown: unchanged
    assert reveal_message(conv, edited.id) == edited.id


def test_branches_survive_a_restart(tmp_path: Path):
    db = tmp_path / "b.sqlite3"
    store = ConversationStore(db)
    conv = store.create_conversation()
    u = conv.add(msg("user", "Tell me a joke."))
    store.add_message(conv.id, u)
    a = conv.add(msg("assistant", "Knock knock.", u, stop_reason="eos"))
    store.add_message(conv.id, a)
    parent, _ = regenerate_parent(conv, a.id)
    b = new_reply(conv, parent.id)
    store.add_message(conv.id, b)
    store.update_message(b.id, content="Why did the chicken...", stop_reason="eos")
    edited = edit_user_message(conv, u.id, "Tell me a pun.")
    store.add_message(conv.id, edited)
    leaf = switch_sibling(conv, edited.id, -1)
    store.set_current_leaf(conv.id, leaf)
    store.close()

    with ConversationStore(db) as again:
        back = again.load_conversation(conv.id)
        assert back.current_leaf_id == b.id
        assert texts(prompt_turns(back)) == ["Tell me a joke.", "Why did the chicken..."]
        assert position_label(back, b.id) == "2 / 2" and position_label(back, u.id) == "1 / 2"
        assert switch_sibling(back, b.id, -1) == a.id
        assert again.summary(conv.id).message_count == 4


def test_stop_reasons_have_one_label_for_view_and_exports():
    from llmdesk.core.conversation import StopReason, stop_reason_label

    assert StopReason("cancelled") == "cancelled" and StopReason.LENGTH.label == "Stopped at the token limit"
    assert stop_reason_label("length") == StopReason.LENGTH.label
    assert stop_reason_label("eos") == "" and stop_reason_label(None) == ""
    assert stop_reason_label("from-a-newer-version") == "from-a-newer-version"
