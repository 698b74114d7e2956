"""Weight-only int8 and int4 precisions: what each device can run, quantizing a model, and true sizes.

Weight-only means the linear layers' weights are stored in 8 or 4 bits and the arithmetic still runs in the
compute precision (bfloat16 where the device runs it well): decoding one token reads every weight once, so fewer
bytes per weight is faster decoding and less memory. The embeddings, the norms and the KV cache stay in the compute
precision.

- CPU: torch's own weight-only kernels. int8: one scale per output row (symmetric), ``aten._weight_int8pack_mm``.
  int4: asymmetric groups of :data:`INT4_GROUP_SIZE` input weights sharing a scale and zero point (the
  "tinygemm" layout, quantized with torchao's helper), ``aten._weight_int4pack_mm_for_cpu``. torchao's own
  ``Int8WeightOnlyConfig`` runs several times slower than bfloat16 on the CPU unless the model is compiled, so the
  CPU path calls the kernels directly. The packed weights are plain tensors, so they can be saved and read back
  (see :mod:`llmdesk.engine.quant_cache`).
- CUDA: torchao's ``Int8WeightOnlyConfig`` and ``Int4WeightOnlyConfig`` through ``quantize_``, one layer at a
  time so the full bfloat16 model never has to fit on the GPU.

The output layer (``lm_head``) is quantized to int8 in both precisions: it is read once per token like every other
weight, and 4 bits there cost more quality than in the decoder layers (llama.cpp's Q4_K_M keeps it at 6 bits).
A linear layer whose input size is not a multiple of the int4 group size uses the largest of 128/64/32 that
divides it, and stays in int8 when none does.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from llmdesk.core.settings import PRECISION_NOTES
from llmdesk.engine.errors import EngineError

QUANTIZED = ("int8", "int4")
INT4_GROUP_SIZE = 128
INT4_GROUP_FALLBACKS = (128, 64, 32)
TORCHAO_MIN_VERSION = (0, 12)
_INT4_INNER_K_TILES = 8  # the CPU packing ignores it, the signature requires it


@dataclass(frozen=True)
class PrecisionInfo:
    """A quantized precision.

    Attributes:
        name: the setting's value ("int8", "int4").
        bytes_per_weight: stored bytes per linear-layer weight, scales and zero points included.
        note: what it costs and saves, for people (:data:`llmdesk.core.settings.PRECISION_NOTES`).
    """

    name: str
    bytes_per_weight: float
    note: str


PRECISIONS: dict[str, PrecisionInfo] = {
    "int8": PrecisionInfo("int8", 1.0, PRECISION_NOTES["int8"]),
    "int4": PrecisionInfo("int4", 0.5 + 4 / INT4_GROUP_SIZE, PRECISION_NOTES["int4"]),
}


# --------------------------------------------------------------------------------------------------------------
# What can run here
# --------------------------------------------------------------------------------------------------------------

def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("+")[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


@functools.lru_cache(maxsize=1)
def torchao_problem() -> str | None:
    """Why torchao cannot be used (not installed, too old, broken), or None when it can. Cached per process."""
    try:
        version = importlib.metadata.version("torchao")
    except importlib.metadata.PackageNotFoundError:
        return "torchao is not installed (pip install torchao)"
    if _version_tuple(version) < TORCHAO_MIN_VERSION:
        need = ".".join(map(str, TORCHAO_MIN_VERSION))
        return f"torchao {version} is too old (llmdesk needs {need} or newer: pip install -U torchao)"
    try:
        import torchao.quantization  # noqa: F401
        from torchao.quantization.utils import (  # noqa: F401
            groupwise_affine_quantize_tensor,
        )
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, not raised
        return f"torchao {version} cannot be imported ({type(exc).__name__}: {exc})"
    return None


def _has_op(name: str) -> bool:
    return hasattr(torch.ops.aten, name)


def precision_problem(precision: str, device: str) -> tuple[str, str] | None:
    """Why ``precision`` cannot run on ``device`` (a resolved device such as "cpu" or "cuda:0"), as (reason,
    what to choose instead), or None when it can. Needs no model: it is answered before anything is loaded."""
    if precision not in QUANTIZED:
        return None
    kind = device.split(":")[0]
    instead = "Choose bfloat16 (or auto)."
    if kind == "cpu":
        if precision == "int8" and not _has_op("_weight_int8pack_mm"):
            return f"int8 needs torch's CPU int8 kernel, which torch {torch.__version__} lacks.", instead
        if precision == "int4":
            if not (_has_op("_weight_int4pack_mm_for_cpu") and _has_op("_convert_weight_to_int4pack_for_cpu")):
                return (f"int4 needs torch's CPU int4 kernel, which torch {torch.__version__} lacks.",
                        "Choose int8 or bfloat16.")
            problem = torchao_problem()
            if problem:
                return f"int4 is unavailable: {problem}.", "Choose int8 or bfloat16."
        return None
    if kind == "cuda":
        problem = torchao_problem()
        if problem:
            return f"{precision} on CUDA is unavailable: {problem}.", "Choose bfloat16 or float16."
        if precision == "int4" and torch.cuda.is_available():
            index = int(device.split(":")[1]) if ":" in device else 0
            major, minor = torch.cuda.get_device_capability(index)
            if major < 8:
                return (f"int4 on CUDA needs compute capability 8.0 or newer (this GPU has {major}.{minor}).",
                        "Choose int8 or float16.")
        return None
    return (f"{precision} runs on the CPU and on CUDA GPUs, not on {device}.",
            "Choose bfloat16/float16 on this device, or the CPU.")


def check_precision(precision: str, device: str) -> None:
    """Raise when ``precision`` cannot run on ``device``.

    Raises:
        EngineError: kind "precision_unavailable", with the reason and what to choose instead.
    """
    problem = precision_problem(precision, device)
    if problem is not None:
        raise EngineError("precision_unavailable", problem[0], problem[1])


def available_precisions(device: str) -> dict[str, str | None]:
    """Each quantized precision mapped to None (available) or the reason it is not, on ``device``."""
    return {p: (None if (pr := precision_problem(p, device)) is None else pr[0]) for p in QUANTIZED}


# --------------------------------------------------------------------------------------------------------------
# CPU modules: packed plain tensors, torch's weight-only kernels
# --------------------------------------------------------------------------------------------------------------

class Int8WeightOnlyLinear(nn.Module):
    """``y = x @ (int8_weight * scale).T + bias``, one scale per output row.

    Buffers: ``weight`` int8 [out, in], ``scales`` [out] and ``bias`` [out] (optional) in the compute dtype.
    Input [..., in] in the compute dtype; output [..., out].
    """

    weight: torch.Tensor
    scales: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, in_features: int, out_features: int, bias: bool, dtype: torch.dtype) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight", torch.empty(out_features, in_features, dtype=torch.int8))
        self.register_buffer("scales", torch.empty(out_features, dtype=dtype))
        self.register_buffer("bias", torch.empty(out_features, dtype=dtype) if bias else None)

    @classmethod
    def from_linear(cls, linear: nn.Linear, dtype: torch.dtype) -> Int8WeightOnlyLinear:
        w = linear.weight.detach()
        module = cls(linear.in_features, linear.out_features, linear.bias is not None, dtype)
        scales = (w.abs().amax(dim=1).float() / 127.0).clamp(min=1e-8)
        module.weight = torch.round(w.float() / scales[:, None]).clamp_(-127, 127).to(torch.int8).contiguous()
        module.scales = scales.to(dtype)
        if linear.bias is not None:
            module.bias = linear.bias.detach().to(dtype)
        return module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).to(self.scales.dtype)
        y = torch.ops.aten._weight_int8pack_mm(x2, self.weight, self.scales)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-row"


class Int4WeightOnlyLinear(nn.Module):
    """``y = x @ dequant(int4_weight).T + bias`` with asymmetric groups of ``group_size`` input weights.

    Buffers: ``weight`` uint8 [out, in / 2] (torch's CPU int4 packing), ``scales_and_zeros``
    [in / group_size, out, 2] and ``bias`` [out] (optional) in the compute dtype.
    """

    weight: torch.Tensor
    scales_and_zeros: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, in_features: int, out_features: int, bias: bool, dtype: torch.dtype,
                 group_size: int) -> None:
        super().__init__()
        self.in_features, self.out_features, self.group_size = in_features, out_features, group_size
        self.register_buffer("weight", torch.empty(out_features, in_features // 2, dtype=torch.uint8))
        self.register_buffer("scales_and_zeros",
                             torch.empty(in_features // group_size, out_features, 2, dtype=dtype))
        self.register_buffer("bias", torch.empty(out_features, dtype=dtype) if bias else None)

    @classmethod
    def from_linear(cls, linear: nn.Linear, dtype: torch.dtype, group_size: int) -> Int4WeightOnlyLinear:
        from torchao.quantization.utils import groupwise_affine_quantize_tensor

        w = linear.weight.detach().to(dtype)
        module = cls(linear.in_features, linear.out_features, linear.bias is not None, dtype, group_size)
        w_int, scales_and_zeros = groupwise_affine_quantize_tensor(w, 4, group_size, dtype=dtype)
        module.weight = torch.ops.aten._convert_weight_to_int4pack_for_cpu(w_int.to(torch.int32),
                                                                           _INT4_INNER_K_TILES)
        module.scales_and_zeros = scales_and_zeros.to(dtype).contiguous()
        if linear.bias is not None:
            module.bias = linear.bias.detach().to(dtype)
        return module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).to(self.scales_and_zeros.dtype)
        y = torch.ops.aten._weight_int4pack_mm_for_cpu(x2, self.weight, self.group_size, self.scales_and_zeros)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, int4 groups of "
                f"{self.group_size}")


def int4_group_size(in_features: int) -> int | None:
    """The int4 group size for a layer with ``in_features`` inputs, or None when no supported size divides it."""
    return next((g for g in INT4_GROUP_FALLBACKS if in_features % g == 0 and in_features >= g), None)


@dataclass(frozen=True)
class LayerPlan:
    """How one linear layer is stored: "int8", or "int4" with its group size."""

    name: str
    scheme: str
    group_size: int = 0


def plan_layers(model: nn.Module, precision: str) -> list[LayerPlan]:
    """The quantized form of each ``nn.Linear`` in ``model`` for ``precision`` (see the module docstring)."""
    plans: list[LayerPlan] = []
    get_output = getattr(model, "get_output_embeddings", None)
    output = get_output() if callable(get_output) else None
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        group = int4_group_size(module.in_features)
        if precision == "int4" and module is not output and group is not None:
            plans.append(LayerPlan(name, "int4", group))
        else:
            plans.append(LayerPlan(name, "int8"))
    return plans


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)


def _make(plan: LayerPlan, linear: nn.Linear, dtype: torch.dtype) -> nn.Module:
    if plan.scheme == "int4":
        return Int4WeightOnlyLinear.from_linear(linear, dtype, plan.group_size)
    return Int8WeightOnlyLinear.from_linear(linear, dtype)


def quantize_cpu(model: nn.Module, precision: str, dtype: torch.dtype,
                 progress: Callable[[int, int], None] | None = None) -> list[LayerPlan]:
    """Replace every ``nn.Linear`` of ``model`` (on the CPU) by its int8/int4 form, one layer at a time, so the
    extra memory at any moment is one layer's. Returns the plan used.

    Args:
        dtype: the compute dtype (scales, zero points, activations).
        progress: called with (layers done, layers in all).
    """
    plans = plan_layers(model, precision)
    for i, plan in enumerate(plans):
        linear = model.get_submodule(plan.name)
        assert isinstance(linear, nn.Linear)
        _set_module(model, plan.name, _make(plan, linear, dtype))
        linear.weight = None  # type: ignore[assignment]  # drop the bf16 weight now, not when the loop ends
        del linear
        if progress is not None:
            progress(i + 1, len(plans))
    return plans


def skeleton_cpu(model: nn.Module, plans: Iterable[LayerPlan], dtype: torch.dtype) -> None:
    """Put empty int8/int4 modules of the right shapes in place of the planned linears (to load saved packed
    weights into)."""
    for plan in plans:
        linear = model.get_submodule(plan.name)
        assert isinstance(linear, nn.Linear)
        if plan.scheme == "int4":
            module: nn.Module = Int4WeightOnlyLinear(linear.in_features, linear.out_features,
                                                    linear.bias is not None, dtype, plan.group_size)
        else:
            module = Int8WeightOnlyLinear(linear.in_features, linear.out_features, linear.bias is not None, dtype)
        _set_module(model, plan.name, module)


# --------------------------------------------------------------------------------------------------------------
# CUDA: torchao
# --------------------------------------------------------------------------------------------------------------

def quantize_cuda(model: nn.Module, precision: str, device: str,
                  progress: Callable[[int, int], None] | None = None) -> list[LayerPlan]:  # pragma: no cover
    """Move ``model`` (on the CPU) to ``device`` and quantize its linears with torchao, one layer at a time.

    Raises:
        EngineError: kind "load_failed" when torchao refuses a layer.
    """
    from torchao.quantization import (
        Int4WeightOnlyConfig,
        Int8WeightOnlyConfig,
        quantize_,
    )

    plans = plan_layers(model, precision)
    for i, plan in enumerate(plans):
        linear = model.get_submodule(plan.name)
        linear.to(device)
        config: Any = (Int4WeightOnlyConfig(group_size=plan.group_size, int4_packing_format="tile_packed_to_4d")
                       if plan.scheme == "int4" else Int8WeightOnlyConfig())
        try:
            quantize_(linear, config)
        except Exception as exc:  # noqa: BLE001 - torchao's refusal becomes a message
            raise EngineError("load_failed", f"torchao could not quantize {plan.name} to {plan.scheme}: {exc}",
                              "Choose bfloat16 or float16.") from exc
        if progress is not None:
            progress(i + 1, len(plans))
    model.to(device)
    return plans


# --------------------------------------------------------------------------------------------------------------
# True sizes
# --------------------------------------------------------------------------------------------------------------

def _storage_tensors(t: torch.Tensor) -> list[torch.Tensor]:
    """The plain tensors that hold ``t``'s data: itself, or a tensor subclass's inner tensors (torchao's
    subclasses report their unquantized size through ``numel() * element_size()``)."""
    flatten = getattr(type(t), "__tensor_flatten__", None)
    if flatten is None or type(t) in (torch.Tensor, nn.Parameter):
        return [t]
    names, _ = t.__tensor_flatten__()  # type: ignore[attr-defined]
    out: list[torch.Tensor] = []
    for name in names:
        inner = getattr(t, name)
        if isinstance(inner, torch.Tensor):
            out.extend(_storage_tensors(inner))
    return out


def weight_bytes(model: nn.Module) -> int:
    """Bytes held by the model's parameters and persistent buffers as stored (packed int8/int4 counted as
    packed; a tensor shared by two modules counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    tensors: list[torch.Tensor] = [p for p in model.parameters()]
    for module in model.modules():
        skip: set[str] = getattr(module, "_non_persistent_buffers_set", set())
        tensors.extend(b for n, b in module.named_buffers(recurse=False) if n not in skip and b is not None)
    for t in tensors:
        for inner in _storage_tensors(t):
            key = (inner.data_ptr(), inner.numel())
            if key in seen or inner.device.type == "meta":
                continue
            seen.add(key)
            total += inner.numel() * inner.element_size()
    return total


def process_memory_bytes(device: str) -> int | None:
    """Memory in use by the model's process on ``device``: on CUDA the bytes torch has allocated there; on the CPU
    the process's anonymous resident memory (RssAnon), which leaves out the file pages of a memory-mapped
    safetensors file that the kernel can drop. None when it cannot be read."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return int(torch.cuda.memory_allocated(torch.device(device)))
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
