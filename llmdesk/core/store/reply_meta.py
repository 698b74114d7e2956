"""The record of what produced a reply, in the shape stored in ``Message.meta``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(value, "to_dict"):
        return dict(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"expected a mapping or a dataclass, not {type(value).__name__}")


def reply_meta(*, model: Any = None, decoding: Any = None, stats: Any = None, seed: int | None = None,
               device: str | None = None, stop_reason: str | None = None, error: str | None = None,
               finished_at: float | None = None) -> dict[str, Any]:
    """What produced a reply, in the shape stored in ``Message.meta``.

    Args:
        model: the loaded model's :class:`~llmdesk.engine.types.ModelInfo` (or its dict).
        decoding: the :class:`~llmdesk.core.settings.DecodingSettings` used (or a dict).
        stats: the request's :class:`~llmdesk.engine.types.GenerationStats` (or a dict).
        seed: the seed actually used; defaults to ``stats.seed``, then ``decoding.seed``.
        device: overrides the model's device.
        stop_reason: why the reply ended (default: ``stats.stop_reason``).
        error: the error text, for a reply that failed.
        finished_at: unix time the reply ended (default: now).

    Returns:
        ``{"model", "revision", "device", "dtype", "decoding", "seed", "stats": {"prompt_tokens", "new_tokens",
        "ttft_s", "tokens_per_s", "total_s", "dropped_messages"}, "stop_reason", "error", "finished_at"}``.
    """
    info = _as_dict(model)
    dec = _as_dict(decoding)
    st = _as_dict(stats)
    if seed is None:
        seed = st.get("seed", dec.get("seed"))
    meta: dict[str, Any] = {
        "model": info.get("model_id"),
        "revision": info.get("revision"),
        "device": device or info.get("device"),
        "dtype": info.get("dtype"),
        "decoding": dec,
        "seed": seed,
        "stats": {
            "prompt_tokens": st.get("prompt_tokens"),
            "new_tokens": st.get("new_tokens"),
            "ttft_s": st.get("ttft_s"),
            "tokens_per_s": st.get("decode_tokens_per_s", st.get("tokens_per_s")),
            "total_s": st.get("total_s"),
            "dropped_messages": st.get("dropped_messages"),
        },
        "stop_reason": stop_reason or st.get("stop_reason"),
        "finished_at": time.time() if finished_at is None else finished_at,
    }
    err = error or st.get("error")
    if err:
        meta["error"] = err
    if st.get("engine"):  # which engine and server made the reply; notes: settings a server refused or ignored
        meta["engine"] = st["engine"]
    if st.get("server"):
        meta["server"] = st["server"]
    if st.get("notes"):
        meta["notes"] = list(st["notes"])
    return meta
