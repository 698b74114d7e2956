"""What the model sees: the exact prompt, as text and as tokens, built without the model's weights.

The same :func:`~llmdesk.engine.prompt.fit_prompt` the engine uses builds the token ids, so the count and the
tokens shown are the engine's own; the text is those ids decoded with special tokens kept, so it is exactly what the
model received. Only the tokenizer and the config are loaded (seconds, no weights): the ``llmdesk prompt`` command
and the window's context meter use this on a thread of their own while the model thread generates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmdesk.engine.errors import EngineError
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.streaming import token_text
from llmdesk.engine.types import ChatTurn


@dataclass
class PromptToken:
    """One token of a prompt: its id, its text on its own, and whether it is a special (control) token."""

    token_id: int
    text: str
    special: bool


@dataclass
class PromptView:
    """The prompt the model is sent.

    Attributes:
        input_ids: the token ids, exactly as the engine sends them.
        text: the ids decoded with special tokens kept (what the model received, as text).
        tokens: one :class:`PromptToken` per id.
        dropped_messages: the oldest messages left out to fit the context window.
        kept_messages: the messages sent.
        context_window: the model's context window, in tokens.
        budget: tokens the prompt may take: the context window minus max new tokens.
        raw: True for a raw completion (no chat template).
    """

    input_ids: list[int]
    text: str
    tokens: list[PromptToken] = field(repr=False)
    dropped_messages: int
    kept_messages: int
    context_window: int
    budget: int
    raw: bool = False


def special_ids(tokenizer: Any) -> set[int]:
    """The ids of the tokenizer's special and control tokens (BOS/EOS and added tokens marked special)."""
    ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    for token_id, added in (getattr(tokenizer, "added_tokens_decoder", None) or {}).items():
        if getattr(added, "special", False):
            ids.add(int(token_id))
    return ids


def load_tokenizer(model: str, trust_remote_code: bool = False) -> tuple[Any, int]:
    """The model's tokenizer (with its chat template) and context window, without its weights.

    Raises:
        EngineError: the model cannot be found, or its tokenizer cannot be loaded.
    """
    from transformers import AutoTokenizer

    from llmdesk.engine.devices import context_window
    from llmdesk.engine.loader import _source, cached_first, load_config, translate_error

    config = load_config(model, trust_remote_code)
    try:
        tokenizer = cached_first(AutoTokenizer.from_pretrained, _source(model), trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001
        raise translate_error(exc, model) from exc
    return tokenizer, context_window(config)


def raw_prompt_ids(tokenizer: Any, text: str) -> list[int]:
    """Token ids of a raw completion prompt: the text as it is, no chat template (BOS added as the tokenizer
    does for plain text)."""
    return list(tokenizer(text)["input_ids"])


def build_prompt_view(tokenizer: Any, turns: Sequence[ChatTurn], system_prompt: str, context_window: int,
                      max_new_tokens: int, *, raw: bool = False) -> PromptView:
    """The prompt for ``turns`` as the engine builds it (``raw``: the last turn's text alone, no template).

    Raises:
        EngineError: nothing to send, or it does not fit (as :func:`~llmdesk.engine.prompt.fit_prompt`).
    """
    budget = context_window - max_new_tokens
    if raw:
        if not turns:
            raise EngineError("bad_settings", "There is no text to continue.")
        ids = raw_prompt_ids(tokenizer, turns[-1].content)
        dropped, kept = 0, 1
    else:
        fit = fit_prompt(tokenizer, turns, system_prompt, context_window, max_new_tokens)
        ids, dropped, kept = fit.input_ids, fit.dropped_messages, fit.kept_messages
    specials = special_ids(tokenizer)
    text = tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    tokens = [PromptToken(i, token_text(tokenizer, i), i in specials) for i in ids]
    return PromptView(ids, text, tokens, dropped, kept, context_window, budget, raw)


def count_prompt_tokens(tokenizer: Any, turns: Sequence[ChatTurn], system_prompt: str) -> int:
    """Tokens the full prompt for ``turns`` takes (nothing left out), with the chat template: for the meter."""
    from llmdesk.engine.prompt import render

    return len(render(tokenizer, turns, system_prompt))
