"""Plain data that crosses from the engine to its callers (and across threads). Imports no torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from llmdesk.core.conversation import ChatTurn, StopReason
from llmdesk.core.token_trace import TokenInfo

__all__ = ["ChatTurn", "DeviceInfo", "GenerationStats", "LoadProgress", "ModelInfo", "PromptFit", "StopReason",
           "TokenInfo"]


@dataclass(frozen=True)
class DeviceInfo:
    """A device the model can run on.

    Attributes:
        id: what torch and the settings call it: "cpu", "cuda:0", "mps", "xpu:0", or "balanced" for
            accelerate's device_map="auto" over all GPUs and the CPU.
        name: a readable name, e.g. "NVIDIA H100 80GB HBM3".
        total_memory: bytes of memory on the device (system RAM for the CPU), or None if unknown.
        free_memory: bytes free now, or None if unknown.
    """

    id: str
    name: str
    total_memory: int | None = None
    free_memory: int | None = None

    def label(self) -> str:
        if self.total_memory:
            return f"{self.name} ({self.total_memory / 2**30:.1f} GiB)"
        return self.name


@dataclass(frozen=True)
class LoadProgress:
    """Progress of a load. ``stage``: "resolve", "download", "tokenizer", "weights", "ready"; counts in the stage's
    own unit (bytes for downloads, tensors or shards for weights); ``total`` 0 when unknown."""

    stage: str
    done: int = 0
    total: int = 0
    message: str = ""


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded, for the status bar and for each reply's record."""

    model_id: str
    revision: str | None
    device: str
    dtype: str
    architecture: str
    parameters: int
    weight_bytes: int
    memory_bytes: int
    context_window: int
    load_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationStats:
    """How a request went; every request ends with one, errors and cancels included."""

    prompt_tokens: int = 0
    new_tokens: int = 0
    ttft_s: float | None = None
    decode_tokens_per_s: float | None = None
    total_s: float = 0.0
    stop_reason: str = StopReason.EOS
    dropped_messages: int = 0
    error: str | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PromptFit:
    """The prompt that was built: its token ids, and how many of the oldest turns were left out to fit."""

    input_ids: list[int]
    dropped_messages: int = 0
    kept_messages: int = 0
    text: str = field(default="", repr=False)
