"""Streaming generation with a callback streamer, stop sequences, cancellation and stats.

``model.generate`` runs on the calling thread. A :class:`ReplyStreamer` receives each new token inside
``generate`` and decodes it incrementally (constant work per token: only the last few tokens are re-decoded), so a
piece never splits a UTF-8 character and carries no special tokens. A :class:`CancelCriteria` reads a
``threading.Event`` after every forward pass, the prompt's included, so a stop lands within one step.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria, \
    StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine.types import GenerationStats, TokenInfo

TextCallback = Callable[[str], None]
TokenCallback = Callable[[TokenInfo], None]
TOP_ALTERNATIVES = 5


class IncrementalDecoder:
    """Decodes a growing list of token ids into text deltas with constant work per token.

    Only the tokens since the last emitted boundary are re-decoded (the approach of vLLM's incremental
    detokenizer), and a delta that ends in an incomplete UTF-8 sequence (U+FFFD) is held back until the next token
    completes it.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix_offset = 0
        self.read_offset = 0

    def _decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        prefix = self._decode(self.ids[self.prefix_offset:self.read_offset])
        text = self._decode(self.ids[self.prefix_offset:])
        if len(text) > len(prefix) and not text.endswith("\ufffd"):
            delta = text[len(prefix):]
            self.prefix_offset = self.read_offset
            self.read_offset = len(self.ids)
            return delta
        return ""

    def flush(self) -> str:
        """Whatever is still held back (at the end of generation)."""
        prefix = self._decode(self.ids[self.prefix_offset:self.read_offset])
        text = self._decode(self.ids[self.prefix_offset:])
        self.prefix_offset = self.read_offset = len(self.ids)
        return text[len(prefix):] if len(text) > len(prefix) else ""


class ReplyStreamer(BaseStreamer):
    """Receives tokens from ``generate`` and hands printable text to ``on_text``.

    Text that could be the start of a stop sequence is held back until it is clear; when a stop sequence appears
    the text before it is emitted, the rest is dropped and ``stop_hit`` is set, which :class:`CancelCriteria`
    turns into the end of generation at this very step.
    """

    def __init__(self, tokenizer: Any, on_text: TextCallback, cancel: threading.Event,
                 stop_sequences: Sequence[str] = (), on_token: TokenCallback | None = None,
                 inspector: TokenInspector | None = None) -> None:
        self.decoder = IncrementalDecoder(tokenizer)
        self.tokenizer = tokenizer
        self.on_text = on_text
        self.cancel = cancel
        self.stop_sequences = [s for s in stop_sequences if s]
        self.on_token = on_token
        self.inspector = inspector
        self.prompt_seen = False
        self.pending = ""          # decoded text not yet emitted (may be a stop-sequence prefix)
        self.stop_hit = False
        self.new_tokens = 0
        self.first_token_at: float | None = None
        self.last_token_at: float | None = None
        self.last_token_id: int | None = None
        self.emitted: list[str] = []

    def put(self, value: torch.Tensor) -> None:
        if not self.prompt_seen:  # generate() first pushes the prompt
            self.prompt_seen = True
            return
        if self.stop_hit or self.cancel.is_set():
            return
        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
        self.last_token_at = now
        token_id = int(value.reshape(-1)[-1])
        self.last_token_id = token_id
        self.new_tokens += 1
        if self.on_token is not None and self.inspector is not None:
            self.on_token(self.inspector.describe(token_id, self.tokenizer))
        self._take(self.decoder.push(token_id))

    def _take(self, text: str) -> None:
        if not text:
            return
        if not self.stop_sequences:
            self._emit(text)
            return
        self.pending += text
        hits = [(i, s) for s in self.stop_sequences if (i := self.pending.find(s)) >= 0]
        if hits:
            cut = min(i for i, _ in hits)
            self._emit(self.pending[:cut])
            self.pending = ""
            self.stop_hit = True
            return
        hold = 0  # the longest tail of pending that is a proper prefix of a stop sequence
        for s in self.stop_sequences:
            for k in range(min(len(s) - 1, len(self.pending)), hold, -1):
                if self.pending.endswith(s[:k]):
                    hold = k
                    break
        self._emit(self.pending[:len(self.pending) - hold])
        self.pending = self.pending[len(self.pending) - hold:]

    def _emit(self, text: str) -> None:
        if text:
            self.emitted.append(text)
            self.on_text(text)

    def end(self) -> None:
        if self.stop_hit or self.cancel.is_set():
            return
        self._take(self.decoder.flush())
        if not self.stop_hit and self.pending:
            self._emit(self.pending)
            self.pending = ""


class CancelCriteria(StoppingCriteria):
    """Stops generation when the request's event is set or the streamer saw a stop sequence."""

    def __init__(self, cancel: threading.Event, streamer: ReplyStreamer) -> None:
        self.cancel = cancel
        self.streamer = streamer

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        stop = self.cancel.is_set() or self.streamer.stop_hit
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class TokenInspector(LogitsProcessor):
    """Records the distribution each token is chosen from (after the repetition penalty, before temperature and
    the top-k/top-p/min-p filters), so the streamer can report its log-probability and top alternatives.

    Added to ``generate`` only when somebody asked for per-token details, so it costs nothing otherwise.
    """

    def __init__(self, top: int = TOP_ALTERNATIVES) -> None:
        self.top = top
        self.logprobs: torch.Tensor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.logprobs = torch.log_softmax(scores[0].float(), dim=-1)
        return scores

    def describe(self, token_id: int, tokenizer: Any) -> TokenInfo:
        if self.logprobs is None:
            return TokenInfo(token_id, tokenizer.decode([token_id]), math.nan, ())
        values, indices = torch.topk(self.logprobs, self.top)
        top = tuple((int(i), tokenizer.decode([int(i)]), float(math.exp(v)))
                    for v, i in zip(values.tolist(), indices.tolist(), strict=True))
        return TokenInfo(token_id, tokenizer.decode([token_id]), float(self.logprobs[token_id]), top)


def generation_config(decoding: DecodingSettings, base: GenerationConfig | None,
                      end_token_ids: Sequence[int]) -> GenerationConfig:
    """Turn decoding settings into a fresh GenerationConfig: greedy when sampling is off (no sampling fields, so
    transformers does not warn), the model's own end tokens, and its pad and bos ids."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": decoding.max_new_tokens,
        "do_sample": decoding.do_sample,
        "eos_token_id": list(end_token_ids) or None,
        "pad_token_id": getattr(base, "pad_token_id", None) if base is not None else None,
        "bos_token_id": getattr(base, "bos_token_id", None) if base is not None else None,
    }
    if kwargs["pad_token_id"] is None and end_token_ids:
        kwargs["pad_token_id"] = end_token_ids[0]
    if decoding.repetition_penalty != 1.0:
        kwargs["repetition_penalty"] = decoding.repetition_penalty
    if decoding.do_sample:
        kwargs.update(temperature=decoding.temperature, top_p=decoding.top_p,
                      top_k=decoding.top_k or None, min_p=decoding.min_p or None)
    return GenerationConfig(**kwargs)


def _cache_kwarg() -> str:
    """The name ``generate`` takes a cache under: ``cache`` from transformers 5.2x (where ``past_key_values`` is
    deprecated), ``past_key_values`` before."""
    from transformers.generation import utils

    return "cache" if "cache" in getattr(utils, "ALL_CACHE_NAMES", ()) else "past_key_values"


def stream_generate(model: Any, tokenizer: Any, input_ids: Sequence[int], config: GenerationConfig, *,
                    on_text: TextCallback, cancel: threading.Event, stop_sequences: Sequence[str] = (),
                    on_token: TokenCallback | None = None, seed: int | None = None,
                    end_token_ids: Sequence[int] = (), past_key_values: Any = None,
                    streamer: ReplyStreamer | None = None, output_ids: list[int] | None = None) -> GenerationStats:
    """Run ``generate`` on the calling thread, streaming text through ``on_text``; return the stats.

    With sampling on, a seed is always used (the given one, or a fresh random one reported in the stats) so every
    reply can be reproduced. Exceptions from ``generate`` propagate; the caller turns them into an error.

    Args:
        past_key_values: a cache holding the keys and values of a prefix of ``input_ids`` (only the rest is
            processed); ``generate`` extends it in place with the prompt and every generated token but the last.
        streamer: a :class:`ReplyStreamer` to go on with (a reply resumed after an error); by default a new one.
        output_ids: when given, filled with the prompt followed by the generated token ids.
    """
    stats = GenerationStats(prompt_tokens=len(input_ids))
    started = time.perf_counter()
    if cancel.is_set():
        stats.stop_reason = "cancelled"
        if output_ids is not None:
            output_ids[:] = list(input_ids)
        return stats
    if config.do_sample:
        stats.seed = seed if seed is not None else random.randrange(2**32)
        torch.manual_seed(stats.seed)
    if streamer is None:
        inspector = TokenInspector() if on_token is not None else None
        streamer = ReplyStreamer(tokenizer, on_text, cancel, stop_sequences, on_token, inspector)
    else:
        inspector = streamer.inspector
        streamer.prompt_seen = False  # generate() pushes the (longer) prompt again first
    device = model.device if getattr(model, "hf_device_map", None) is None else next(model.parameters()).device
    ids = torch.tensor([list(input_ids)], dtype=torch.long, device=device)
    extra: dict[str, Any] = {_cache_kwarg(): past_key_values} if past_key_values is not None else {}
    with torch.inference_mode():
        output = model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config, streamer=streamer,
            stopping_criteria=StoppingCriteriaList([CancelCriteria(cancel, streamer)]),
            logits_processor=LogitsProcessorList([inspector]) if inspector is not None else None, **extra)
    stats.total_s = time.perf_counter() - started
    stats.new_tokens = int(output.shape[-1] - ids.shape[-1])
    if output_ids is not None:
        output_ids[:] = output[0].tolist()
    if streamer.first_token_at is not None:
        stats.ttft_s = streamer.first_token_at - started
        if streamer.new_tokens > 1 and streamer.last_token_at is not None:
            span = streamer.last_token_at - streamer.first_token_at
            stats.decode_tokens_per_s = (streamer.new_tokens - 1) / span if span > 0 else None
    if cancel.is_set():
        stats.stop_reason = "cancelled"
    elif streamer.stop_hit:
        stats.stop_reason = "stop_sequence"
    elif streamer.last_token_id is not None and streamer.last_token_id in end_token_ids:
        stats.stop_reason = "eos"
    elif stats.new_tokens >= (config.max_new_tokens or 0):
        stats.stop_reason = "length"
    else:
        stats.stop_reason = "eos"
    return stats
