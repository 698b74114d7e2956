"""int8/int4 weight-only precisions on the real tiny Phi-3 (hidden 64, intermediate 128), loaded through llmdesk's
loader. The tiny model's linear layers have 64 or 128 inputs, so int4 uses groups of 64 (qkv, o, gate_up) and 128
(down); lm_head is int8 by design."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from llmdesk.core.settings import DTYPES, ModelSettings
from llmdesk.engine import quant_cache, quantize
from llmdesk.engine.devices import estimate_for_config, resolve_dtype
from llmdesk.engine.errors import EngineError
from llmdesk.engine.loader import enable_compiled_decode, free_model, load_config, load_model
from llmdesk.engine.quality import compare, format_quality, teacher_forced_logprobs

pytestmark = pytest.mark.slow

IDS = torch.tensor([[1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889]])


def _load(folder: Path, dtype: str, **kw):
    return load_model(ModelSettings(model=str(folder), device="cpu", dtype=dtype, **kw))


def _logits(loaded) -> torch.Tensor:
    with torch.inference_mode():
        return loaded.model(input_ids=IDS).logits.float()


@pytest.fixture(scope="module")
def reference(tiny_model_dir):
    loaded = load_model(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"))
    yield _logits(loaded)
    free_model(loaded)


def _cache_files() -> list[Path]:
    return sorted(quant_cache.cache_root().glob("*.safetensors"))


def test_int8_and_int4_are_declared_choices():
    assert {"int8", "int4"} <= set(DTYPES)


@pytest.mark.parametrize("precision, max_rel_err, min_top1", [("int8", 0.03, 0.85), ("int4", 0.25, 0.6)])
def test_quantized_load_runs_close_to_float32(tiny_model_dir, reference, precision, max_rel_err, min_top1):
    loaded = _load(tiny_model_dir, precision)
    assert loaded.info.dtype == precision
    model = loaded.model
    assert not [n for n, m in model.named_modules() if type(m) is nn.Linear], "every linear layer is quantized"
    kinds = {type(m).__name__ for m in model.modules()}
    assert "Int8WeightOnlyLinear" in kinds
    assert ("Int4WeightOnlyLinear" in kinds) == (precision == "int4")
    assert isinstance(model.lm_head, quantize.Int8WeightOnlyLinear)
    if precision == "int4":
        groups = {n: m.group_size for n, m in model.named_modules() if isinstance(m, quantize.Int4WeightOnlyLinear)}
        assert groups["model.layers.0.mlp.down_proj"] == 128
        assert groups["model.layers.0.self_attn.qkv_proj"] == 64
    logits = _logits(loaded)
    rel = (logits - reference).abs().max() / reference.abs().max()
    assert rel < max_rel_err
    assert (logits.argmax(-1) == reference.argmax(-1)).float().mean() >= min_top1
    free_model(loaded)


def test_weight_bytes_are_the_packed_bytes(tiny_model_dir):
    config = load_config(str(tiny_model_dir))
    bf16 = _load(tiny_model_dir, "bfloat16")
    int8 = _load(tiny_model_dir, "int8")
    int4 = _load(tiny_model_dir, "int4")
    expected = 0
    for m in int8.model.modules():
        if isinstance(m, quantize.Int8WeightOnlyLinear):
            expected += m.in_features * m.out_features + 2 * m.out_features  # int8 weights + bf16 scales
    embed = config.vocab_size * config.hidden_size * 2
    norms = sum(p.numel() * 2 for n, p in int8.model.named_parameters() if "norm" in n)
    assert int8.info.weight_bytes == expected + embed + norms
    assert bf16.info.weight_bytes > int8.info.weight_bytes > int4.info.weight_bytes
    for loaded in (int8, int4):  # the estimate shown before loading matches what was loaded
        estimate = estimate_for_config(config, "cpu", loaded.info.dtype)
        assert abs(estimate.weight_bytes - loaded.info.weight_bytes) / loaded.info.weight_bytes < 0.02
    assert int8.info.memory_bytes > 0 and int8.info.parameters == bf16.info.parameters
    for loaded in (bf16, int8, int4):
        free_model(loaded)


def test_weight_bytes_of_torchao_tensor_subclass_count_the_packed_data():
    pytest.importorskip("torchao")
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    linear = nn.Linear(256, 128, bias=False, dtype=torch.bfloat16)
    assert quantize.weight_bytes(linear) == 256 * 128 * 2
    quantize_(linear, Int8WeightOnlyConfig())
    # The subclass still says 2 bytes per element; the packed data is 1 byte per weight plus per-row scale data.
    assert linear.weight.numel() * linear.weight.element_size() == 256 * 128 * 2
    assert 256 * 128 <= quantize.weight_bytes(linear) <= 256 * 128 + 128 * 8  # about half, not 2 bytes each


def test_quantized_weights_are_kept_and_reused(tiny_model_dir):
    first = _load(tiny_model_dir, "int4")
    files = _cache_files()
    assert len(files) == 1 and "int4" in files[0].name
    assert any("kept in" in n for n in first.info.notes)
    stamp = files[0].stat().st_mtime_ns
    second = _load(tiny_model_dir, "int4")
    assert any("read from" in n for n in second.info.notes)
    assert files[0].stat().st_mtime_ns == stamp
    assert torch.equal(_logits(first), _logits(second))
    assert second.info.weight_bytes == first.info.weight_bytes
    free_model(first)
    free_model(second)


@pytest.mark.parametrize("damage", ["flip", "truncate", "manifest"])
def test_damaged_copy_is_rebuilt_not_trusted(tiny_model_dir, damage):
    good = _load(tiny_model_dir, "int8")
    expected = _logits(good)
    (path,) = _cache_files()
    if damage == "flip":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one byte inside the packed weights
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 100])
    else:
        path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    rebuilt = _load(tiny_model_dir, "int8")
    assert any("was not used" in n for n in rebuilt.info.notes), rebuilt.info.notes
    assert torch.equal(_logits(rebuilt), expected)
    again = _load(tiny_model_dir, "int8")  # the rebuilt copy is intact and used
    assert any("read from" in n for n in again.info.notes)
    for loaded in (good, rebuilt, again):
        free_model(loaded)


def test_changed_weights_make_the_copy_stale(tiny_model_dir, tmp_path):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    first = _load(folder, "int8")
    (old,) = _cache_files()
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes())  # new modification time: the folder may hold other weights now
    second = _load(folder, "int8")
    assert any("kept in" in n for n in second.info.notes)
    (new,) = _cache_files()  # a new entry, the old one removed
    assert new != old
    free_model(first)
    free_model(second)


def test_manifest_records_key_and_hash(tiny_model_dir):
    loaded = _load(tiny_model_dir, "int8")
    (path,) = _cache_files()
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["key"]["precision"] == "int8" and manifest["key"]["device_kind"] == "cpu"
    assert manifest["key"]["revision"].startswith("files:")
    assert manifest["size"] == path.stat().st_size and len(manifest["hash"]) == 64
    free_model(loaded)


def test_precision_a_device_cannot_run_is_refused_with_what_to_choose():
    with pytest.raises(EngineError) as info:
        resolve_dtype("mps", "int4")
    assert info.value.kind == "precision_unavailable"
    assert "CPU and on CUDA" in str(info.value) and "bfloat16" in info.value.hint
    assert quantize.precision_problem("int8", "cpu") is None
    assert quantize.precision_problem("bfloat16", "mps") is None


@pytest.fixture
def no_torchao(monkeypatch):
    real = importlib.metadata.version

    def version(name: str) -> str:
        if name == "torchao":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    quantize.torchao_problem.cache_clear()
    yield
    quantize.torchao_problem.cache_clear()


@pytest.fixture
def old_torchao(monkeypatch):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda n: "0.5.1" if n == "torchao" else real(n))
    quantize.torchao_problem.cache_clear()
    yield
    quantize.torchao_problem.cache_clear()


def test_missing_torchao_makes_int4_unavailable_before_loading(tiny_model_dir, no_torchao):
    stages: list[str] = []
    with pytest.raises(EngineError) as info:
        load_model(ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="int4"),
                   progress=lambda p: stages.append(p.stage))
    assert info.value.kind == "precision_unavailable"
    assert "torchao is not installed" in str(info.value) and "int8" in info.value.hint
    assert "weights" not in stages and "tokenizer" not in stages
    assert quantize.available_precisions("cpu") == {"int8": None, "int4": quantize.precision_problem("int4",
                                                                                                   "cpu")[0]}
    assert "cuda" in quantize.precision_problem("int8", "cuda:0")[0].lower()
    loaded = _load(tiny_model_dir, "int8")  # the app still runs: int8 on the CPU needs only torch
    assert loaded.info.dtype == "int8"
    free_model(loaded)


def test_too_old_torchao_names_the_version(old_torchao):
    reason, hint = quantize.precision_problem("int4", "cpu")
    assert "torchao 0.5.1 is too old" in reason and "int8" in hint


def test_compiled_decoding_is_refused_on_the_cpu_with_a_note(tiny_model_dir):
    loaded = _load(tiny_model_dir, "int8", compile_decode=True)
    assert any("CUDA only" in n for n in loaded.info.notes)
    assert getattr(loaded.model.generation_config, "cache_implementation", None) != "static"
    assert "CUDA only" in enable_compiled_decode(loaded.model, "cpu")
    free_model(loaded)


def test_quality_figures_are_measured_kept_and_shown(tiny_model_dir):
    from llmdesk.engine.precision_bench import run_precision_bench
    from llmdesk.engine.loader import _source, info_revision

    bf16 = _load(tiny_model_dir, "bfloat16")
    same = teacher_forced_logprobs(bf16.model, IDS)
    assert compare(same, same) == {"mean_logprob_diff": 0.0, "mean_abs_logprob_diff": 0.0, "top1_agreement": 1.0,
                                   "tokens": IDS.shape[1] - 1}
    revision = info_revision(_source(str(tiny_model_dir)), bf16.model.config)
    report = run_precision_bench(bf16, ["bfloat16", "int8", "int4"], prompt_tokens=8, new_tokens=3, repeats=1,
                                 quality=True, revision=revision)
    assert set(report.precisions) == {"bfloat16", "int8", "int4"}
    assert report.decode_ratio_vs_reference["bfloat16"] == 1.0
    weights = {n: f["weight_bytes"] for n, f in report.precisions.items()}
    assert weights["bfloat16"] > weights["int8"] > weights["int4"]
    q8, q4 = report.quality["int8"], report.quality["int4"]
    assert q8["top1_agreement"] >= q4["top1_agreement"] and q8["mean_abs_logprob_diff"] <= q4["mean_abs_logprob_diff"]
    assert 0 < q4["top1_agreement"] <= 1
    loaded = _load(tiny_model_dir, "int4")  # the loaded model carries the figure the bench measured
    assert loaded.info.quality == q4
    assert "top-1 agreement with bfloat16" in format_quality(loaded.info.quality)
    assert _load(tiny_model_dir, "bfloat16").info.quality is None
    free_model(bf16)
    free_model(loaded)


def test_bench_command_rejects_a_bad_precision_list(capsys):
    from llmdesk.__main__ import main

    assert main(["bench", "--precisions", "bfloat16,float16"]) == 2
    assert "at most one of" in capsys.readouterr().err


def test_random_weight_model_can_be_built_quantized(tiny_model_dir):
    from llmdesk.engine.random_model import build_random_model

    loaded = build_random_model(tiny_model_dir, device="cpu", dtype="int4")
    assert loaded.info.dtype == "int4"
    assert isinstance(loaded.model.model.layers[0].mlp.down_proj, quantize.Int4WeightOnlyLinear)
    assert loaded.info.weight_bytes == quantize.weight_bytes(loaded.model)
    out = loaded.model.generate(input_ids=IDS[:, :4], max_new_tokens=2, min_new_tokens=2, do_sample=False)
    assert out.shape == (1, 6)
