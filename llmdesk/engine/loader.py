"""Loading a causal LM and its tokenizer from a Hub id or a local folder, with progress and clear errors.

Every failure is turned into an :class:`EngineError` whose kind the GUI can act on: not_found, offline,
not_causal_lm, out_of_memory, device_unavailable, too_large, load_failed.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from llmdesk.core.settings import ModelSettings
from llmdesk.engine import quant_cache, quantize
from llmdesk.engine.devices import (
    BALANCED,
    TORCH_DTYPES,
    compute_dtype,
    context_window,
    count_parameters,
    estimate_for_config,
    resolve_device,
    resolve_dtype,
)
from llmdesk.engine.quantize import QUANTIZED
from llmdesk.engine.download import looks_like_path
from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import LoadProgress, ModelInfo

ProgressCallback = Callable[[LoadProgress], None]


@dataclass
class LoadedModel:
    """A model, its tokenizer, and what was loaded."""

    model: Any
    tokenizer: Any
    info: ModelInfo
    end_token_ids: tuple[int, ...]


def _error_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    return chain


def translate_error(exc: BaseException, model: str, device: str = "") -> EngineError:
    """Map an exception from transformers, huggingface_hub or torch to a clear :class:`EngineError`."""
    if isinstance(exc, EngineError):
        return exc
    names = {type(e).__name__ for e in _error_chain(exc)}
    text = " ".join(str(e) for e in _error_chain(exc)).lower()
    if isinstance(exc, torch.OutOfMemoryError) or "out of memory" in text or names & {"OutOfMemoryError"}:
        return EngineError("out_of_memory", f"Out of memory while loading '{model}' on {device or 'the device'}.",
                           "Choose a smaller precision (bfloat16/float16), another device, 'balanced' to offload "
                           "to the CPU, or a smaller model.")
    if names & {"GatedRepoError"}:
        return EngineError("not_found", f"'{model}' is a gated model on the Hugging Face Hub.",
                           "Accept its licence on the Hub and log in with `hf auth login`, or pick a local folder.")
    if names & {"RepositoryNotFoundError", "RevisionNotFoundError", "HFValidationError", "RemoteEntryNotFoundError",
                "EntryNotFoundError"}:
        return EngineError("not_found", f"Model '{model}' was not found: it is neither a local folder with a "
                                        "config.json nor a model id on the Hugging Face Hub.",
                           "Check the spelling (org/name), or choose a local folder with Browse….")
    if names & {"LocalEntryNotFoundError", "OfflineModeIsEnabled"} or "couldn't connect" in text \
            or "offline" in text:
        return EngineError("offline", f"'{model}' is not in the local Hugging Face cache and the Hub cannot be "
                                      "reached (offline).",
                           "Connect to the internet to download it, or choose a local model folder.")
    if "does not appear to have a file named" in text or "no file named" in text:
        return EngineError("not_found", f"'{model}' has no model weights or config that transformers can read "
                                        f"({exc}).", "Choose a folder saved with save_pretrained().")
    if isinstance(exc, (RuntimeError, ValueError)) and ("cuda" in text or "mps" in text) and "device" in text:
        return EngineError("device_unavailable", f"Device {device} cannot be used: {exc}",
                           "Choose another device, or Auto.")
    return EngineError("load_failed", f"Loading '{model}' failed: {type(exc).__name__}: {exc}")


def _source(model: str) -> str:
    if looks_like_path(model):
        folder = Path(os.path.expanduser(model))
        if not folder.is_dir():
            raise EngineError("not_found", f"The folder '{model}' does not exist.",
                              "Choose an existing model folder, or type a Hub id such as "
                              "microsoft/Phi-3-mini-4k-instruct.")
        if not (folder / "config.json").is_file():
            raise EngineError("not_found", f"The folder '{model}' has no config.json, so it is not a "
                                           "transformers model folder.",
                              "Choose the folder that holds config.json and the weights.")
        return str(folder)
    return model


def cached_first(fn: Callable[..., Any], source: str, **kwargs: Any) -> Any:
    """Call a ``from_pretrained`` with the local cache only, and go to the network only when that fails.

    A model that is already cached then loads without any network request, so a slow or absent network never
    delays it; only a missing file is fetched.
    """
    if looks_like_path(source) or os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return fn(source, **kwargs)
    try:
        return fn(source, local_files_only=True, **kwargs)
    except OSError:
        probe_hub(source)
        return fn(source, **kwargs)


def probe_hub(model: str) -> None:
    """Fail at once with kind "offline" when the Hub cannot be reached (see :func:`download.probe_hub`), instead
    of after huggingface_hub's retries (about 25 s of "Retrying in 8s" lines)."""
    from llmdesk.engine.download import probe_hub as probe

    probe(model)


def load_config(model: str, trust_remote_code: bool = False, *, local_only: bool = False) -> Any:
    """The model's config (from the folder, the cache, or the Hub; with ``local_only`` never from the network).

    Raises:
        EngineError: not_found, offline, not_downloaded (``local_only`` and not cached), not_causal_lm or
            load_failed.
    """
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    source = _source(model)
    try:
        if local_only:
            config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code, local_files_only=True)
        else:
            config = cached_first(AutoConfig.from_pretrained, source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a clear message
        if local_only and not looks_like_path(source):
            raise EngineError("not_downloaded", f"'{model}' is not downloaded yet, so its size in memory is not "
                                                "known.", "Download it first; its download size is shown.") from exc
        raise translate_error(exc, model) from exc
    remote_causal = trust_remote_code and "AutoModelForCausalLM" in (getattr(config, "auto_map", None) or {})
    if config.model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and not remote_causal:
        raise EngineError("not_causal_lm", f"'{model}' is a {config.model_type} model, not a causal language "
                                           "model that can chat.",
                          "Choose a text-generation (causal LM) model, such as an *-Instruct model.")
    return config


class _ProgressTqdm:
    """A tqdm stand-in that forwards counts to a progress callback (used for downloads and weight loading)."""

    callback: ProgressCallback | None = None
    stage: str = "weights"
    cancel: threading.Event | None = None

    def __init__(self, iterable: Any = None, *args: Any, total: int | None = None, desc: str | None = None,
                 **kwargs: Any) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total or 0
        self.n = kwargs.get("initial", 0) or 0
        self.desc = desc or ""
        self._emit()

    def _emit(self) -> None:
        if self.callback is not None:
            self.callback(LoadProgress(self.stage, int(self.n), int(self.total), self.desc))

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            yield item
            self.update(1)

    def update(self, n: float = 1) -> None:
        self.n += n
        self._emit()

    def __enter__(self) -> _ProgressTqdm:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        pass

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def refresh(self) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        self.n = 0
        self.total = total or 0


def _progress_class(stage: str, callback: ProgressCallback | None) -> type:
    return type(f"_{stage.title()}Progress", (_ProgressTqdm,), {"callback": staticmethod(callback) if callback
                                                                 else None, "stage": stage})


@contextlib.contextmanager
def _weight_progress(callback: ProgressCallback | None) -> Iterator[None]:
    """Report transformers' "Loading weights" loop through ``callback`` while loading.

    transformers reads this tqdm from a module global; it is swapped only for the duration of one load, which
    runs on the single thread that owns the model.
    """
    try:
        from transformers import core_model_loading
    except ImportError:  # an older layout: no per-tensor progress, the stage boundaries are still reported
        yield
        return
    original = getattr(core_model_loading, "tqdm", None)
    if callback is None or original is None:
        yield
        return
    core_model_loading.tqdm = _progress_class("weights", callback)  # type: ignore[assignment]
    try:
        yield
    finally:
        core_model_loading.tqdm = original


def end_token_ids(model: Any, tokenizer: Any) -> tuple[int, ...]:
    """The ids that end a reply: the generation config's eos ids, the tokenizer's eos, and Phi-3's ``<|end|>``."""
    ids: list[int] = []
    eos = getattr(model.generation_config, "eos_token_id", None)
    ids.extend(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    for token in ("<|end|>", "<|eot_id|>", "<|im_end|>"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.append(tid)
    return tuple(dict.fromkeys(i for i in ids if i is not None))


def load_model(settings: ModelSettings, progress: ProgressCallback | None = None,
               cancel: threading.Event | None = None) -> LoadedModel:
    """Load the model and tokenizer that ``settings`` name onto the chosen device and precision.

    Args:
        settings: model id or folder, device, dtype, trust_remote_code, skip_memory_check.
        progress: called with :class:`LoadProgress` as the load goes (on the calling thread).
        cancel: when set, the load stops at the next stage boundary with EngineError kind "cancelled".

    Raises:
        EngineError: with a kind and a message a person can act on.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def report(stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        if progress is not None:
            progress(LoadProgress(stage, done, total, message))

    def check_cancel() -> None:
        if cancel is not None and cancel.is_set():
            raise EngineError("cancelled", "Loading was cancelled.")

    started = time.perf_counter()
    name = settings.model.strip()
    if not name:
        raise EngineError("not_found", "No model is set.", "Type a Hub id or choose a local folder.")
    report("resolve", 0, 0, f"Reading the configuration of {name}")
    device = resolve_device(settings.device)
    dtype = resolve_dtype(device, settings.dtype)
    config = load_config(name, settings.trust_remote_code)
    source = _source(name)
    estimate = estimate_for_config(config, device if device != BALANCED else "cpu", dtype)
    if device != BALANCED and not estimate.fits and not settings.skip_memory_check:
        raise EngineError("too_large", f"'{name}' will not fit: {estimate.message}",
                          "Choose a smaller precision, another device or 'balanced', or tick \"Load even if it may "
                          "not fit\".")
    check_cancel()
    report("tokenizer", 0, 0, "Loading the tokenizer")
    try:
        tokenizer = cached_first(AutoTokenizer.from_pretrained, source,
                                  trust_remote_code=settings.trust_remote_code)
    except Exception as exc:  # noqa: BLE001
        raise translate_error(exc, name, device) from exc
    if getattr(tokenizer, "chat_template", None) is None:
        raise EngineError("not_causal_lm", f"'{name}' has no chat template, so it is a base model rather than a "
                                           "chat model.", "Choose an instruct/chat variant of the model.")
    check_cancel()
    report("weights", 0, 0, f"Loading weights onto {device} in {dtype}")
    device_map: Any = "auto" if device == BALANCED else device
    notes: list[str] = []
    try:
        if dtype in QUANTIZED:
            model, params = _load_quantized(name, source, config, settings, device, dtype, progress, check_cancel,
                                            notes)
        else:
            with _weight_progress(progress):
                model = cached_first(
                    AutoModelForCausalLM.from_pretrained, source, dtype=TORCH_DTYPES[dtype], device_map=device_map,
                    trust_remote_code=settings.trust_remote_code, tqdm_class=_progress_class("download", progress))
            params = sum(p.numel() for p in model.parameters())
    except Exception as exc:  # noqa: BLE001
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise translate_error(exc, name, device) from exc
    model.eval()
    check_cancel()
    if settings.compile_decode:
        notes.append(enable_compiled_decode(model, device))
    weight_bytes = quantize.weight_bytes(model)
    shown_device = device
    if device == BALANCED:
        placed = sorted({str(v) for v in getattr(model, "hf_device_map", {}).values()})
        shown_device = f"{BALANCED} ({', '.join(placed)})"
    info = ModelInfo(
        model_id=name,
        revision=getattr(config, "_commit_hash", None),
        device=shown_device,
        dtype=dtype,
        architecture=(config.architectures or [type(model).__name__])[0],
        parameters=params,
        weight_bytes=weight_bytes,
        memory_bytes=quantize.process_memory_bytes(device) or weight_bytes,
        context_window=context_window(config),
        load_seconds=time.perf_counter() - started,
        quality=measured_quality(name, info_revision(source, config), dtype),
        notes=tuple(n for n in notes if n),
    )
    report("ready", 1, 1, f"Loaded {name} on {info.device} in {dtype}")
    return LoadedModel(model, tokenizer, info, end_token_ids(model, tokenizer))


def info_revision(source: str, config: Any) -> str | None:
    """The revision a measured figure is keyed by: the Hub commit, or a fingerprint of a local folder's files."""
    folder = Path(source)
    if folder.is_dir():
        return "files:" + quant_cache.folder_fingerprint(folder)
    return getattr(config, "_commit_hash", None)


def measured_quality(model: str, revision: str | None, dtype: str) -> dict[str, float] | None:
    """The quality figures ``llmdesk bench --quality`` measured for this model, revision and precision, or
    None when it has not been measured."""
    if dtype not in QUANTIZED:
        return None
    from llmdesk.engine.quality import lookup_quality

    return lookup_quality(model, revision, dtype)


def _load_quantized(name: str, source: str, config: Any, settings: ModelSettings, device: str, dtype: str,
                    progress: ProgressCallback | None, check_cancel: Callable[[], None],
                    notes: list[str]) -> tuple[Any, int]:
    """Load ``source`` with int8/int4 weights; return (model, parameter count before packing).

    On the CPU a kept quantized copy is used when it matches and is intact; otherwise the bfloat16 weights are
    loaded, quantized one layer at a time and the result is kept for next time (a failure to keep it is a note,
    not an error). On CUDA the weights are quantized by torchao while moved to the GPU, one layer at a time.
    """
    from transformers import AutoModelForCausalLM, GenerationConfig
    from transformers.initialization import no_init_weights

    float_dtype = TORCH_DTYPES[compute_dtype(device, dtype)]
    params = count_parameters(config)

    def report_layers(done: int, total: int) -> None:
        if progress is not None:
            progress(LoadProgress("quantize", done, total, f"Quantizing to {dtype}"))
        check_cancel()

    if device.startswith("cuda"):  # pragma: no cover - no GPU in the test machines
        with _weight_progress(progress):
            model = cached_first(AutoModelForCausalLM.from_pretrained, source, dtype=float_dtype, device_map="cpu",
                                 trust_remote_code=settings.trust_remote_code,
                                 tqdm_class=_progress_class("download", progress))
        quantize.quantize_cuda(model, dtype, device, report_layers)
        return model, params
    key = quant_cache.CacheKey.for_model(name, source, getattr(config, "_commit_hash", None), dtype, device)
    lookup = quant_cache.load(key)
    if lookup.status == "hit" and lookup.state is not None and lookup.plans is not None:
        with no_init_weights():
            model = AutoModelForCausalLM.from_config(config, dtype=float_dtype,
                                                     trust_remote_code=settings.trust_remote_code)
        quantize.skeleton_cpu(model, lookup.plans, float_dtype)
        result = model.load_state_dict(lookup.state, strict=False, assign=True)
        if not result.missing_keys and not result.unexpected_keys:
            try:
                model.generation_config = cached_first(GenerationConfig.from_pretrained, source)
            except OSError:
                pass
            notes.append(f"Quantized weights read from {lookup.path}")
            return model, params
        quant_cache.remove(key)
        notes.append(f"The kept {dtype} copy did not fit the model (missing {result.missing_keys[:3]}, unexpected "
                     f"{result.unexpected_keys[:3]}); rebuilt it.")
        del model
    elif lookup.status in ("damaged", "stale"):
        notes.append(f"The kept {dtype} copy was not used ({lookup.reason}); rebuilt it.")
    del lookup
    gc.collect()
    with _weight_progress(progress):
        model = cached_first(AutoModelForCausalLM.from_pretrained, source, dtype=float_dtype, device_map="cpu",
                             trust_remote_code=settings.trust_remote_code,
                             tqdm_class=_progress_class("download", progress))
    check_cancel()
    plans = quantize.quantize_cpu(model, dtype, float_dtype, report_layers)
    gc.collect()
    try:
        path = quant_cache.save(key, model, plans)
        notes.append(f"Quantized weights kept in {path}")
    except OSError as exc:
        notes.append(f"The quantized weights could not be kept for next time: {exc}")
    return model, params


def enable_compiled_decode(model: Any, device: str) -> str:
    """Ask transformers for a static KV cache, with which ``generate`` compiles the decode step with
    ``torch.compile`` on CUDA. Returns a note for the user; on other devices nothing changes and the note says
    why."""
    if not device.startswith("cuda"):
        return (f"Compiled decoding is for CUDA only; it is off on {device} (transformers compiles the decode "
                "step only on GPUs).")
    model.generation_config.cache_implementation = "static"  # pragma: no cover - needs a GPU
    return "Compiled decoding on: the first reply compiles the decode step (a minute or more)."  # pragma: no cover


def free_model(loaded: LoadedModel | None) -> None:
    """Drop references to a model and give its memory back to the device."""
    if loaded is None:
        return
    loaded.model = None
    loaded.tokenizer = None
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if getattr(torch, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.empty_cache()
