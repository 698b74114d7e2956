"""Decode speed, time to first token, weight bytes and quality of several precisions of one model, in one process.

The model is loaded once in its floating-point precision (the reference); each int8/int4 variant is a copy that
shares the reference's embeddings and norms and holds its own packed linear layers, so memory grows by the packed
weights only. Runs go through the engine's streaming path, interleaved (each repeat visits every precision, the
order rotating), and medians are reported with each precision's ratio to the reference. Decode speed is (N - 1)
tokens over the time from the first token to the last.

With ``quality``, each quantized variant is compared with the reference by teacher forcing on a fixed text
(:mod:`llmdesk.engine.quality`).
"""

from __future__ import annotations

import copy
import gc
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine import quality as quality_mod
from llmdesk.engine.loader import LoadedModel
from llmdesk.engine.quantize import QUANTIZED, quantize_cpu, weight_bytes
from llmdesk.engine.streaming import generation_config, stream_generate


def quantized_copy(model: Any, precision: str) -> Any:
    """A copy of ``model`` (on the CPU) with its linear layers in ``precision``; every other tensor is shared with
    ``model``, not copied."""
    memo: dict[int, Any] = {id(t): t for t in model.parameters()}
    memo.update({id(t): t for t in model.buffers()})
    clone = copy.deepcopy(model, memo)
    quantize_cpu(clone, precision, next(model.parameters()).dtype)
    gc.collect()
    return clone


@dataclass
class PrecisionBenchReport:
    model: str
    device: str
    reference: str
    prompt_tokens: int
    new_tokens: int
    repeats: int
    precisions: dict[str, dict[str, float]]
    decode_ratio_vs_reference: dict[str, float]
    ttft_ratio_vs_reference: dict[str, float]
    decode_runs: dict[str, list[float]]
    quality: dict[str, dict[str, float]] | None
    threads: int
    torch_version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        lines = [f"model           {self.model} on {self.device}, {self.threads} torch threads, torch "
                 f"{self.torch_version}",
                 f"prompt / new    {self.prompt_tokens} / {self.new_tokens} tokens, median of {self.repeats} "
                 "interleaved runs, engine streaming path",
                 f"{'precision':12}{'weights':>10}{'prepare':>10}{'first token':>13}{'decode':>13}"
                 f"{'decode x':>10}{'ttft x':>8}"]
        for name, fig in self.precisions.items():
            lines.append(f"{name:12}{fig['weight_bytes'] / 1e9:>7.2f} GB{fig['prepare_s']:>8.1f} s"
                         f"{fig['ttft_s'] * 1000:>10.0f} ms{fig['decode_tokens_per_s']:>7.2f} tok/s"
                         f"{self.decode_ratio_vs_reference[name]:>10.2f}{self.ttft_ratio_vs_reference[name]:>8.2f}")
        if self.quality:
            lines.append(f"quality vs {self.reference} (teacher forcing on a fixed text):")
            for name, q in self.quality.items():
                lines.append(f"  {name:10} {quality_mod.format_quality(q)}")
        lines.append("ratios are against " + self.reference + "; decode tok/s per run: " + "; ".join(
            f"{n} " + " ".join(f"{x:.2f}" for x in runs) for n, runs in self.decode_runs.items()))
        return "\n".join(lines)


def run_precision_bench(loaded: LoadedModel, precisions: list[str], *, prompt_tokens: int = 32,
                        new_tokens: int = 32, repeats: int = 3, quality: bool = False, seed: int = 0,
                        revision: str | None = None, record: bool = True) -> PrecisionBenchReport:
    """Measure ``precisions`` (floating-point names must equal the loaded model's dtype; int8/int4 are quantized
    copies of it) on the CPU. See the module docstring for the method.

    Args:
        loaded: the reference model, in a floating-point precision, on the CPU.
        precisions: e.g. ["bfloat16", "int8", "int4"].
        quality: also measure each quantized copy against the reference; with ``record`` the figures are kept
            for the settings panel under (model id, ``revision``, precision).

    Raises:
        ValueError: a precision that is neither the reference's nor int8/int4, or a model not on the CPU.
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    reference = loaded.info.dtype
    device = next(model.parameters()).device
    if device.type != "cpu":
        raise ValueError("the precision bench quantizes on the CPU; load the model with --device cpu")
    for name in precisions:
        if name != reference and name not in QUANTIZED:
            raise ValueError(f"precision {name!r}: the reference model is {reference}; choose it, int8 or int4")
    variants: dict[str, Any] = {}
    prepare: dict[str, float] = {}
    for name in precisions:
        t0 = time.perf_counter()
        variants[name] = model if name == reference else quantized_copy(model, name)
        prepare[name] = 0.0 if name == reference else time.perf_counter() - t0

    special = set(tokenizer.all_special_ids) | set(loaded.end_token_ids)
    generator = torch.Generator().manual_seed(seed)
    vocab = min(len(tokenizer), model.config.get_text_config().vocab_size)
    candidates = torch.randint(0, vocab, (prompt_tokens * 2,), generator=generator).tolist()
    prompt = [t for t in candidates if t not in special][:prompt_tokens]
    config = generation_config(DecodingSettings(max_new_tokens=new_tokens), model.generation_config,
                               loaded.end_token_ids)
    config.min_new_tokens = new_tokens

    def once(m: Any) -> tuple[float, float]:
        t0 = time.perf_counter()
        stats = stream_generate(m, tokenizer, prompt, config, on_text=lambda s: None, cancel=threading.Event(),
                                end_token_ids=loaded.end_token_ids)
        total = time.perf_counter() - t0
        ttft = stats.ttft_s or 0.0
        return ttft, (new_tokens - 1) / max(total - ttft, 1e-9)

    names = list(variants)
    for name in names:  # warm-up: kernels, allocator
        once(variants[name])
    ttfts: dict[str, list[float]] = {n: [] for n in names}
    decodes: dict[str, list[float]] = {n: [] for n in names}
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            ttft, rate = once(variants[name])
            ttfts[name].append(ttft)
            decodes[name].append(rate)
    figures = {n: {"decode_tokens_per_s": statistics.median(decodes[n]), "ttft_s": statistics.median(ttfts[n]),
                   "weight_bytes": weight_bytes(variants[n]), "prepare_s": prepare[n]} for n in names}
    ref_fig = figures.get(reference)
    decode_ratio = {n: (f["decode_tokens_per_s"] / ref_fig["decode_tokens_per_s"]) if ref_fig else float("nan")
                    for n, f in figures.items()}
    ttft_ratio = {n: (f["ttft_s"] / ref_fig["ttft_s"]) if ref_fig else float("nan") for n, f in figures.items()}

    quality_figs: dict[str, dict[str, float]] | None = None
    if quality:
        ids = quality_mod.quality_ids(tokenizer)
        ref_out = quality_mod.teacher_forced_logprobs(model, ids)
        quality_figs = {}
        for name in QUANTIZED:
            if name not in variants:
                continue
            quality_figs[name] = quality_mod.compare(ref_out, quality_mod.teacher_forced_logprobs(variants[name],
                                                                                                  ids))
            if record:
                quality_mod.record_quality(loaded.info.model_id, revision, name, quality_figs[name])
    del variants
    gc.collect()
    return PrecisionBenchReport(
        model=loaded.info.model_id, device=str(device), reference=reference, prompt_tokens=len(prompt),
        new_tokens=new_tokens, repeats=repeats, precisions=figures, decode_ratio_vs_reference=decode_ratio,
        ttft_ratio_vs_reference=ttft_ratio, decode_runs=decodes, quality=quality_figs,
        threads=torch.get_num_threads(), torch_version=torch.__version__)
