"""The engine the window's worker uses: a local model, or a saved remote server when the model setting reads
``remote:NAME`` (a server from ``llmdesk remote add`` / ``servers.json``). Same interface as
:class:`llmdesk.engine.session.ChatEngine`; the worker does not know which kind answers. No Qt."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import ChatTurn, GenerationStats, LoadProgress, ModelInfo, TokenInfo

REMOTE_PREFIX = "remote:"


class SwitchingEngine:
    """Holds one engine at a time: a local ``ChatEngine`` or a ``RemoteEngine``, picked at each ``load``."""

    def __init__(self) -> None:
        self._engine: Any = None

    @property
    def info(self) -> ModelInfo | None:
        return self._engine.info if self._engine is not None else None

    @property
    def engine(self) -> Any:
        return self._engine

    def load(self, settings: ModelSettings, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> ModelInfo:
        """Load a local model, or connect to the saved server named after ``remote:``.

        Raises:
            EngineError: "not_found" for an unknown server name; otherwise what the chosen engine raises.
        """
        self.unload()
        if settings.model.startswith(REMOTE_PREFIX):
            from llmdesk.core.remote_servers import KeyStore, find_server
            from llmdesk.engine.remote import RemoteEndpoint, RemoteEngine

            name = settings.model[len(REMOTE_PREFIX):].strip()
            entry = find_server(name)
            if entry is None:
                raise EngineError("not_found", f"No saved server is named {name!r}.",
                                  "Add it with `llmdesk remote add NAME URL`.")
            engine: Any = RemoteEngine(RemoteEndpoint(entry.name, entry.base_url, entry.model,
                                                      api_key=KeyStore().get(entry.name)))
        else:
            from llmdesk.engine.session import ChatEngine

            engine = ChatEngine()
        info = engine.load(settings, progress, cancel)
        self._engine = engine
        return info

    def unload(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.unload()

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: Callable[[str], None], cancel: threading.Event,
             on_token: Callable[[TokenInfo], None] | None = None, continue_final: bool = False,
             **kwargs: Any) -> GenerationStats:
        if self._engine is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model first.")
        return self._engine.chat(turns, decoding, system_prompt, on_text=on_text, cancel=cancel, on_token=on_token,
                                 continue_final=continue_final, **kwargs)

    @property
    def loaded(self) -> Any:
        """The local engine's LoadedModel (None for a remote engine or none loaded)."""
        return getattr(self._engine, "loaded", None)

    def __getattr__(self, name: str) -> Any:
        # anything else the chosen engine offers (e.g. features of the local engine) is reached through it
        engine = self.__dict__.get("_engine")
        if engine is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(engine, name)
