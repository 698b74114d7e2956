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
    """What is loaded, for the status bar and for each reply's record.

    ``weight_bytes`` counts packed int8/int4 weights as stored; ``memory_bytes`` is the process's own memory in
    use (anonymous resident memory on the CPU, allocated memory on CUDA). ``quality``: the figures of
    ``llmdesk bench --quality`` for this model, revision and int8/int4 precision, when measured. ``notes``: what
    the user should know about the load (a kept quantized copy used or rebuilt, an option ignored).
    """

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
    quality: dict[str, float] | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def quality_text(self) -> str:
        """For int8/int4: the measured agreement with bfloat16 (``llmdesk bench --quality``) in one line, or how
        to measure it; empty for floating-point precisions."""
        if self.dtype not in ("int8", "int4"):
            return ""
        q = self.quality
        if not q:
            return f"{self.dtype} quality: not measured for this model (run `llmdesk bench --quality`)."
        return (f"{self.dtype} quality, measured against bfloat16: top-1 agreement {q['top1_agreement'] * 100:.1f}%, "
                f"mean log-prob change {q['mean_logprob_diff']:+.3f} nats/token ({int(q.get('tokens', 0))} tokens).")


@dataclass
class GenerationStats:
    """How a request went; every request ends with one, errors and cancels included.

    ``cached_tokens``: prompt tokens taken from the conversation's kept KV cache (not processed again);
    ``kv_cache_bytes``: bytes all kept KV caches hold after this reply; ``notice``: something the user should be
    told although the reply went through (e.g. the kept caches were dropped after running out of memory).
    """

    prompt_tokens: int = 0
    new_tokens: int = 0
    ttft_s: float | None = None
    decode_tokens_per_s: float | None = None
    total_s: float = 0.0
    stop_reason: str = StopReason.EOS
    dropped_messages: int = 0
    error: str | None = None
    seed: int | None = None
    # Which engine made the reply ("transformers" here, "remote" for an OpenAI-compatible server), the server
    # ("name (base URL)") for a remote one, and what the user should know about it (settings a server refused or
    # ignored, missing per-token data).
    engine: str = "transformers"
    server: str | None = None
    notes: list[str] = field(default_factory=list)
    cached_tokens: int = 0
    kv_cache_bytes: int = 0
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PromptFit:
    """The prompt that was built: its token ids, and how many of the oldest turns were left out to fit."""

    input_ids: list[int]
    dropped_messages: int = 0
    kept_messages: int = 0
    text: str = field(default="", repr=False)
