"""Devices and precision: what is really there, what ``auto`` means, and whether a model's weights fit.

Imports torch: use it on the worker thread (or the command line), not at GUI start-up.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from typing import Any

import torch

from llmdesk.core.settings import ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.quantize import PRECISIONS, QUANTIZED, check_precision
from llmdesk.engine.types import DeviceInfo

BALANCED = "balanced"
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


# --------------------------------------------------------------------------------------------------------------
# What is there
# --------------------------------------------------------------------------------------------------------------

def _meminfo() -> tuple[int | None, int | None]:
    """(total, available) system memory in bytes."""
    try:
        fields = {}
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0]) * 1024
        return fields.get("MemTotal"), fields.get("MemAvailable", fields.get("MemFree"))
    except (OSError, ValueError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_PHYS_PAGES") * page, os.sysconf("SC_AVPHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        return None, None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return f"CPU: {line.split(':', 1)[1].strip()}"
    except OSError:
        pass
    return f"CPU: {platform.processor() or platform.machine()}"


def cpu_has_fast_bf16() -> bool:
    """Whether the CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX), where bf16 halves memory traffic
    without the slow emulated path."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def _xpu_count() -> int:
    xpu = getattr(torch, "xpu", None)
    return xpu.device_count() if xpu is not None and xpu.is_available() else 0


def list_devices() -> list[DeviceInfo]:
    """The devices that really exist here, the CPU first, then each GPU with its name and memory; plus
    ``balanced`` (accelerate spreads layers over the GPUs and offloads the rest to the CPU) when there is a GPU."""
    total, free = _meminfo()
    devices = [DeviceInfo("cpu", _cpu_name(), total, free)]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            try:
                free_i, total_i = torch.cuda.mem_get_info(i)
            except RuntimeError:
                free_i, total_i = None, props.total_memory
            devices.append(DeviceInfo(f"cuda:{i}", props.name, total_i, free_i))
    if _mps_available():
        devices.append(DeviceInfo("mps", "Apple GPU (MPS, shared memory)", total, free))
    for i in range(_xpu_count()):
        xpu = torch.xpu.get_device_properties(i)
        devices.append(DeviceInfo(f"xpu:{i}", xpu.name, getattr(xpu, "total_memory", None), None))
    gpus = [d for d in devices if d.id != "cpu"]
    if any(d.id.startswith("cuda") for d in gpus):
        gpu_total = sum(d.total_memory or 0 for d in gpus)
        devices.append(DeviceInfo(BALANCED, f"Balanced: {len(gpus)} GPU(s) + CPU offload",
                                  gpu_total + (total or 0), None))
    return devices


def resolve_device(name: str) -> str:
    """Turn a setting ("auto", "cpu", "cuda", "cuda:1", "mps", "xpu", "balanced") into a device that exists.

    Raises:
        EngineError: kind "device_unavailable", naming the device and what is there instead.
    """
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda:0"
        if _mps_available():
            return "mps"
        if _xpu_count():
            return "xpu:0"
        return "cpu"
    if name in ("cuda", "xpu"):
        name += ":0"
    available = [d.id for d in list_devices()]
    if name not in available:
        raise EngineError("device_unavailable", f"Device '{name}' is not available on this machine.",
                          f"Available: {', '.join(available)}. Choose one of those, or Auto.")
    return name


def resolve_dtype(device: str, dtype: str) -> str:
    """The precision to load with. ``auto``: bfloat16 on GPUs that support it and on CPUs with native bf16,
    float16 on older CUDA GPUs and on MPS, float32 elsewhere (bf16 is emulated and slow on such CPUs).
    ``int8``/``int4`` (weight-only, see :mod:`llmdesk.engine.quantize`) are checked against the device and the
    libraries they need before anything is loaded.

    Raises:
        EngineError: kind "bad_settings" for an unknown dtype, or one the device cannot run; kind
            "precision_unavailable" for int8/int4 where the device or a library cannot run it (with the reason
            and what to choose instead).
    """
    if dtype not in ("auto", *DTYPE_BYTES, *QUANTIZED):
        raise EngineError("bad_settings", f"dtype must be one of auto, {', '.join((*DTYPE_BYTES, *QUANTIZED))}, "
                                          f"not {dtype!r}.")
    kind = device.split(":")[0]
    if dtype in QUANTIZED:
        check_precision(dtype, device)
        return dtype
    if dtype != "auto":
        if kind == "mps" and dtype == "bfloat16" and not torch.backends.mps.is_macos_or_newer(14, 0):
            raise EngineError("bad_settings", "bfloat16 needs macOS 14 or newer on MPS.", "Use float16.")
        return dtype
    if kind in ("cuda", BALANCED):
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return "bfloat16"
        return "float16"
    if kind == "mps":
        return "float16"
    if kind == "xpu":
        return "bfloat16"
    return "bfloat16" if cpu_has_fast_bf16() else "float32"


def compute_dtype(device: str, dtype: str) -> str:
    """The floating-point precision the arithmetic runs in: ``dtype`` itself, or for int8/int4 the device's
    ``auto`` precision (bfloat16 on CUDA for int4, which torchao's int4 kernel needs)."""
    if dtype not in QUANTIZED:
        return dtype
    if device.split(":")[0] == "cuda" and dtype == "int4":
        return "bfloat16"
    return resolve_dtype(device, "auto")


# --------------------------------------------------------------------------------------------------------------
# Will it fit
# --------------------------------------------------------------------------------------------------------------

def count_parameters(config: Any) -> int:
    """Parameters of a decoder-only transformer from its config (exact for Llama/Phi-3/Mistral/Qwen shapes)."""
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    hidden = cfg.hidden_size
    layers = cfg.num_hidden_layers
    heads = cfg.num_attention_heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or hidden // heads
    inter = getattr(cfg, "intermediate_size", None) or 4 * hidden
    vocab = cfg.vocab_size
    attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    mlp = 3 * hidden * inter
    per_layer = attn + mlp + 2 * hidden
    tied = getattr(cfg, "tie_word_embeddings", False)
    return vocab * hidden * (1 if tied else 2) + layers * per_layer + hidden


def quantized_weight_bytes(config: Any, precision: str, float_bytes: int) -> int:
    """Bytes of weights in ``precision`` (int8/int4): the decoder's linear layers at the precision's bytes per
    weight, the output layer in int8, the embeddings and norms at ``float_bytes``."""
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    total = count_parameters(config)
    embed = cfg.vocab_size * cfg.hidden_size
    norms = (2 * cfg.num_hidden_layers + 1) * cfg.hidden_size
    linears = total - embed * (1 if getattr(cfg, "tie_word_embeddings", False) else 2) - norms
    return int(linears * PRECISIONS[precision].bytes_per_weight + embed * (1 + float_bytes) + norms * float_bytes)


def kv_cache_bytes(config: Any, tokens: int, dtype: str) -> int:
    dtype = dtype if dtype in DTYPE_BYTES else "bfloat16"
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    heads = cfg.num_attention_heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    return 2 * cfg.num_hidden_layers * kv_heads * head_dim * tokens * DTYPE_BYTES[dtype]


def context_window(config: Any) -> int:
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    return int(getattr(cfg, "max_position_embeddings", None) or 2048)


@dataclass(frozen=True)
class MemoryEstimate:
    """How much memory a model needs on a device.

    Attributes:
        weight_bytes: the weights at the chosen precision.
        cache_bytes: the KV cache for a full context window.
        kept_cache_bytes: the most the KV caches kept between turns may hold (the ``kv_cache_budget_mb`` setting).
        needed_bytes: weights + cache + kept caches + 10% for activations and the runtime.
        available_bytes: free memory on the device now (None if unknown).
        device, dtype: as resolved.
        fits: False only when the device's free memory is known and too small.
        message: one line for the user.
    """

    weight_bytes: int
    cache_bytes: int
    needed_bytes: int
    available_bytes: int | None
    device: str
    dtype: str
    fits: bool
    message: str
    kept_cache_bytes: int = 0


def _gib(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 2**30:.1f} GiB"


def estimate_for_config(config: Any, device: str, dtype: str, kept_cache_bytes: int = 0) -> MemoryEstimate:
    """The estimate for a config object on a resolved device and dtype (int8/int4: the packed weights, the cache in
    the compute dtype); ``kept_cache_bytes``: the budget for KV caches kept between turns (counted on top of one
    full-context cache)."""
    if dtype in QUANTIZED:
        float_dtype = compute_dtype(device, dtype)
        weights = quantized_weight_bytes(config, dtype, DTYPE_BYTES[float_dtype])
        cache = kv_cache_bytes(config, context_window(config), float_dtype)
    else:
        weights = count_parameters(config) * DTYPE_BYTES[dtype]
        cache = kv_cache_bytes(config, context_window(config), dtype)
    needed = int((weights + cache + kept_cache_bytes) * 1.1)
    available = next((d.free_memory for d in list_devices() if d.id == device), None)
    fits = available is None or needed <= available
    verdict = "fits" if fits else "does NOT fit"
    kept = f", up to {_gib(kept_cache_bytes)} of KV caches kept between turns" if kept_cache_bytes else ""
    message = (f"Needs about {_gib(needed)} on {device} in {dtype} ({_gib(weights)} of weights, {_gib(cache)} of "
               f"cache for a full context{kept}); {_gib(available)} free: {verdict}.")
    return MemoryEstimate(weights, cache, needed, available, device, dtype, fits, message, kept_cache_bytes)


def estimate_memory(settings: ModelSettings) -> MemoryEstimate:
    """Estimate from the model's config in a local folder or the Hugging Face cache. Never touches the network,
    so it answers at once (a model that is not downloaded yet raises kind "not_downloaded").

    Raises:
        EngineError: the config cannot be found (see :func:`llmdesk.engine.loader.load_config`).
    """
    from llmdesk.engine.loader import load_config

    device = resolve_device(settings.device)
    dtype = resolve_dtype(device, settings.dtype)
    return estimate_for_config(load_config(settings.model, settings.trust_remote_code, local_only=True), device,
                               dtype, settings.kv_cache_budget_mb * 2**20)

