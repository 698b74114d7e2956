"""llmdesk side by side with llama.cpp on the same random weights, at equal bits, timed alternately in one run.

    flock /tmp/bigmodel.lock python benchmarks/bench_vs_llamacpp.py --converter /tmp/llamacpp-src/\
llama_cpp_python-0.3.36/vendor/llama.cpp [--pairs bf16,int8,int4] [--prompt-tokens 128] [--new-tokens 32]
        [--repeats 3] [--threads N] [--cache-dir /tmp/llmdesk-bench-phi3] [--json]

What it does:

1. Builds a full-shape model with random weights from ``--config-dir`` (Phi-3-mini's config by default) through
   llmdesk's own :func:`llmdesk.engine.random_model.build_random_model` and saves it with its tokenizer to
   ``CACHE_DIR/hf``, once; later runs reuse it.
2. Converts that folder to GGUF BF16 and Q8_0 with llama.cpp's own converter (``convert_hf_to_gguf.py``) and
   quantizes the BF16 file to Q4_K_M and Q4_0 with ``llama_cpp.llama_model_quantize``, into ``CACHE_DIR/gguf``,
   once. Only the files the chosen pairs need are made.
3. For each precision pair (llmdesk bfloat16 vs BF16, int8 vs Q8_0, int4 vs Q4_K_M and Q4_0) loads both sides,
   warms both up, then alternates them ``--repeats`` times (the order flips every repeat) and reports medians:

   * prompt processing (prefill): one forward pass over the ``--prompt-tokens`` prompt, tokens/s. llmdesk: the
     loaded model's forward with ``logits_to_keep=1`` and a fresh KV cache, which is what ``generate`` runs first;
     llama.cpp: ``Llama.reset()`` + ``Llama.eval(prompt)``.
   * time to first token (TTFT): from the call to the first streamed token, through the path each app generates
     with. llmdesk: :func:`llmdesk.engine.streaming.stream_generate` (what ``ChatEngine.chat`` calls, streamer and
     stop criteria included); llama.cpp: ``Llama.generate`` (what llama-cpp-python's completion API runs), each
     token detokenized as a chat app would.
   * decode: ``(N - 1) / (t_last - t_first)`` tokens/s over the same ``--new-tokens`` N greedy tokens (end tokens
     ignored on both sides, so both always make exactly N).

   The same random prompt ids go to both sides. Ratios are llmdesk speed / llama.cpp speed for all three figures
   (TTFT: llama.cpp's time / llmdesk's time), so 1.0 or more means llmdesk is at least as fast. Both sides use
   ``--threads`` threads (default: every core). The implied weight bandwidth while decoding (weight bytes x
   tokens/s) says how close each side runs to memory speed, which bounds decode.

A llmdesk precision that the installed llmdesk does not offer (``int8``/``int4`` not in
``llmdesk.core.settings.DTYPES``) is reported as "unavailable" and its pairs are skipped.

Setup (llama.cpp is a benchmark peer here, never a dependency of llmdesk; none of its code is in this repository):

    pip install ../shared/wheels/llama_cpp_python-*.whl        # or: pip install llama-cpp-python (compiles)
    pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/llamacpp-src
    tar xzf /tmp/llamacpp-src/llama_cpp_python-0.3.36.tar.gz -C /tmp/llamacpp-src
    pip install /tmp/llamacpp-src/llama_cpp_python-0.3.36/vendor/llama.cpp/gguf-py sentencepiece

and give the converter with ``--converter`` or the environment variable ``LLAMACPP_CONVERTER``: the path of
``convert_hf_to_gguf.py`` or of the llama.cpp folder that holds it (the converter is only needed while a GGUF file
is missing from the cache). The converter wants ``tokenizer.model`` in the config folder (Phi-3's is in
``../shared/phi3-mini-4k-instruct``).

Memory: a full-size pair holds both models at once (bf16: 7.6 GB + 7.6 GB); each pair is freed before the next.
Run it under ``flock /tmp/bigmodel.lock`` on a shared machine, or give ``--lock /tmp/bigmodel.lock`` to hold that
lock only during each heavy step (building, each conversion, each pair) so other work can run between them (and
may slip in between the steps); never both, or the script waits on its own lock. GGUF files are large (BF16
7.6 GB): keep the cache out of the repo.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "shared" / "phi3-mini-4k-instruct"
DEFAULT_CACHE_DIR = Path("/tmp/llmdesk-bench-phi3")
CONVERTER_ENV = "LLAMACPP_CONVERTER"
CONVERTER_NAME = "convert_hf_to_gguf.py"
TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "added_tokens.json")
MARKER = "llmdesk-random-weights.json"

# precision name -> (llmdesk dtype setting, GGUF types at the same bits)
PRECISIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bf16": ("bfloat16", ("BF16",)),
    "int8": ("int8", ("Q8_0",)),
    "int4": ("int4", ("Q4_K_M", "Q4_0")),
}
CONVERTED = {"BF16": "bf16", "Q8_0": "q8_0"}  # GGUF type -> converter --outtype
QUANTIZED = {"Q4_K_M": "LLAMA_FTYPE_MOSTLY_Q4_K_M", "Q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0"}  # made from the BF16 file


class BenchError(RuntimeError):
    """A setup problem the benchmark cannot work around; the message says what to do."""


# --------------------------------------------------------------------------------------------------------------
# Plan and setup
# --------------------------------------------------------------------------------------------------------------

def parse_pairs(text: str) -> list[str]:
    """The precision names in ``--pairs`` (comma separated), in order, without repeats.

    Raises:
        BenchError: an unknown name.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PRECISIONS]
    if unknown or not names:
        raise BenchError(f"--pairs: unknown precision {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(PRECISIONS)}")
    return list(dict.fromkeys(names))


def llmdesk_offers(dtype: str) -> bool:
    """Whether the installed llmdesk lets a model be loaded at ``dtype`` (a value of its Precision setting)."""
    from llmdesk.core.settings import DTYPES

    return dtype in DTYPES


def find_converter(given: str | None) -> Path:
    """``convert_hf_to_gguf.py`` from ``--converter`` or ``$LLAMACPP_CONVERTER`` (the script or its folder).

    Raises:
        BenchError: neither is set, or the path holds no converter.
    """
    raw = given or os.environ.get(CONVERTER_ENV)
    if not raw:
        raise BenchError(f"llama.cpp's converter is needed to make the GGUF files: give --converter PATH or set "
                         f"{CONVERTER_ENV} to {CONVERTER_NAME} or the llama.cpp folder holding it (see this "
                         "script's docstring for where to get it)")
    path = Path(raw).expanduser()
    if path.is_dir():
        path = path / CONVERTER_NAME
    if not path.is_file():
        raise BenchError(f"no llama.cpp converter at {path}: point --converter/{CONVERTER_ENV} at "
                         f"{CONVERTER_NAME} or the llama.cpp folder that holds it")
    return path


@contextlib.contextmanager
def held(lock: Path | None, what: str) -> Iterator[None]:
    """Hold the exclusive ``flock`` on ``lock`` (when given) for one heavy step."""
    if lock is None:
        yield
        return
    with open(lock, "a") as fh:
        t0 = time.perf_counter()
        fcntl.flock(fh, fcntl.LOCK_EX)
        waited = time.perf_counter() - t0
        if waited > 1:
            log(f"{what}: waited {waited:.0f} s for {lock}")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare_weights(config_dir: Path, cache_dir: Path, seed: int, lock: Path | None) -> Path:
    """Random weights for ``config_dir`` saved as a transformers folder ``cache_dir/hf`` (reused when complete).

    Raises:
        BenchError: ``config_dir`` has no config.json.
    """
    config_file = config_dir / "config.json"
    if not config_file.is_file():
        raise BenchError(f"{config_dir} has no config.json (give --config-dir a model folder)")
    hf_dir = cache_dir / "hf"
    want = {"config": json.loads(config_file.read_text()), "seed": seed}
    marker = hf_dir / MARKER
    if marker.is_file() and json.loads(marker.read_text()) == want:
        return hf_dir
    if hf_dir.exists():
        shutil.rmtree(hf_dir)
    for stale in (cache_dir / "gguf").glob("*.gguf") if (cache_dir / "gguf").is_dir() else ():
        stale.unlink()  # made from other weights
    from llmdesk.engine.loader import free_model
    from llmdesk.engine.random_model import build_random_model

    with held(lock, "build"):
        log(f"building random weights for {config_dir} ...")
        t0 = time.perf_counter()
        loaded = build_random_model(config_dir, device="cpu", dtype="bfloat16", seed=seed)
        hf_dir.mkdir(parents=True)
        loaded.model.save_pretrained(hf_dir)
        loaded.tokenizer.save_pretrained(hf_dir)
        free_model(loaded)
        del loaded
        gc.collect()
    for name in TOKENIZER_FILES:  # the converter reads tokenizer.model, which a fast tokenizer does not save
        if (config_dir / name).is_file():
            shutil.copy2(config_dir / name, hf_dir / name)
    marker.write_text(json.dumps(want))
    log(f"saved {hf_dir} in {time.perf_counter() - t0:.0f} s")
    return hf_dir


def cut_config(config_dir: Path, layers: int, out: Path) -> Path:
    """A copy of ``config_dir`` (config and tokenizer files) whose model has only its first ``layers`` layers.

    Each layer keeps the full shape, so per-layer speed is that of the full model; the embedding and the output
    layer weigh more in the total.

    Raises:
        BenchError: ``config_dir`` has no config.json, or ``layers`` is not below the model's layer count.
    """
    if not (config_dir / "config.json").is_file():
        raise BenchError(f"{config_dir} has no config.json (give --config-dir a model folder)")
    config = json.loads((config_dir / "config.json").read_text())
    if not 1 <= layers < config.get("num_hidden_layers", 0):
        raise BenchError(f"--layers must be from 1 to {config.get('num_hidden_layers', 0) - 1}, not {layers}")
    out.mkdir(parents=True, exist_ok=True)
    for name in (*TOKENIZER_FILES, "generation_config.json"):
        if (config_dir / name).is_file():
            shutil.copy2(config_dir / name, out / name)
    (out / "config.json").write_text(json.dumps({**config, "num_hidden_layers": layers}, indent=1))
    return out


def gguf_path(cache_dir: Path, gguf_type: str) -> Path:
    return cache_dir / "gguf" / f"model-{gguf_type}.gguf"


def prepare_gguf(gguf_type: str, hf_dir: Path, cache_dir: Path, converter: Callable[[], Path],
                 lock: Path | None, threads: int) -> Path:
    """The GGUF file of ``gguf_type`` for the weights in ``hf_dir``, made once (converter or quantizer).

    Raises:
        BenchError: the converter or quantizer failed.
    """
    out = gguf_path(cache_dir, gguf_type)
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".gguf.part")
    t0 = time.perf_counter()
    if gguf_type in CONVERTED:
        script = converter()
        with held(lock, f"convert {gguf_type}"):
            log(f"converting to {gguf_type} with {script} ...")
            done = subprocess.run([sys.executable, str(script), str(hf_dir), "--outtype", CONVERTED[gguf_type],
                                   "--outfile", str(part)], capture_output=True, text=True)
        if done.returncode != 0:
            part.unlink(missing_ok=True)
            raise BenchError(f"llama.cpp's converter failed ({gguf_type}):\n{done.stderr[-3000:]}")
    else:
        import llama_cpp

        source = prepare_gguf("BF16", hf_dir, cache_dir, converter, lock, threads)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, QUANTIZED[gguf_type])
        params.nthread = threads
        with held(lock, f"quantize {gguf_type}"):
            log(f"quantizing {source.name} to {gguf_type} ...")
            status = llama_cpp.llama_model_quantize(str(source).encode(), str(part).encode(), params)
        if status != 0:
            part.unlink(missing_ok=True)
            raise BenchError(f"llama_model_quantize to {gguf_type} failed (status {status})")
    part.rename(out)
    log(f"made {out} ({out.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    return out


def random_prompt(tokenizer: Any, vocab: int, count: int, seed: int) -> list[int]:
    """``count`` random token ids below ``vocab`` that are not special tokens (the same for both sides)."""
    import torch

    special = set(tokenizer.all_special_ids) | set(tokenizer.added_tokens_decoder)
    generator = torch.Generator().manual_seed(seed)
    ids: list[int] = []
    while len(ids) < count:
        ids += [t for t in torch.randint(0, vocab, (count * 2,), generator=generator).tolist() if t not in special]
    return ids[:count]


# --------------------------------------------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Run:
    """One timed run of one side: prefill alone, then a streamed generation."""

    prefill_s: float
    ttft_s: float
    decode_tokens_per_s: float


class LlmdeskSide:
    """A model loaded through llmdesk's loader, generating through llmdesk's streaming engine path."""

    name = "llmdesk"

    def __init__(self, hf_dir: Path, dtype: str) -> None:
        from llmdesk.core.settings import ModelSettings
        from llmdesk.engine.loader import load_model

        t0 = time.perf_counter()
        self.loaded = load_model(ModelSettings(model=str(hf_dir), device="cpu", dtype=dtype))
        self.load_s = time.perf_counter() - t0
        self.weight_bytes = self.loaded.info.weight_bytes
        self.dtype = self.loaded.info.dtype

    def prefill(self, prompt: Sequence[int]) -> float:
        import torch

        ids = torch.tensor([list(prompt)])
        t0 = time.perf_counter()
        with torch.inference_mode():
            self.loaded.model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True,
                              logits_to_keep=1)
        return time.perf_counter() - t0

    def generate(self, prompt: Sequence[int], new_tokens: int) -> tuple[float, float]:
        from llmdesk.core.settings import DecodingSettings
        from llmdesk.engine.streaming import generation_config, stream_generate

        loaded = self.loaded
        config = generation_config(DecodingSettings(max_new_tokens=new_tokens), loaded.model.generation_config,
                                   loaded.end_token_ids)
        config.min_new_tokens = new_tokens
        stats = stream_generate(loaded.model, loaded.tokenizer, prompt, config, on_text=lambda s: None,
                                cancel=threading.Event(), end_token_ids=loaded.end_token_ids)
        if stats.new_tokens != new_tokens or stats.ttft_s is None:
            raise BenchError(f"llmdesk made {stats.new_tokens} tokens, not {new_tokens}")
        return stats.ttft_s, stats.decode_tokens_per_s or 0.0

    def close(self) -> None:
        from llmdesk.engine.loader import free_model

        free_model(self.loaded)
        self.loaded = None  # type: ignore[assignment]
        gc.collect()


class LlamaCppSide:
    """A GGUF file loaded by llama-cpp-python, generating through ``Llama.generate`` (greedy)."""

    def __init__(self, path: Path, gguf_type: str, threads: int, n_ctx: int, flash_attn: bool) -> None:
        import llama_cpp

        self.name = f"llama.cpp {gguf_type}"
        t0 = time.perf_counter()
        self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=512, n_threads=threads,
                                   n_threads_batch=threads, flash_attn=flash_attn, verbose=False)
        self.load_s = time.perf_counter() - t0
        self.weight_bytes = int(llama_cpp.llama_model_size(self.llm.model))
        self.dtype = gguf_type

    def prefill(self, prompt: Sequence[int]) -> float:
        t0 = time.perf_counter()
        self.llm.reset()
        self.llm.eval(list(prompt))
        return time.perf_counter() - t0

    def generate(self, prompt: Sequence[int], new_tokens: int) -> tuple[float, float]:
        self.llm.reset()  # no prefix reuse from the previous run: the whole prompt is processed every time
        made: list[int] = []
        t0 = time.perf_counter()
        first = last = t0
        for token in self.llm.generate(list(prompt), temp=0.0, reset=True):
            self.llm.detokenize([token], prev_tokens=made[-4:])
            made.append(token)
            last = time.perf_counter()
            if len(made) == 1:
                first = last
            if len(made) == new_tokens:
                break
        return first - t0, (new_tokens - 1) / max(last - first, 1e-9)

    def close(self) -> None:
        self.llm.close()
        self.llm = None  # type: ignore[assignment]
        gc.collect()


# --------------------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------------------

@dataclass
class SideResult:
    name: str
    dtype: str
    weight_bytes: int
    load_s: float
    runs: list[Run] = field(default_factory=list)

    def medians(self, prompt_tokens: int) -> dict[str, float]:
        prefill = statistics.median(r.prefill_s for r in self.runs)
        decode = statistics.median(r.decode_tokens_per_s for r in self.runs)
        return {"prefill_s": prefill, "prompt_tokens_per_s": prompt_tokens / prefill,
                "ttft_s": statistics.median(r.ttft_s for r in self.runs), "decode_tokens_per_s": decode,
                "decode_weight_gb_s": self.weight_bytes * decode / 1e9}


@dataclass
class PairResult:
    """One precision pair: ``status`` is "measured"; "unavailable" with a ``reason`` (nothing timed); or
    "prepared" (``--prepare-only``) with the GGUF file as ``reason``."""

    precision: str
    gguf_type: str
    status: str
    reason: str = ""
    llmdesk: dict[str, Any] | None = None
    llamacpp: dict[str, Any] | None = None
    ratios: dict[str, float] | None = None


def ratios(ours: dict[str, float], peer: dict[str, float]) -> dict[str, float]:
    """llmdesk speed / llama.cpp speed per figure: above 1 means llmdesk is faster (TTFT: the inverse time ratio)."""
    return {"prompt_processing": ours["prompt_tokens_per_s"] / peer["prompt_tokens_per_s"],
            "ttft": peer["ttft_s"] / ours["ttft_s"],
            "decode": ours["decode_tokens_per_s"] / peer["decode_tokens_per_s"]}


def time_pair(ours: Any, peer: Any, prompt: Sequence[int], new_tokens: int, repeats: int,
              pause_s: float) -> tuple[SideResult, SideResult]:
    """Warm both sides up, then alternate them ``repeats`` times (order flipped each repeat)."""
    results = [SideResult(s.name, s.dtype, s.weight_bytes, s.load_s) for s in (ours, peer)]
    for side in (ours, peer):  # warm-up: kernels, allocator, page cache
        side.prefill(prompt)
        side.generate(prompt, min(4, new_tokens))
    for i in range(repeats):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        prefill: dict[int, float] = {}
        for k in order:
            time.sleep(pause_s)  # let the other side's worker threads go idle
            prefill[k] = (ours, peer)[k].prefill(prompt)
        for k in order:
            time.sleep(pause_s)
            ttft, decode = (ours, peer)[k].generate(prompt, new_tokens)
            results[k].runs.append(Run(prefill[k], ttft, decode))
        log(f"  repeat {i + 1}/{repeats}: " + "; ".join(
            f"{r.name} pp {r.runs[-1].prefill_s:.2f} s, ttft {r.runs[-1].ttft_s:.2f} s, "
            f"decode {r.runs[-1].decode_tokens_per_s:.2f} tok/s" for r in results))
    return results[0], results[1]


def side_dict(result: SideResult, prompt_tokens: int) -> dict[str, Any]:
    return {"name": result.name, "dtype": result.dtype, "weight_bytes": result.weight_bytes,
            "load_s": result.load_s, **result.medians(prompt_tokens), "runs": [asdict(r) for r in result.runs]}


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------

def table(report: dict[str, Any]) -> str:
    """The report as a text table: one block per pair, a ratio column (llmdesk / llama.cpp speed)."""
    lines = [
        f"model       {report['model']} (random weights, {report['cache_dir']})",
        f"host        {report['cpu']}, {report['threads']} threads both sides; torch {report['torch']}, "
        f"transformers {report['transformers']}, llama-cpp-python {report['llama_cpp_python']}",
        f"workload    {report['prompt_tokens']}-token prompt, {report['new_tokens']} greedy tokens, median of "
        f"{report['repeats']} alternating runs; ratio = llmdesk speed / llama.cpp speed (>= 1: llmdesk at least "
        "as fast)",
        f"host load   load average {report['load_before']:.1f} before, {report['load_after']:.1f} after, on "
        f"{report['cores']} cores",
    ]
    if max(report["load_before"], report["load_after"]) > report["cores"]:
        lines.append("WARNING     the host was busy with other work: the figures measure contention as much as the "
                     "engines; rerun on a quiet host")
    lines += [
        "",
        f"{'pair':<18}{'figure':<22}{'llmdesk':>14}{'llama.cpp':>14}{'ratio':>8}  target",
    ]
    for pair in report["pairs"]:
        label = f"{pair['precision']} vs {pair['gguf_type']}"
        if pair["status"] != "measured":
            lines.append(f"{label:<18}{pair['status']}: {pair['reason']}")
            continue
        a, b, r = pair["llmdesk"], pair["llamacpp"], pair["ratios"]
        rows = [
            ("prompt processing", f"{a['prompt_tokens_per_s']:.1f} tok/s", f"{b['prompt_tokens_per_s']:.1f} tok/s",
             r["prompt_processing"], ""),
            ("time to first token", f"{a['ttft_s'] * 1000:.0f} ms", f"{b['ttft_s'] * 1000:.0f} ms", r["ttft"],
             "met" if r["ttft"] >= 1 else "NOT met"),
            ("decode", f"{a['decode_tokens_per_s']:.2f} tok/s", f"{b['decode_tokens_per_s']:.2f} tok/s",
             r["decode"], "met" if r["decode"] >= 1 else "NOT met"),
            ("decode weight b/w", f"{a['decode_weight_gb_s']:.1f} GB/s", f"{b['decode_weight_gb_s']:.1f} GB/s",
             None, ""),
            ("weights", f"{a['weight_bytes'] / 1e9:.2f} GB", f"{b['weight_bytes'] / 1e9:.2f} GB", None, ""),
        ]
        for n, (figure, x, y, ratio, target) in enumerate(rows):
            shown = f"{ratio:>8.2f}" if ratio is not None else " " * 8
            lines.append(f"{label if n == 0 else '':<18}{figure:<22}{x:>14}{y:>14}{shown}  {target}".rstrip())
    return "\n".join(lines)


def cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare what the chosen pairs need, time every available pair, and return the report."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise BenchError("llama-cpp-python is not installed (see this script's docstring)") from exc
    import torch
    import transformers

    pairs = parse_pairs(args.pairs)
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    cache_dir = Path(args.cache_dir).expanduser()
    lock = Path(args.lock) if args.lock else None
    config_dir = Path(args.config_dir).expanduser()
    if args.layers:
        config_dir = cut_config(config_dir, args.layers, cache_dir / f"config-{args.layers}-layers")
    converter_path: list[Path] = []

    def converter() -> Path:
        if not converter_path:
            converter_path.append(find_converter(args.converter))
        return converter_path[0]

    load_before = os.getloadavg()[0]
    available = {p: llmdesk_offers(PRECISIONS[p][0]) for p in pairs}
    results: list[PairResult] = []
    needed = args.prepare_only or any(available.values())
    hf_dir = prepare_weights(config_dir, cache_dir, args.seed, lock) if needed else None
    for precision in pairs:
        dtype, gguf_types = PRECISIONS[precision]
        if not available[precision] and not args.prepare_only:
            from llmdesk.core.settings import DTYPES

            reason = f"llmdesk offers no '{dtype}' precision (it offers {', '.join(DTYPES)})"
            log(f"{precision}: unavailable, {reason}")
            results += [PairResult(precision, g, "unavailable", reason) for g in gguf_types]
            continue
        assert hf_dir is not None
        files = {g: prepare_gguf(g, hf_dir, cache_dir, converter, lock, threads) for g in gguf_types}
        if args.prepare_only:
            results += [PairResult(precision, g, "prepared", str(path)) for g, path in files.items()]
            continue
        with held(lock, f"pair {precision}"):
            log(f"{precision}: loading llmdesk at {dtype} ...")
            ours = LlmdeskSide(hf_dir, dtype)
            vocab = ours.loaded.model.config.get_text_config().vocab_size
            prompt = random_prompt(ours.loaded.tokenizer, vocab, args.prompt_tokens, args.seed)
            n_ctx = -(-(args.prompt_tokens + args.new_tokens + 16) // 256) * 256
            try:
                for gguf_type, path in files.items():
                    log(f"{precision}: loading {path.name} ...")
                    peer = LlamaCppSide(path, gguf_type, threads, n_ctx, args.flash_attn)
                    try:
                        a, b = time_pair(ours, peer, prompt, args.new_tokens, args.repeats, args.pause)
                    finally:
                        peer.close()
                    da, db = side_dict(a, len(prompt)), side_dict(b, len(prompt))
                    results.append(PairResult(precision, gguf_type, "measured", llmdesk=da, llamacpp=db,
                                              ratios=ratios(da, db)))
            finally:
                ours.close()
    return {
        "model": f"random:{config_dir.name}", "cache_dir": str(cache_dir), "cpu": cpu_name(), "threads": threads,
        "cores": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg()[0],
        "prompt_tokens": args.prompt_tokens, "new_tokens": args.new_tokens, "repeats": args.repeats,
        "flash_attn": args.flash_attn, "torch": torch.__version__, "transformers": transformers.__version__,
        "llama_cpp_python": llama_cpp.__version__,
        "llama_cpp_system": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
        "pairs": [asdict(r) for r in results],
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", default="bf16,int8,int4",
                   help=f"precisions to compare, comma separated, from {', '.join(PRECISIONS)} (default: all)")
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR),
                   help="model folder with config.json and tokenizer (default: ../shared/phi3-mini-4k-instruct)")
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE_DIR),
                   help=f"where the random weights and GGUF files are kept between runs (default {DEFAULT_CACHE_DIR})")
    p.add_argument("--layers", type=int, metavar="N",
                   help="keep only the model's first N layers (full-shape layers, less memory; a stand-in, give "
                        "it its own --cache-dir)")
    p.add_argument("--converter", help=f"llama.cpp's {CONVERTER_NAME} or its folder (or ${CONVERTER_ENV})")
    p.add_argument("--prompt-tokens", type=int, default=128, metavar="N", help="prompt length (default 128)")
    p.add_argument("--new-tokens", type=int, default=32, metavar="N", help="greedy tokens to generate (default 32)")
    p.add_argument("--repeats", type=int, default=3, metavar="N", help="alternating runs per pair (default 3)")
    p.add_argument("--threads", type=int, metavar="N", help="threads for both sides (default: every core)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights and prompt (default 0)")
    p.add_argument("--pause", type=float, default=0.2, metavar="S",
                   help="seconds of rest before each timed call (default 0.2)")
    p.add_argument("--flash-attn", action="store_true", help="turn on llama.cpp's flash attention (default off, "
                                                              "as in llama-cpp-python)")
    p.add_argument("--lock", metavar="PATH", help="hold this flock during each heavy step (not with an outer flock)")
    p.add_argument("--prepare-only", action="store_true",
                   help="make the weights and GGUF files of the chosen pairs (llmdesk's precision offered or not), "
                        "time nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for flag, least in (("prompt_tokens", 1), ("new_tokens", 2), ("repeats", 1)):
        if getattr(args, flag) < least:
            print(f"bench_vs_llamacpp: --{flag.replace('_', '-')} must be at least {least}", file=sys.stderr)
            return 2
    try:
        report = run(args)
    except BenchError as exc:
        print(f"bench_vs_llamacpp: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
