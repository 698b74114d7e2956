"""The KV cache kept between turns: one transformers ``DynamicCache`` per conversation, within a memory budget.

After a reply the engine keeps the cache that ``generate`` filled, together with the token ids whose keys and values
it holds: the prompt plus every generated token the model really processed (the last generated token is sampled
but never fed back, so it is not in the cache). The next prompt of that conversation reuses the longest common
token prefix: the cache is cropped to it and only the rest of the prompt is processed. Whatever happened in
between (an edit, a branch switch, a regenerate, a continue, a new system prompt, a template that rewrites earlier
tokens) shows up as a shorter common prefix, so the cache can only ever hold tokens that are a true prefix of the
prompt. At least one prompt token is always processed, since ``generate`` needs the logits of the last one.

Sliding-window layers (Phi-3-mini: ``sliding_window`` 2047) drop the oldest states once the window is full and
cannot be cropped from then on. Such a cache is reused only when the new prompt extends *all* of its tokens (no
crop needed: the window's states are exactly what a full prompt would attend to); otherwise the prompt is read in
full. A cache whose layers disagree on their length (a forward pass that failed half way) is never kept.

Caches of the most recent conversations are kept while their total stays within ``budget_bytes``; the least
recently used go first. A budget of 0 keeps nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """The number of leading token ids ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def cache_bytes(cache: Any) -> int:
    """Bytes held by the key and value tensors of a cache (0 for None)."""
    if cache is None:
        return 0
    total = 0
    for layer in getattr(cache, "layers", ()):
        for tensor in (getattr(layer, "keys", None), getattr(layer, "values", None)):
            if isinstance(tensor, torch.Tensor):
                total += tensor.numel() * tensor.element_size()
    return total


def cache_length(cache: Any) -> int | None:
    """The number of tokens every layer of ``cache`` has processed, or None when the layers disagree (a forward
    pass that stopped half way) or the cache is of a kind this module does not know."""
    layers = getattr(cache, "layers", None)
    if not layers:
        return 0 if layers is not None else None
    try:
        lengths = {int(layer.get_seq_length()) for layer in layers}
    except Exception:  # noqa: BLE001 - a layer kind without a length (e.g. linear attention): not reusable
        return None
    return lengths.pop() if len(lengths) == 1 else None


def bytes_per_token(model: Any) -> int:
    """Bytes of keys and values one token adds to a full-attention cache of ``model`` (Phi-3-mini in bf16:
    2 x 32 layers x 32 heads x 96 x 2 bytes = 393,216)."""
    cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    heads = cfg.num_attention_heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    dtype = getattr(model, "dtype", None) or torch.get_default_dtype()
    return 2 * cfg.num_hidden_layers * kv_heads * head_dim * torch.empty((), dtype=dtype).element_size()


def can_crop(cache: Any) -> bool:
    """Whether every layer still holds all its states (a sliding-window layer drops the oldest once it has seen
    ``sliding_window`` tokens and cannot be cropped after that)."""
    for layer in getattr(cache, "layers", ()):
        if getattr(layer, "is_sliding", False) and layer.get_seq_length() >= layer.sliding_window:
            return False
        if not getattr(layer, "is_croppable", True):
            return False
    return True


@dataclass
class KeptCache:
    """A conversation's cache and the token ids whose keys and values it holds (in order)."""

    cache: Any
    tokens: list[int]
    nbytes: int


@dataclass
class CachePlan:
    """What to run for one prompt: ``cache`` (already cropped) holds the first ``reused_tokens`` prompt tokens;
    ``reason`` says why less than the common prefix was reused ("" when nothing needed saying)."""

    cache: Any
    reused_tokens: int
    reason: str = ""


class KVCacheStore:
    """Kept caches by conversation key, least recently used first, within a byte budget.

    Not thread-safe: the engine's thread owns it.

    Args:
        budget_bytes: the most bytes all kept caches may hold together after a reply; 0 keeps nothing.
    """

    def __init__(self, budget_bytes: int) -> None:
        if budget_bytes < 0:
            raise ValueError(f"budget_bytes must be at least 0, got {budget_bytes}")
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, KeptCache] = OrderedDict()

    # -- queries ----------------------------------------------------------------------------------------------
    @property
    def total_bytes(self) -> int:
        """Bytes held by all kept caches."""
        return sum(e.nbytes for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[str]:
        """Conversation keys, least recently used first."""
        return list(self._entries)

    def tokens(self, key: str) -> list[int] | None:
        """The token ids the kept cache of ``key`` holds, or None when none is kept."""
        entry = self._entries.get(key)
        return list(entry.tokens) if entry is not None else None

    # -- one reply --------------------------------------------------------------------------------------------
    def take(self, key: str | None, model: Any, prompt_ids: Sequence[int]) -> CachePlan:
        """Take the kept cache of ``key`` out of the store and crop it to the longest common prefix with
        ``prompt_ids`` (at most all but the last prompt token), or start a new cache.

        The cache stays out of the store until :meth:`put` brings it back after the reply: a reply that fails
        leaves nothing behind that could be wrong.

        Args:
            key: the conversation; None uses a new cache that is never kept.
            model: the loaded model (its config decides the cache's layer kinds, e.g. sliding windows).
            prompt_ids: the prompt's token ids, shape (n,), n >= 1.
        """
        entry = self._entries.pop(key, None) if key is not None else None
        fresh = CachePlan(DynamicCache(config=model.config), 0)
        if entry is None or self.budget_bytes == 0:
            return fresh
        reuse = min(common_prefix_length(entry.tokens, prompt_ids), len(prompt_ids) - 1)
        if reuse <= 0:
            return fresh
        remove = len(entry.tokens) - reuse
        if cache_length(entry.cache) != len(entry.tokens):
            return CachePlan(fresh.cache, 0, "the kept cache did not match its tokens")
        if remove > 0:
            if not can_crop(entry.cache):
                fresh.reason = ("the kept cache is past the model's sliding window and cannot be cut back to the "
                                "common prefix")
                return fresh
            entry.cache.crop(-remove)
            if cache_length(entry.cache) != reuse:
                return CachePlan(fresh.cache, 0, "the kept cache could not be cut back")
        return CachePlan(entry.cache, reuse)

    def put(self, key: str | None, cache: Any, sequence: Sequence[int]) -> bool:
        """Keep ``cache`` for ``key`` after a reply, then evict the least recently used caches over the budget.

        Args:
            key: the conversation (None keeps nothing).
            cache: the cache ``generate`` filled.
            sequence: the prompt followed by every generated token, shape (n,); the cache holds its first
                ``cache.get_seq_length()`` tokens (all but the last generated one).

        Returns:
            Whether the cache was kept (False when the budget is 0, the cache is larger than the budget, or its
            layers disagree on their length).
        """
        if key is None or self.budget_bytes == 0:
            return False
        self._entries.pop(key, None)
        length = cache_length(cache)
        if length is None or length == 0 or length > len(sequence):
            return False
        entry = KeptCache(cache, list(sequence[:length]), cache_bytes(cache))
        if entry.nbytes > self.budget_bytes:
            return False
        self._entries[key] = entry
        self._evict()
        return key in self._entries

    def make_room(self, needed_bytes: int) -> None:
        """Evict least recently used caches until ``needed_bytes`` more fit the budget (called before a reply,
        while that conversation's own cache is taken out)."""
        while self._entries and self.total_bytes + needed_bytes > self.budget_bytes:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget the cache of ``key`` (if any)."""
        self._entries.pop(key, None)

    def clear(self) -> int:
        """Forget every kept cache; returns the bytes they held."""
        freed = self.total_bytes
        self._entries.clear()
        return freed

    def set_budget(self, budget_bytes: int) -> None:
        """Change the budget, evicting least recently used caches over it."""
        if budget_bytes < 0:
            raise ValueError(f"budget_bytes must be at least 0, got {budget_bytes}")
        self.budget_bytes = budget_bytes
        self._evict()

    def _evict(self) -> None:
        while self._entries and self.total_bytes > self.budget_bytes:
            self._entries.popitem(last=False)
