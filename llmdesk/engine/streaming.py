"""Streaming generation with a callback streamer, stop sequences, cancellation and stats.

``model.generate`` runs on the calling thread. A :class:`ReplyStreamer` receives each new token inside
``generate`` and decodes it incrementally (constant work per token: only the last few tokens are re-decoded), so a
piece never splits a UTF-8 character and carries no special tokens. A :class:`CancelCriteria` reads a
``threading.Event`` after every forward pass, the prompt's included, so a stop lands within one step.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, MinPLogitsWarper, \
    RepetitionPenaltyLogitsProcessor, StoppingCriteria, StoppingCriteriaList, TemperatureLogitsWarper, \
    TopKLogitsWarper, TopPLogitsWarper
from transformers.generation.streamers import BaseStreamer

from llmdesk.core.settings import DecodingSettings
from llmdesk.core.token_trace import TOP_ALTERNATIVES
from llmdesk.engine.types import GenerationStats, TokenInfo

TextCallback = Callable[[str], None]
TokenCallback = Callable[[TokenInfo], None]


class IncrementalDecoder:
    """Decodes a growing list of token ids into text deltas with constant work per token.

    Only the tokens since the last emitted boundary are re-decoded (the approach of vLLM's incremental
    detokenizer), and a delta that ends in an incomplete UTF-8 sequence (U+FFFD) is held back until the next token
    completes it.
    """

    def __init__(self, tokenizer: Any, context: Sequence[int] = ()) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = list(context)  # already shown: later tokens are decoded after these
        self.read_offset = len(self.ids)
        self.prefix_offset = max(0, self.read_offset - 6)

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
                 inspector: TokenInspector | None = None, context: Sequence[int] = ()) -> None:
        self.decoder = IncrementalDecoder(tokenizer, context)
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
        delta = self.decoder.push(token_id)
        if self.on_token is not None and self.inspector is not None:
            info = self.inspector.describe(token_id, self.tokenizer)
            self.on_token(dataclasses.replace(info, chars=len(delta)))
        self._take(delta)

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
        done = torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)
        return cast(torch.BoolTensor, done)


class TokenInspector(LogitsProcessor):
    """Runs the decoding processors itself and records the distribution before and after them, so each token can be
    reported under the model's raw distribution and under the one sampling actually drew from.

    Used only when somebody asked for per-token details (``on_token``): then :func:`split_processors` takes the
    repetition penalty, temperature, top-k, top-p and min-p out of the GenerationConfig and hands them to the
    inspector, which is the only processor ``generate`` runs (so what it sees is the bare logits), and applies them
    in transformers' own order. Without ``on_token`` generation runs exactly as before and this costs nothing.

    Per step it keeps two references (the logits and the processed scores, each ``[vocab]`` float32); the
    log-softmax, top-k and rank are computed only in :meth:`describe`, once per token.
    """

    def __init__(self, processors: LogitsProcessorList | None = None, top: int = TOP_ALTERNATIVES) -> None:
        self.processors = processors if processors is not None else LogitsProcessorList()
        self.top = top
        self.raw: torch.Tensor | None = None
        self.processed: torch.Tensor | None = None
        self._texts: dict[int, str] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.raw = scores[0].float().clone() if self.processors else scores[0].float()
        out = self.processors(input_ids, scores) if self.processors else scores
        self.processed = out[0].float()
        return cast(torch.FloatTensor, out)

    def text(self, token_id: int, tokenizer: Any) -> str:
        """The token's text on its own (cached): decoded, or as the tokenizer spells it when it is not whole
        UTF-8 alone (a byte-fallback piece such as ``<0xE6>``)."""
        cached = self._texts.get(token_id)
        if cached is None:
            cached = token_text(tokenizer, token_id)
            self._texts[token_id] = cached
        return cached

    def _dist(self, scores: torch.Tensor, token_id: int, tokenizer: Any,
              filtered: bool = True) -> tuple[float, int, tuple, int]:
        """(log-probability, rank, top alternatives, tokens left) of ``token_id`` under softmax(``scores``); the
        count of tokens the filters left is taken only when ``filtered`` (raw logits are all finite)."""
        logprobs = torch.log_softmax(scores, dim=-1)
        chosen = logprobs[token_id]
        rank = int((logprobs > chosen).sum())
        kept = int(torch.isfinite(logprobs).sum()) if filtered else int(logprobs.numel())
        values, indices = torch.topk(logprobs, min(self.top, kept))
        ids = indices.tolist()
        self._learn([i for i in ids if i not in self._texts], tokenizer)
        top = tuple((i, self._texts[i], math.exp(v)) for v, i in zip(values.tolist(), ids, strict=True))
        return float(chosen), rank, top, kept

    def _learn(self, ids: list[int], tokenizer: Any) -> None:
        """Decode the texts of ``ids`` not seen yet in one batch call (one call into the tokenizer per step
        instead of one per token: the per-token cost stays well under a millisecond)."""
        if not ids:
            return
        for token_id, text in zip(ids, token_texts(tokenizer, ids), strict=True):
            self._texts[token_id] = text

    def describe(self, token_id: int, tokenizer: Any) -> TokenInfo:
        """The token just chosen, with both distributions of the step that chose it."""
        text = self.text(token_id, tokenizer)
        if self.raw is None or self.processed is None:
            return TokenInfo(token_id, text, math.nan, ())
        raw_lp, raw_rank, raw_top, _ = self._dist(self.raw, token_id, tokenizer, filtered=False)
        if self.processed is self.raw or not self.processors:
            return TokenInfo(token_id, text, raw_lp, raw_top, raw_lp, raw_top, raw_rank, raw_rank,
                             int(self.raw.numel()))
        lp, rank, top, kept = self._dist(self.processed, token_id, tokenizer)
        return TokenInfo(token_id, text, lp, top, raw_lp, raw_top, rank, raw_rank, kept)


def token_text(tokenizer: Any, token_id: int) -> str:
    """One token's text on its own, leading space included: decoded after a fixed anchor token (SentencePiece
    tokenizers drop a leading space when a token is decoded alone), or the tokenizer's spelling of the piece when it
    is not whole UTF-8 on its own (a byte-fallback piece such as ``<0xE6>``). Special tokens are kept."""
    anchor = getattr(tokenizer, "_llmdesk_anchor", None)
    if anchor is None:
        ids = tokenizer("a", add_special_tokens=False)["input_ids"]
        anchor_id = int(ids[0]) if ids else -1
        anchor_text = tokenizer.decode([anchor_id], skip_special_tokens=False) if anchor_id >= 0 else ""
        anchor = (anchor_id, anchor_text)
        tokenizer._llmdesk_anchor = anchor
    anchor_id, anchor_text = anchor
    if anchor_id >= 0:
        both = tokenizer.decode([anchor_id, token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        text = both[len(anchor_text):] if both.startswith(anchor_text) else both
    else:
        text = tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
    if "\ufffd" in text:
        piece = tokenizer.convert_ids_to_tokens(token_id)
        if isinstance(piece, str) and piece:
            return piece
    return text


def token_texts(tokenizer: Any, token_ids: Sequence[int]) -> list[str]:
    """:func:`token_text` for many ids in one batch decode."""
    token_text(tokenizer, token_ids[0]) if token_ids else None  # sets the anchor
    anchor_id, anchor_text = tokenizer._llmdesk_anchor
    if anchor_id < 0:
        return [token_text(tokenizer, i) for i in token_ids]
    out = []
    decoded = tokenizer.batch_decode([[anchor_id, i] for i in token_ids], skip_special_tokens=False,
                                     clean_up_tokenization_spaces=False)
    for token_id, both in zip(token_ids, decoded, strict=True):
        text = both[len(anchor_text):] if both.startswith(anchor_text) else both
        if "\ufffd" in text:
            piece = tokenizer.convert_ids_to_tokens(token_id)
            text = piece if isinstance(piece, str) and piece else text
        out.append(text)
    return out


def make_streamer(tokenizer: Any, config: GenerationConfig, on_text: TextCallback, cancel: threading.Event,
                  stop_sequences: Sequence[str] = (), on_token: TokenCallback | None = None,
                  context: Sequence[int] = ()) -> tuple[GenerationConfig, ReplyStreamer]:
    """The streamer for one reply and the config ``generate`` then gets: with ``on_token`` the decoding processors
    move out of the config into a :class:`TokenInspector` (see :func:`split_processors`); without it the config is
    returned as it is. ``context``: token ids of the reply already shown (new text is decoded after them)."""
    inspector = None
    if on_token is not None:
        config, processors = split_processors(config)
        inspector = TokenInspector(processors)
    return config, ReplyStreamer(tokenizer, on_text, cancel, stop_sequences, on_token, inspector, context)


def split_processors(config: GenerationConfig) -> tuple[GenerationConfig, LogitsProcessorList]:
    """Take the decoding processors out of ``config``: a copy without them, and the processors themselves in the
    order ``generate`` applies them (repetition penalty; with sampling, temperature, top-k, top-p, min-p).

    Raises nothing; settings that ``generate`` would ignore are left as they are.
    """
    processors = LogitsProcessorList()
    stripped = copy.deepcopy(config)
    if config.repetition_penalty is not None and config.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty))
        stripped.repetition_penalty = None
    if config.do_sample:
        if config.temperature is not None and config.temperature != 1.0:
            processors.append(TemperatureLogitsWarper(config.temperature))
        if config.top_k is not None and config.top_k != 0:
            processors.append(TopKLogitsWarper(top_k=config.top_k, min_tokens_to_keep=1))
        if config.top_p is not None and config.top_p < 1.0:
            processors.append(TopPLogitsWarper(top_p=config.top_p, min_tokens_to_keep=1))
        if config.min_p is not None:
            processors.append(MinPLogitsWarper(min_p=config.min_p, min_tokens_to_keep=1))
        stripped.temperature = stripped.top_k = stripped.top_p = stripped.min_p = None
    return stripped, processors


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
                    streamer: ReplyStreamer | None = None, output_ids: list[int] | None = None,
                    reply_prefix: int = 0) -> GenerationStats:
    """Run ``generate`` on the calling thread, streaming text through ``on_text``; return the stats.

    With ``reply_prefix`` the last that many of ``input_ids`` are the start of the reply (already shown): new text
    is decoded after them, so a word that goes on across the boundary keeps its spacing.

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
        context = list(input_ids[len(input_ids) - reply_prefix:]) if reply_prefix else []
        config, streamer = make_streamer(tokenizer, config, on_text, cancel, stop_sequences, on_token, context)
    else:
        if streamer.inspector is not None:  # the inspector applies the processors, as in the first part
            config, _processors = split_processors(config)
        streamer.prompt_seen = False  # generate() pushes the (longer) prompt again first
    inspector = streamer.inspector
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
