"""The chat engine: one loaded model and its chat requests. Used by the GUI's worker thread and by ``llmdesk ask``.

Not thread-safe by design: one thread owns an engine. Only ``cancel`` events cross threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import torch

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.loader import LoadedModel, free_model, load_model
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.streaming import TextCallback, TokenCallback, generation_config, stream_generate
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo, PromptFit


class ChatEngine:
    """Owns at most one loaded model and answers chat requests with it."""

    def __init__(self) -> None:
        self._loaded: LoadedModel | None = None

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
        self._loaded = load_model(settings, progress, cancel)
        return self._loaded.info

    def unload(self) -> None:
        loaded, self._loaded = self._loaded, None
        free_model(loaded)

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: TextCallback, cancel: threading.Event, on_token: TokenCallback | None = None,
             continue_final: bool = False) -> GenerationStats:
        """Answer the conversation ``turns`` (oldest first), streaming the reply through ``on_text``.

        Args:
            turns: the messages on the shown path; with ``continue_final`` the last one is an assistant reply that
                the model continues (a reply cut at the length limit).
            decoding: the decoding settings for this reply.
            system_prompt: sent first (or folded into the first user turn when the template has no system role).
            on_text: called with each printable piece, on this thread.
            cancel: set from any thread to stop within one forward pass (stop reason "cancelled").
            on_token: when given, called per token with its id, log-probability and top alternatives.

        Raises:
            EngineError: no model loaded, the prompt cannot fit, or generation failed.
        """
        loaded = self._loaded
        if loaded is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        started = time.perf_counter()
        fit = fit_prompt(loaded.tokenizer, turns, system_prompt, loaded.info.context_window,
                         decoding.max_new_tokens, continue_final)
        config = generation_config(decoding, loaded.model.generation_config, loaded.end_token_ids)
        try:
            stats = stream_generate(loaded.model, loaded.tokenizer, fit.input_ids, config, on_text=on_text,
                                    cancel=cancel, stop_sequences=decoding.stop_sequences, on_token=on_token,
                                    seed=decoding.seed, end_token_ids=loaded.end_token_ids)
        except torch.OutOfMemoryError as exc:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            raise EngineError("out_of_memory", f"Out of memory while generating: {exc}",
                              "Lower max new tokens, shorten the conversation, or load in a smaller precision.") \
                from exc
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reply fails with a message; the app keeps running
            raise EngineError("generation_failed", f"Generation failed: {type(exc).__name__}: {exc}") from exc
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
