"""A model with random weights built from a config folder: see how fast a model would run before downloading it.

Random initialisation through torch's ``normal_`` takes minutes for a 3.8B model on a small CPU; instead the
model is created without initialisation and each weight is filled by tiling one small random buffer (norm weights
are set to 1, biases to 0). The numbers are meaningless, the shapes, dtype and speed are real.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch

from llmdesk.engine.devices import TORCH_DTYPES, compute_dtype, context_window
from llmdesk.engine.errors import EngineError
from llmdesk.engine.loader import LoadedModel, end_token_ids
from llmdesk.engine import quantize
from llmdesk.engine.quantize import QUANTIZED, check_precision, process_memory_bytes, quantize_cpu
from llmdesk.engine.types import ModelInfo

_BUFFER_ELEMENTS = 1 << 20


def _fill(param: torch.Tensor, buffer: torch.Tensor) -> None:
    flat = param.view(-1)
    n = flat.numel()
    for start in range(0, n, buffer.numel()):
        end = min(start + buffer.numel(), n)
        flat[start:end].copy_(buffer[: end - start])


def build_random_model(config_dir: str | Path, device: str = "cpu", dtype: str = "bfloat16",
                       seed: int = 0) -> LoadedModel:
    """Build the model that ``config_dir/config.json`` describes, with random weights, plus the folder's tokenizer.
    ``dtype`` int8/int4 builds it in the compute precision and quantizes it (CPU only).

    Raises:
        EngineError: the folder has no config.json or no tokenizer.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    from transformers.initialization import no_init_weights

    if dtype in QUANTIZED:  # the random weights in the compute precision, then quantized like a loaded model
        check_precision(dtype, device)
        if not device.startswith("cpu"):
            raise EngineError("precision_unavailable", f"Random-weight {dtype} models are built on the CPU only.",
                              "Use --device cpu.")
        loaded = build_random_model(config_dir, device, compute_dtype(device, dtype), seed)
        started = time.perf_counter()
        quantize_cpu(loaded.model, dtype, next(loaded.model.parameters()).dtype)
        info = dataclasses.replace(loaded.info, dtype=dtype, weight_bytes=quantize.weight_bytes(loaded.model),
                                   memory_bytes=process_memory_bytes(device) or 0,
                                   load_seconds=loaded.info.load_seconds + time.perf_counter() - started)
        return LoadedModel(loaded.model, loaded.tokenizer, info, loaded.end_token_ids)
    folder = Path(config_dir)
    if not (folder / "config.json").is_file():
        raise EngineError("not_found", f"{folder} has no config.json.", "Point --random-weights at a model folder.")
    started = time.perf_counter()
    config = AutoConfig.from_pretrained(folder)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except Exception as exc:  # noqa: BLE001
        raise EngineError("not_found", f"{folder} has no tokenizer that transformers can read: {exc}") from exc
    generator = torch.Generator().manual_seed(seed)
    buffer = (torch.randn(_BUFFER_ELEMENTS, generator=generator) * 0.02).to(TORCH_DTYPES[dtype])
    with no_init_weights(), torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=TORCH_DTYPES[dtype])
    with torch.no_grad():
        local = buffer.to(device)
        for name, param in model.named_parameters():
            if "norm" in name and param.dim() == 1:
                param.fill_(1.0)
            elif name.endswith(".bias"):
                param.zero_()
            else:
                _fill(param, local)
    model.eval()
    try:
        model.generation_config = GenerationConfig.from_pretrained(folder)
    except OSError:
        pass
    params = sum(p.numel() for p in model.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    info = ModelInfo(model_id=f"random:{folder.name}", revision=None, device=device, dtype=dtype,
                     architecture=(config.architectures or [type(model).__name__])[0], parameters=params,
                     weight_bytes=weight_bytes, memory_bytes=int(model.get_memory_footprint()),
                     context_window=context_window(config), load_seconds=time.perf_counter() - started)
    return LoadedModel(model, tokenizer, info, end_token_ids(model, tokenizer))

