"""The chat engine: one loaded model and its chat requests. Used by the GUI's worker thread and by ``llmdesk ask``.

Not thread-safe by design: one thread owns an engine. Only ``cancel`` events cross threads.
"""

from __future__ import annotations

import copy
import gc
import random
import threading
import time
from collections.abc import Callable, Sequence

import torch
from transformers import DynamicCache

from llmdesk.core.reasoning import open_tag_at_end
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.kv_cache import CachePlan, KVCacheStore, bytes_per_token
from llmdesk.engine.loader import LoadedModel, free_model, load_model
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.streaming import TextCallback, TokenCallback, generation_config, make_streamer, \
    stream_generate
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo, PromptFit

_OOM_HINT = "Lower max new tokens, shorten the conversation, or load in a smaller precision."


def _free_device_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class ChatEngine:
    """Owns at most one loaded model and answers chat requests with it, keeping the KV caches of the most recent
    conversations between turns (see :mod:`llmdesk.engine.kv_cache`).

    Args:
        cache_budget_bytes: bytes the kept KV caches may hold together (0 keeps none); by default the
            ``kv_cache_budget_mb`` of :class:`ModelSettings`. :meth:`load` sets it from the settings it loads.
    """

    def __init__(self, cache_budget_bytes: int | None = None) -> None:
        self._loaded: LoadedModel | None = None
        if cache_budget_bytes is None:
            cache_budget_bytes = ModelSettings().kv_cache_budget_mb * 2**20
        self.caches = KVCacheStore(cache_budget_bytes)

    @property
    def kv_cache_bytes(self) -> int:
        """Bytes held by the kept KV caches."""
        return self.caches.total_bytes

    @property
    def info(self) -> ModelInfo | None:
        return self._loaded.info if self._loaded is not None else None

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    def load(self, settings: ModelSettings, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> ModelInfo:
        """Load a model, replacing the current one (freed first, so two never sit in memory together).

        Raises:
            EngineError: what went wrong, and what to do about it.
        """
        self.unload()
        self.caches.set_budget(settings.kv_cache_budget_mb * 2**20)
        self._loaded = load_model(settings, progress, cancel)
        return self._loaded.info

    def adopt(self, loaded: LoadedModel) -> None:
        """Use an already loaded model (e.g. one built by :mod:`llmdesk.engine.random_model` for the bench)."""
        self.unload()
        self._loaded = loaded

    def unload(self) -> None:
        """Free the model and every kept KV cache (a cache belongs to the model that filled it)."""
        self.caches.clear()
        loaded, self._loaded = self._loaded, None
        free_model(loaded)

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: TextCallback, cancel: threading.Event, on_token: TokenCallback | None = None,
             continue_final: bool = False, cache_key: str | None = None) -> GenerationStats:
        """Answer the conversation ``turns`` (oldest first), streaming the reply through ``on_text``.

        Args:
            turns: the messages on the shown path; with ``continue_final`` the last one is an assistant reply that
                the model continues (a reply cut at the length limit).
            decoding: the decoding settings for this reply.
            system_prompt: sent first (or folded into the first user turn when the template has no system role).
            on_text: called with each printable piece, on this thread. When the prompt ends with an opened
                reasoning tag (``<think>``), the first piece is that tag.
            cancel: set from any thread to stop within one forward pass (stop reason "cancelled").
            on_token: when given, called per token with its id, log-probability and top alternatives.
            cache_key: the conversation's id: its KV cache is kept after the reply and the longest common token
                prefix is reused by its next prompt. None: nothing is reused or kept.

        Raises:
            EngineError: no model loaded, the prompt cannot fit, or generation failed. Out of memory with kept
                caches first drops them and goes on without them (``stats.notice`` says so); running out again is
                an "out_of_memory" error (the text streamed so far stays the caller's partial reply).
        """
        loaded = self._loaded
        if loaded is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        started = time.perf_counter()
        fit = fit_prompt(loaded.tokenizer, turns, system_prompt, loaded.info.context_window,
                         decoding.max_new_tokens, continue_final)
        config = generation_config(decoding, loaded.model.generation_config, loaded.end_token_ids)
        if not continue_final:
            # A template that opens the reasoning tag in the prompt: the reply starts inside the reasoning, so the
            # stream starts with that tag and the reply's text splits the same way (llmdesk.core.reasoning).
            opened = open_tag_at_end(loaded.tokenizer.decode(fit.input_ids[-16:], skip_special_tokens=False))
            if opened is not None:
                on_text(opened)
        prompt = list(fit.input_ids)
        seed = None
        if decoding.do_sample:  # chosen here so that a reply resumed after running out of memory keeps it
            seed = decoding.seed if decoding.seed is not None else random.randrange(2**32)
        config, streamer = make_streamer(loaded.tokenizer, config, on_text, cancel, decoding.stop_sequences,
                                         on_token)
        caches = self.caches
        try:
            with torch.inference_mode():
                plan = caches.take(cache_key, loaded.model, prompt)
        except Exception:  # noqa: BLE001 - a cache that cannot be reused is read again, never a failed reply
            caches.drop(cache_key or "")
            plan = CachePlan(DynamicCache(config=loaded.model.config), 0, "the kept cache could not be reused")
        if cache_key is not None:  # room for this reply's cache beside the others
            caches.make_room(bytes_per_token(loaded.model) * (len(prompt) + decoding.max_new_tokens))
        sequence: list[int] = []
        notice = None
        resumed_from = 0
        try:
            try:
                stats = stream_generate(loaded.model, loaded.tokenizer, prompt, config, on_text=on_text,
                                        cancel=cancel, stop_sequences=decoding.stop_sequences, on_token=on_token,
                                        seed=seed, end_token_ids=loaded.end_token_ids,
                                        past_key_values=plan.cache, streamer=streamer, output_ids=sequence)
            except torch.OutOfMemoryError as exc:
                had_caches = plan.reused_tokens > 0 or len(caches) > 0
                plan.cache = None
                freed = caches.clear()
                _free_device_memory()
                if not had_caches:
                    raise EngineError("out_of_memory", f"Out of memory while generating: {exc}", _OOM_HINT) from exc
                notice = (f"Ran out of memory with kept KV caches: they were dropped ({freed / 2**20:.0f} MB "
                          "freed) and the reply went on without them.")
                generated = list(streamer.decoder.ids)
                resumed_from = len(generated)
                config = copy.deepcopy(config)
                config.max_new_tokens = max(1, decoding.max_new_tokens - resumed_from)
                try:
                    stats = stream_generate(loaded.model, loaded.tokenizer, prompt + generated, config,
                                            on_text=on_text, cancel=cancel, stop_sequences=decoding.stop_sequences,
                                            on_token=on_token, seed=seed, end_token_ids=loaded.end_token_ids,
                                            past_key_values=DynamicCache(config=loaded.model.config),
                                            streamer=streamer)
                except torch.OutOfMemoryError as again:
                    raise EngineError(
                        "out_of_memory", f"Out of memory while generating, again after the kept KV caches were "
                                         f"dropped: {again}", f"The partial reply is kept. {_OOM_HINT}") from again
                cache_key = None  # memory is short: keep nothing from this reply
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reply fails with a message; the app keeps running
            raise EngineError("generation_failed", f"Generation failed: {type(exc).__name__}: {exc}") from exc
        if cache_key is not None and sequence:
            try:
                caches.put(cache_key, plan.cache, sequence)
            except Exception:  # noqa: BLE001 - the reply went through; only its cache is not kept
                caches.drop(cache_key)
        if resumed_from:
            stats.new_tokens += resumed_from
            stats.prompt_tokens = len(prompt)
        if streamer.first_token_at is not None:  # from the request, prompt building and cache look-up included
            stats.ttft_s = streamer.first_token_at - started
        stats.cached_tokens = plan.reused_tokens
        stats.kv_cache_bytes = caches.total_bytes
        stats.notice = notice
        stats.dropped_messages = fit.dropped_messages
        stats.total_s = time.perf_counter() - started
        return stats

    def continue_from_tokens(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str,
                             reply_ids: Sequence[int], *, on_text: TextCallback, cancel: threading.Event,
                             on_token: TokenCallback | None = None) -> GenerationStats:
        """Generate a reply that starts with the given tokens: "continue from here with this token".

        The prompt is built for ``turns`` as for :meth:`chat` (a new reply to the last user turn), then
        ``reply_ids`` (the reply's tokens up to the chosen point, and the chosen token) are appended and generation
        goes on from there. ``on_text`` first receives the text of ``reply_ids``, then each new piece, decoded after
        them. Stats count only the new tokens; ``prompt_tokens`` includes ``reply_ids``.

        Raises:
            EngineError: no model loaded, the prompt cannot fit, or generation failed.
        """
        loaded = self._loaded
        if loaded is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        if not reply_ids:
            raise EngineError("bad_settings", "There is no token to continue from.")
        started = time.perf_counter()
        room = decoding.max_new_tokens + len(reply_ids)
        fit = fit_prompt(loaded.tokenizer, turns, system_prompt, loaded.info.context_window, room)
        prefix_text = loaded.tokenizer.decode(list(reply_ids), skip_special_tokens=True,
                                              clean_up_tokenization_spaces=False)
        if prefix_text and not cancel.is_set():
            on_text(prefix_text)
        config = generation_config(decoding, loaded.model.generation_config, loaded.end_token_ids)
        try:
            stats = stream_generate(loaded.model, loaded.tokenizer, [*fit.input_ids, *reply_ids], config,
                                    on_text=on_text, cancel=cancel, stop_sequences=decoding.stop_sequences,
                                    on_token=on_token, seed=decoding.seed, end_token_ids=loaded.end_token_ids,
                                    reply_prefix=len(reply_ids))
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reply fails with a message; the app keeps running
            raise EngineError("generation_failed", f"Generation failed: {type(exc).__name__}: {exc}") from exc
        stats.dropped_messages = fit.dropped_messages
        stats.total_s = time.perf_counter() - started
        return stats

    def prompt_ids(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str,
                   continue_final: bool = False) -> PromptFit:
        """The prompt :meth:`chat` would send for these arguments (token ids, dropped and kept turns), without
        generating: for the prompt view and the context meter.

        Raises:
            EngineError: no model loaded, or the prompt cannot fit.
        """
        loaded = self._loaded
        if loaded is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        return fit_prompt(loaded.tokenizer, turns, system_prompt, loaded.info.context_window,
                          decoding.max_new_tokens, continue_final)

    def complete_raw(self, text: str, decoding: DecodingSettings, *, on_text: TextCallback,
                     cancel: threading.Event, on_token: TokenCallback | None = None) -> GenerationStats:
        """Raw completion: the model continues ``text`` as it is, with no chat template (as a pretrained base
        model would), streaming the continuation through ``on_text``.

        Raises:
            EngineError: no model loaded, the text does not fit, or generation failed.
        """
        from llmdesk.engine.prompt_view import raw_prompt_ids

        loaded = self._loaded
        if loaded is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        started = time.perf_counter()
        ids = raw_prompt_ids(loaded.tokenizer, text)
        room = loaded.info.context_window - decoding.max_new_tokens
        if len(ids) > room:
            raise EngineError("prompt_too_long", f"The text is {len(ids)} tokens; with max new tokens "
                                                 f"{decoding.max_new_tokens} it does not fit the model's context "
                                                 f"window of {loaded.info.context_window} tokens.",
                              "Shorten the text or lower max new tokens.")
        config = generation_config(decoding, loaded.model.generation_config, loaded.end_token_ids)
        try:
            stats = stream_generate(loaded.model, loaded.tokenizer, ids, config, on_text=on_text, cancel=cancel,
                                    stop_sequences=decoding.stop_sequences, on_token=on_token, seed=decoding.seed,
                                    end_token_ids=loaded.end_token_ids)
        except Exception as exc:  # noqa: BLE001 - the reply fails with a message; the app keeps running
            raise EngineError("generation_failed", f"Generation failed: {type(exc).__name__}: {exc}") from exc
        stats.total_s = time.perf_counter() - started
        return stats
