"""benchmarks/bench_vs_llamacpp.py: its plan, its errors, and one end-to-end run on a tiny random Phi-3.

The end-to-end test needs llama-cpp-python and llama.cpp's converter (``$LLAMACPP_CONVERTER``, see the script's
docstring); without them it is skipped, since llama.cpp is a benchmark peer and never a dependency of llmdesk.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_PHI3

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_vs_llamacpp.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_vs_llamacpp", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_pairs_are_parsed_in_order_without_repeats(bench) -> None:
    assert bench.parse_pairs("int4, bf16,int4") == ["int4", "bf16"]


@pytest.mark.parametrize("text", ["bf16,int3", "", " , "])
def test_an_unknown_or_missing_pair_is_named(bench, text: str) -> None:
    with pytest.raises(bench.BenchError, match="choose from bf16, int8, int4"):
        bench.parse_pairs(text)


def test_every_precision_compares_at_equal_bits(bench) -> None:
    assert bench.PRECISIONS == {"bf16": ("bfloat16", ("BF16",)), "int8": ("int8", ("Q8_0",)),
                                "int4": ("int4", ("Q4_K_M", "Q4_0"))}
    made = set(bench.CONVERTED) | set(bench.QUANTIZED)
    assert made == {g for _, types in bench.PRECISIONS.values() for g in types}


def test_a_missing_converter_says_how_to_give_it(bench, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bench.CONVERTER_ENV, raising=False)
    with pytest.raises(bench.BenchError, match="--converter PATH or set LLAMACPP_CONVERTER"):
        bench.find_converter(None)


def test_a_converter_path_without_the_script_is_named(bench, tmp_path: Path) -> None:
    with pytest.raises(bench.BenchError, match=f"no llama.cpp converter at {tmp_path}/convert_hf_to_gguf.py"):
        bench.find_converter(str(tmp_path))


def test_the_converter_is_found_from_its_folder_or_the_environment(bench, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "convert_hf_to_gguf.py"
    script.write_text("")
    assert bench.find_converter(str(tmp_path)) == script
    monkeypatch.setenv(bench.CONVERTER_ENV, str(script))
    assert bench.find_converter(None) == script


def test_ratios_are_llmdesk_speed_over_llamacpp_speed(bench) -> None:
    ours = {"prompt_tokens_per_s": 200.0, "ttft_s": 0.5, "decode_tokens_per_s": 3.0}
    peer = {"prompt_tokens_per_s": 100.0, "ttft_s": 1.0, "decode_tokens_per_s": 6.0}
    assert bench.ratios(ours, peer) == {"prompt_processing": 2.0, "ttft": 2.0, "decode": 0.5}


def _report(load: float) -> dict:
    side = {"prompt_tokens_per_s": 100.0, "ttft_s": 1.3, "decode_tokens_per_s": 3.0, "decode_weight_gb_s": 22.9,
            "weight_bytes": 7_640_000_000}
    return {"model": "random:phi3", "cache_dir": "/tmp/c", "cpu": "x", "threads": 2, "cores": 2,
            "load_before": 0.5, "load_after": load, "torch": "t", "transformers": "tf", "llama_cpp_python": "l",
            "prompt_tokens": 128, "new_tokens": 32, "repeats": 3,
            "pairs": [{"precision": "bf16", "gguf_type": "BF16", "status": "measured", "llmdesk": side,
                       "llamacpp": {**side, "decode_tokens_per_s": 6.0}, "ratios": {"prompt_processing": 1.0,
                                                                                  "ttft": 1.0, "decode": 0.5}},
                      {"precision": "int8", "gguf_type": "Q8_0", "status": "unavailable", "reason": "no int8"}]}


def test_the_table_marks_each_target_and_a_busy_host(bench) -> None:
    quiet = bench.table(_report(1.5))
    assert "time to first token          1300 ms       1300 ms    1.00  met" in quiet
    assert "decode                    3.00 tok/s    6.00 tok/s    0.50  NOT met" in quiet
    assert "int8 vs Q8_0      unavailable: no int8" in quiet
    assert "WARNING" not in quiet
    assert "WARNING     the host was busy" in bench.table(_report(7.0))


def test_a_cut_config_keeps_full_layers_and_the_tokenizer(bench, tmp_path: Path) -> None:
    if not (SHARED_PHI3 / "tokenizer.model").is_file():
        pytest.skip("needs ../shared/phi3-mini-4k-instruct")
    out = bench.cut_config(SHARED_PHI3, 8, tmp_path / "cut")
    config = json.loads((out / "config.json").read_text())
    full = json.loads((SHARED_PHI3 / "config.json").read_text())
    assert config == {**full, "num_hidden_layers": 8}
    assert (out / "tokenizer.model").read_bytes() == (SHARED_PHI3 / "tokenizer.model").read_bytes()
    with pytest.raises(bench.BenchError, match="--layers must be from 1 to 31, not 32"):
        bench.cut_config(SHARED_PHI3, 32, tmp_path / "cut2")


def test_a_config_folder_without_config_json_is_named(bench, tmp_path: Path) -> None:
    with pytest.raises(bench.BenchError, match="has no config.json"):
        bench.prepare_weights(tmp_path, tmp_path / "cache", 0, None)


def test_bad_counts_are_refused(bench, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--new-tokens", "1"]) == 2
    assert "--new-tokens must be at least 2" in capsys.readouterr().err


def _converter() -> str | None:
    path = os.environ.get("LLAMACPP_CONVERTER")
    return path if path and Path(path).exists() else None


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or _converter() is None
                    or not (SHARED_PHI3 / "tokenizer.model").is_file(),
                    reason="needs llama-cpp-python, $LLAMACPP_CONVERTER and ../shared/phi3-mini-4k-instruct")
def test_a_tiny_model_is_converted_and_timed_on_both_sides(bench, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    for name in bench.TOKENIZER_FILES:
        shutil.copy2(SHARED_PHI3 / name, config_dir)
    config = json.loads((SHARED_PHI3 / "config.json").read_text())
    config.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=4)
    (config_dir / "config.json").write_text(json.dumps(config))
    cache = tmp_path / "cache"
    argv = ["--config-dir", str(config_dir), "--cache-dir", str(cache), "--pairs", "bf16,int8",
            "--prompt-tokens", "16", "--new-tokens", "4", "--repeats", "2", "--pause", "0", "--json"]

    assert bench.main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    bf16, int8 = report["pairs"]
    assert (bf16["precision"], bf16["gguf_type"], bf16["status"]) == ("bf16", "BF16", "measured")
    for side in (bf16["llmdesk"], bf16["llamacpp"]):
        assert len(side["runs"]) == 2
        assert all(r["prefill_s"] > 0 and r["ttft_s"] > 0 and r["decode_tokens_per_s"] > 0 for r in side["runs"])
        assert side["prompt_tokens_per_s"] == pytest.approx(16 / side["prefill_s"])
    assert bf16["llmdesk"]["dtype"] == "bfloat16"
    assert bf16["ratios"]["decode"] == pytest.approx(
        bf16["llmdesk"]["decode_tokens_per_s"] / bf16["llamacpp"]["decode_tokens_per_s"])
    assert bf16["ratios"]["ttft"] == pytest.approx(bf16["llamacpp"]["ttft_s"] / bf16["llmdesk"]["ttft_s"])
    assert (int8["status"] == "measured") == bench.llmdesk_offers("int8")
    if int8["status"] == "unavailable":
        assert "no 'int8' precision" in int8["reason"]
    gguf = cache / "gguf" / "model-BF16.gguf"
    made_at = gguf.stat().st_mtime_ns

    assert bench.main([*argv[:-1], "--pairs", "bf16", "--prepare-only"]) == 0  # the cache is reused, not remade
    assert gguf.stat().st_mtime_ns == made_at
    assert f"bf16 vs BF16      prepared: {gguf}" in capsys.readouterr().out
