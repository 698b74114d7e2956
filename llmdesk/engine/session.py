"""The chat engine: one loaded model and its chat requests. Used by the GUI's worker thread and by ``llmdesk ask``.

Not thread-safe by design: one thread owns an engine. Only ``cancel`` events cross threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import torch

from llmdesk.core.reasoning import open_tag_at_end
from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.loader import LoadedModel, free_model, load_model
from llmdesk.engine.prompt import fit_prompt
from llmdesk.engine.streaming import TextCallback, TokenCallback, generation_config, stream_generate
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo


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
            on_text: called with each printable piece, on this thread. When the prompt ends with an opened
                reasoning tag (``<think>``), the first piece is that tag.
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
        if not continue_final:
            # A template that opens the reasoning tag in the prompt: the reply starts inside the reasoning, so the
            # stream starts with that tag and the reply's text splits the same way (llmdesk.core.reasoning).
            opened = open_tag_at_end(loaded.tokenizer.decode(fit.input_ids[-16:], skip_special_tokens=False))
            if opened is not None:
                on_text(opened)
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
