"""How much a quantized precision changes a model's predictions, measured, not guessed.

Teacher forcing on a fixed text: the reference (bfloat16) model and the quantized one read the same tokens, and at
each position we compare the log-probability each gives to the text's actual next token, and whether their most
likely next token is the same. Figures are kept per (model, revision, precision) in the data folder so the
settings panel can show them for the loaded model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from llmdesk.core import paths
from llmdesk.core.atomic import atomic_write_text

QUALITY_TEXT = (
    "The history of the printing press begins in the fifteenth century, when Johannes Gutenberg combined movable "
    "metal type, oil-based ink and a screw press adapted from wine making. Within fifty years, presses were working "
    "in more than two hundred cities across Europe, and the number of books in circulation grew from thousands to "
    "millions. Printing lowered the cost of copying a text, which meant that scholars in different countries could "
    "read the same edition, compare notes and correct errors. It also changed religion and politics: pamphlets "
    "spread arguments faster than any authority could answer them. Today a similar story is told about the "
    "internet. A program that adds two numbers in Python looks like this:\n\n"
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # prints 5\n\n"
    "Water boils at 100 degrees Celsius at sea level, and the capital of France is Paris."
)


def teacher_forced_logprobs(model: Any, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probabilities of each actual next token [T-1], the argmax next token [T-1]) for ``ids`` [1, T]."""
    with torch.inference_mode():
        logits = model(input_ids=ids.to(next(model.parameters()).device)).logits[0, :-1].float().cpu()
    logprobs = torch.log_softmax(logits, dim=-1)
    target = ids[0, 1:].cpu()
    return logprobs.gather(1, target[:, None])[:, 0], logits.argmax(dim=-1)


def compare(reference: tuple[torch.Tensor, torch.Tensor], candidate: tuple[torch.Tensor, torch.Tensor]
            ) -> dict[str, float]:
    """Figures for one precision against the reference (outputs of :func:`teacher_forced_logprobs`):

    - ``mean_logprob_diff``: mean over positions of (candidate - reference) log-probability of the actual next
      token, in nats; negative means the text became less likely.
    - ``mean_abs_logprob_diff``: the same without the sign.
    - ``top1_agreement``: fraction of positions where both pick the same most likely next token (0-1).
    - ``tokens``: positions compared.
    """
    ref_lp, ref_top = reference
    lp, top = candidate
    return {"mean_logprob_diff": float((lp - ref_lp).mean()), "mean_abs_logprob_diff": float((lp - ref_lp).abs()
                                                                                            .mean()),
            "top1_agreement": float((top == ref_top).float().mean()), "tokens": int(lp.numel())}


def quality_ids(tokenizer: Any, max_tokens: int = 256) -> torch.Tensor:
    """The fixed text's token ids [1, T], at most ``max_tokens``."""
    ids = tokenizer(QUALITY_TEXT, add_special_tokens=False)["input_ids"][:max_tokens]
    return torch.tensor([ids])


def _store_path() -> Path:
    return paths.data_dir() / "quality.json"


def _key(model: str, revision: str | None, precision: str) -> str:
    return f"{model}@{revision or '-'}:{precision}"


def record_quality(model: str, revision: str | None, precision: str, figures: dict[str, float]) -> None:
    """Keep ``figures`` for (model, revision, precision); an unreadable store is replaced."""
    path = _store_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[_key(model, revision, precision)] = figures
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def lookup_quality(model: str, revision: str | None, precision: str) -> dict[str, float] | None:
    """The figures kept for (model, revision, precision), or None."""
    try:
        data = json.loads(_store_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = data.get(_key(model, revision, precision)) if isinstance(data, dict) else None
    return found if isinstance(found, dict) else None


def format_quality(figures: dict[str, float] | None) -> str:
    """One line for people: "top-1 agreement 97.3%, mean log-prob change -0.021 nats/token (256 tokens)"."""
    if not figures:
        return "not measured (run `llmdesk bench --quality`)"
    return (f"top-1 agreement with bfloat16 {figures['top1_agreement'] * 100:.1f}%, mean log-prob change "
            f"{figures['mean_logprob_diff']:+.3f} nats/token ({int(figures.get('tokens', 0))} tokens)")
