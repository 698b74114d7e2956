"""Load time and memory of bfloat16 vs int8/int4 (quantized at load, then from the kept copy), full Phi-3-mini shape.

Saves a random-weight model of the config folder's shape once (``--folder``, default /tmp/llmdesk-phi3-random),
then loads it through llmdesk's loader in a fresh process per load, interleaved: bfloat16, then each precision
first without a kept copy (quantize + keep) and then repeatedly from the kept copy. Prints each load's seconds,
weight bytes, anonymous resident memory (RssAnon) and the notes, then medians and the ratio of a kept-copy load to
a bfloat16 load (target: at most 1.5).

Run under the big-model lock: ``flock /tmp/bigmodel.lock python benchmarks/bench_quant_load.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
from llmdesk.core.settings import ModelSettings
from llmdesk.engine.loader import load_model
t0 = time.perf_counter()
loaded = load_model(ModelSettings(model=sys.argv[1], device="cpu", dtype=sys.argv[2], skip_memory_check=True))
seconds = time.perf_counter() - t0
from llmdesk.engine.quantize import process_memory_bytes
print("RESULT " + json.dumps({"dtype": sys.argv[2], "load_s": seconds, "weight_bytes": loaded.info.weight_bytes,
                              "rss_anon": process_memory_bytes("cpu"), "notes": list(loaded.info.notes)}))
"""


def save_random(config_dir: Path, folder: Path) -> None:
    from llmdesk.engine.random_model import build_random_model

    loaded = build_random_model(config_dir, device="cpu", dtype="bfloat16")
    loaded.model.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)


def load_once(folder: Path, dtype: str, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), dtype], capture_output=True, text=True, env=env,
                         check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"load of {dtype} failed:\n{out.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="/work/shared/phi3-mini-4k-instruct", help="config folder")
    parser.add_argument("--folder", default="/tmp/llmdesk-phi3-random", help="where the random model is saved")
    parser.add_argument("--precisions", default="int4,int8")
    parser.add_argument("--repeats", type=int, default=2, help="kept-copy loads per precision (and bf16 loads)")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not (folder / "model.safetensors.index.json").exists() and not (folder / "model.safetensors").exists():
        print(f"saving a random model to {folder} ...", flush=True)
        save_random(Path(args.config), folder)
    cache = tempfile.mkdtemp(prefix="llmdesk-quant-cache-")
    env = dict(os.environ, XDG_CACHE_HOME=cache, XDG_DATA_HOME=cache, HF_HUB_OFFLINE="1")
    try:
        return _measure(folder, env, [p.strip() for p in args.precisions.split(",") if p.strip()], args.repeats)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _measure(folder: Path, env: dict[str, str], precisions: list[str], repeats: int) -> int:
    results: dict[str, list[dict]] = {"bfloat16": []}
    first: dict[str, dict] = {}
    for p in precisions:
        results[p] = []
        first[p] = load_once(folder, p, env)
        print("first", json.dumps(first[p]), flush=True)
    for _ in range(repeats):
        for dtype in ["bfloat16", *precisions]:
            r = load_once(folder, dtype, env)
            results[dtype].append(r)
            print("kept " if dtype != "bfloat16" else "     ", json.dumps(r), flush=True)
    bf16 = statistics.median(r["load_s"] for r in results["bfloat16"])
    summary = {"bfloat16_load_s": bf16, "bfloat16_rss_anon": statistics.median(r["rss_anon"] for r in
                                                                                 results["bfloat16"])}
    for p in precisions:
        kept = statistics.median(r["load_s"] for r in results[p])
        summary[p] = {"first_load_s": first[p]["load_s"], "kept_load_s": kept, "kept_vs_bf16": kept / bf16,
                      "weight_bytes": results[p][0]["weight_bytes"],
                      "rss_anon": statistics.median(r["rss_anon"] for r in results[p])}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
