"""The streaming reasoning/answer splitter (llmdesk.core.reasoning)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmdesk.core.reasoning import (ReasoningSplitter, SplitReply, open_tag_at_end, split_pieces,
                                    split_reasoning)

CASE = Path("/work/shared/cases/13-reasoning-think-tag-reply.md")


def test_think_block_then_answer() -> None:
    assert split_reasoning("<think>\nLet me add.\n</think>\n\nThe sum is 4.") == SplitReply("Let me add.",
                                                                                         "The sum is 4.")


def test_no_tags_is_all_answer() -> None:
    assert split_reasoning("Just an answer.\n") == SplitReply("", "Just an answer.\n")


@pytest.mark.parametrize("tag", ["think", "thinking", "thought", "reasoning"])
def test_other_tag_names(tag: str) -> None:
    assert split_reasoning(f"<{tag}>why</{tag}>So.") == SplitReply("why", "So.")


def test_configured_tags_only() -> None:
    assert split_reasoning("<think>a</think>b", tags=("thought",)) == SplitReply("", "<think>a</think>b")
    assert split_reasoning("<plan>a</plan>b", tags=("plan",)) == SplitReply("a", "b")


def test_closing_tag_only_when_the_prompt_opened_it() -> None:
    """The case file: the template opened <think> in the prompt, so only </think> arrives."""
    text = CASE.read_text(encoding="utf-8") if CASE.exists() else "Okay, 2+2=4.\n</think>\n\n**4**\n"
    result = split_reasoning(text)
    assert "</think>" not in result.answer and "</think>" not in result.reasoning
    assert result.answer.strip() == "**4**"
    assert result.reasoning.startswith("Okay")


def test_closing_tag_only_moves_streamed_answer_and_counts_a_reset() -> None:
    s = ReasoningSplitter()
    s.feed("Hmm, the user")
    assert (s.answer, s.reasoning, s.in_reasoning) == ("Hmm, the user", "", False)
    s.feed(" wants 4.</think>\n4")
    assert (s.reasoning, s.answer, s.resets) == ("Hmm, the user wants 4.", "4", 1)


def test_never_closed_is_all_reasoning() -> None:
    s = ReasoningSplitter()
    s.feed("<think>I was cut off mid")
    assert s.in_reasoning and s.answer == ""
    assert s.finish() == SplitReply("I was cut off mid", "")


def test_text_before_the_opening_tag_stays_in_the_answer() -> None:
    assert split_reasoning("Sure.\n<think>plan</think>\nDone") == SplitReply("plan", "Sure.\n\nDone")
    assert split_reasoning("\n\n<think>plan</think>Done") == SplitReply("plan", "Done")


def test_tags_inside_the_answer_are_text() -> None:
    # not at a line start: not a reasoning block
    assert split_reasoning("Use the <think> tag.") == SplitReply("", "Use the <think> tag.")
    # only the first block counts
    assert split_reasoning("<think>a</think>b\n<think>c</think>") == SplitReply("a", "b\n<think>c</think>")


def test_tag_split_across_pieces_is_held_back() -> None:
    s = ReasoningSplitter()
    s.feed("<th")
    assert s.answer == "" and not s.in_reasoning  # could still be a tag
    s.feed("ink>abc</thi")
    assert s.in_reasoning and s.reasoning == "abc"
    s.feed("nk>ok")
    assert (s.reasoning, s.answer, s.in_reasoning) == ("abc", "ok", False)


def test_a_held_tail_that_is_no_tag_is_released_at_finish() -> None:
    s = ReasoningSplitter()
    s.feed("a <thin")
    assert s.answer == "a "
    assert s.finish() == SplitReply("", "a <thin")
    with pytest.raises(RuntimeError):
        s.feed("more")


def test_bad_tag_names() -> None:
    with pytest.raises(ValueError, match="tag names"):
        ReasoningSplitter(["th ink"])
    with pytest.raises(ValueError):
        ReasoningSplitter([])


def test_open_tag_at_end_of_prompt() -> None:
    assert open_tag_at_end("<|im_start|>assistant\n<think>\n") == "<think>"
    assert open_tag_at_end("<|assistant|>\n") is None
    assert open_tag_at_end("x<thought>", tags=("thought",)) == "<thought>"


_alphabet = st.sampled_from(["<think>", "</think>", "<thought>", "</thought>", "<", "/", ">", "t", "h", "i",
                             "n", "k", "\n", " ", "a", "b", "x<", "</th", "ink>", "<th"])


@st.composite
def _text_and_cuts(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = "".join(draw(st.lists(_alphabet, max_size=30)))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    pieces, last = [], 0
    for cut in cuts:
        pieces.append(text[last:cut])
        last = cut
    pieces.append(text[last:])
    return text, pieces


@settings(max_examples=400, deadline=None)
@given(_text_and_cuts())
def test_any_split_gives_the_same_result_as_the_whole_text(case: tuple[str, list[str]]) -> None:
    text, pieces = case
    assert split_pieces(pieces) == split_reasoning(text)


@settings(max_examples=300, deadline=None)
@given(_text_and_cuts())
def test_streamed_answer_only_grows_except_at_a_reset(case: tuple[str, list[str]]) -> None:
    _text, pieces = case
    s = ReasoningSplitter()
    final = split_pieces(pieces)
    shown = ""
    for piece in pieces:
        s.feed(piece)
        if s.resets:
            shown = ""
        assert s.answer.startswith(shown)
        shown = s.answer
    s.finish()
    assert s.answer == final.answer and final.answer.startswith(shown)
