"""Building the prompt with the tokenizer's own chat template and fitting it to the context window.

The system prompt and the newest turns are kept; the oldest turns are left out until prompt tokens plus
max_new_tokens fit. The kept part always starts with a user turn. A single message that cannot fit on its own
is an error that says so.

Many chat templates (Gemma, Mistral, Llama-2 style) insist that user and assistant turns alternate. A reply that
failed or was stopped before its first token leaves no text, so its slot is empty and two user messages would
follow each other: :func:`to_messages` merges consecutive turns of one role (joined by a blank line), so the prompt
always alternates. A template that still refuses the messages raises :class:`ChatTemplateError` (kind
``"chat_template"``) with the template's own message.

Earlier replies go without their reasoning (what most reasoning templates, e.g. Qwen3 and DeepSeek-R1, do
themselves), unless the template reads a ``reasoning_content`` field on assistant messages: then the reasoning is
passed that way and the template decides (:func:`template_takes_reasoning`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmdesk.engine.errors import ChatTemplateError, EngineError, PromptTooLongError
from llmdesk.engine.types import ChatTurn, PromptFit

_PROBE = "\x1fllmdesk-system-probe\x1f"


def template_supports_system(tokenizer: Any) -> bool:
    """Whether the chat template renders a system message (some raise, some silently drop it)."""
    cached = getattr(tokenizer, "_llmdesk_supports_system", None)
    if cached is not None:
        return cached
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "system", "content": _PROBE}, {"role": "user", "content": "hi"}],
            tokenize=False, add_generation_prompt=True)
        supported = _PROBE in text
    except Exception:  # noqa: BLE001 - templates signal "no system role" by raising TemplateError
        supported = False
    tokenizer._llmdesk_supports_system = supported
    return supported


def template_takes_reasoning(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template reads a ``reasoning_content`` field (its template text names it)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = " ".join(str(t) for t in template.values())
    return isinstance(template, str) and "reasoning_content" in template


def to_messages(turns: Sequence[ChatTurn], system_prompt: str, supports_system: bool,
                with_reasoning: bool = False) -> list[dict[str, str]]:
    """Turns as chat-template messages; without a system role the system text is folded into the first user turn.

    Consecutive turns of the same role (a user message sent again after a reply that failed or was stopped before
    its first token; turns that were empty are never sent) are merged into one, their texts joined by a blank
    line, so strict-alternation templates accept every conversation.

    A reply's reasoning is left out, or with ``with_reasoning`` given as the message's ``reasoning_content``.
    """
    messages: list[dict[str, str]] = []
    for t in turns:
        if t.role == "system":
            continue
        if messages and messages[-1]["role"] == t.role:
            merged = {"role": t.role, "content": f"{messages[-1]['content']}\n\n{t.content}"}
            earlier = messages[-1].get("reasoning_content", "")
            if with_reasoning and (earlier or t.reasoning):
                merged["reasoning_content"] = "\n\n".join(r for r in (earlier, t.reasoning) if r)
            messages[-1] = merged
        else:
            messages.append({"role": t.role, "content": t.content})
            if with_reasoning and t.role == "assistant" and t.reasoning:
                messages[-1]["reasoning_content"] = t.reasoning
    system = "\n\n".join(p for p in [system_prompt.strip(), *(t.content for t in turns if t.role == "system")] if p)
    if system:
        if supports_system:
            messages.insert(0, {"role": "system", "content": system})
        elif messages and messages[0]["role"] == "user":
            messages[0] = {"role": "user", "content": f"{system}\n\n{messages[0]['content']}"}
        else:
            messages.insert(0, {"role": "user", "content": system})
    return messages


def render(tokenizer: Any, turns: Sequence[ChatTurn], system_prompt: str,
           continue_final: bool = False) -> list[int]:
    """Token ids of the prompt for ``turns``. With ``continue_final`` the last (assistant) turn is left open so the
    model continues it instead of starting a new reply."""
    messages = to_messages(turns, system_prompt, template_supports_system(tokenizer),
                           template_takes_reasoning(tokenizer))
    kwargs: dict[str, Any] = {"continue_final_message": True} if continue_final else {"add_generation_prompt": True}
    try:
        out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, **kwargs)
    except Exception as exc:
        if _is_template_error(exc):
            roles = ", ".join(m["role"] for m in messages)
            raise ChatTemplateError(
                f"The model's chat template refused this conversation: {exc} (message roles: {roles})",
                "Try a new chat, or a model whose chat template accepts this conversation.") from exc
        raise
    return list(out["input_ids"])


def _is_template_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the chat template itself (jinja2's TemplateError, which ``raise_exception`` in a
    template raises, or a template syntax error)."""
    try:
        from jinja2 import TemplateError
    except ImportError:  # pragma: no cover - transformers needs jinja2 for chat templates
        return False
    return isinstance(exc, TemplateError)


def fit_prompt(tokenizer: Any, turns: Sequence[ChatTurn], system_prompt: str, context_window: int,
               max_new_tokens: int, continue_final: bool = False) -> PromptFit:
    """The longest suffix of ``turns`` (starting with a user turn) that fits with ``max_new_tokens``.

    Raises:
        EngineError: kind "bad_settings" when max_new_tokens alone fills the window.
        PromptTooLongError: when the newest message alone, with the system prompt, does not fit.
        ChatTemplateError: the chat template refused the messages (kind "chat_template").
    """
    conversation = [t for t in turns if t.role != "system"]
    if not conversation:
        raise EngineError("bad_settings", "There is no message to answer.")
    budget = context_window - max_new_tokens
    if budget <= 0:
        raise EngineError("bad_settings", f"max_new_tokens ({max_new_tokens}) leaves no room for the prompt in the "
                                          f"model's context window of {context_window} tokens.",
                          f"Set max new tokens below {context_window}.")
    # Candidate start positions: each user turn, oldest first. The newest user turn must always be kept.
    starts = [i for i, t in enumerate(conversation) if t.role == "user"] or [0]
    system_turns = [t for t in turns if t.role == "system"]

    def ids_from(start: int) -> list[int]:
        return render(tokenizer, [*system_turns, *conversation[start:]], system_prompt, continue_final)

    # Binary search over start positions: fewer dropped turns is a longer prompt (monotonic).
    lo, hi = 0, len(starts) - 1
    best: list[int] | None = None
    best_start = starts[-1]
    while lo <= hi:
        mid = (lo + hi) // 2
        ids = ids_from(starts[mid])
        if len(ids) <= budget:
            best, best_start = ids, starts[mid]
            hi = mid - 1
        else:
            lo = mid + 1
    if best is None:
        newest = conversation[starts[-1]:]
        alone = len(render(tokenizer, newest, "", continue_final))
        with_system = len(ids_from(starts[-1]))
        what = "The newest message" if len(newest) == 1 else "The newest exchange"
        raise PromptTooLongError(
            f"{what} is {alone} tokens ({with_system} with the system prompt); with max new tokens "
            f"{max_new_tokens} it does not fit the model's context window of {context_window} tokens.",
            "Shorten the message or the system prompt, or lower max new tokens.")
    return PromptFit(input_ids=best, dropped_messages=best_start, kept_messages=len(conversation) - best_start)
