"""Speed of the engine's streaming path against a bare ``model.generate`` on the same model, in one process.

Both paths generate exactly the same number of tokens from the same prompt (greedy, end tokens ignored via
``min_new_tokens``). Runs alternate between the paths so that drift in the machine's speed hits both alike, and
medians are reported. Decode speed for both is measured the same way: (N - 1) tokens over the time between the
first token and the last, where the first-token time of the bare path is a separate ``max_new_tokens=1`` run.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from llmdesk.core.settings import DecodingSettings
from llmdesk.engine.loader import LoadedModel
from llmdesk.engine.streaming import generation_config, stream_generate


@dataclass
class PathResult:
    ttft_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    decode_tokens_per_s: list[float] = field(default_factory=list)

    def medians(self) -> dict[str, float]:
        return {"ttft_s": statistics.median(self.ttft_s), "total_s": statistics.median(self.total_s),
                "decode_tokens_per_s": statistics.median(self.decode_tokens_per_s)}


@dataclass
class BenchReport:
    model: str
    device: str
    dtype: str
    parameters: int
    weight_bytes: int
    load_s: float
    prompt_tokens: int
    new_tokens: int
    repeats: int
    engine: dict[str, float]
    bare: dict[str, float]
    engine_runs: list[float]
    bare_runs: list[float]
    decode_ratio: float
    ttft_ratio: float
    implied_bandwidth_gb_s: float
    torch_version: str
    transformers_version: str
    threads: int
    multi_turn: dict[str, Any] | None = None
    inspector: dict[str, float] | None = None  # the engine path with the token inspector on (``inspect=True``)
    inspector_runs: list[float] | None = None
    inspector_decode_ratio: float | None = None  # inspector on / off, decode tokens/s

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        e, b = self.engine, self.bare
        return "\n".join([
            f"model           {self.model}  ({self.parameters / 1e9:.3f}B parameters, "
            f"{self.weight_bytes / 1e9:.3f} GB of weights)",
            f"device          {self.device}, {self.dtype}, {self.threads} torch threads, torch {self.torch_version}, "
            f"transformers {self.transformers_version}",
            f"load            {self.load_s:.2f} s",
            f"prompt / new    {self.prompt_tokens} / {self.new_tokens} tokens, median of {self.repeats} interleaved runs",
            f"{'':16}{'engine stream':>16}{'bare generate':>16}{'ratio':>8}",
            f"{'time to first':16}{e['ttft_s'] * 1000:>13.1f} ms{b['ttft_s'] * 1000:>13.1f} ms"
            f"{self.ttft_ratio:>8.3f}",
            f"{'decode':16}{e['decode_tokens_per_s']:>11.2f} tok/s{b['decode_tokens_per_s']:>11.2f} tok/s"
            f"{self.decode_ratio:>8.3f}",
            f"implied weight bandwidth while decoding: {self.implied_bandwidth_gb_s:.2f} GB/s",
            "decode tok/s per run (engine | bare): " + " ".join(f"{x:.2f}" for x in self.engine_runs) + " | "
            + " ".join(f"{x:.2f}" for x in self.bare_runs),
        ] + ([f"token inspector on: decode {self.inspector['decode_tokens_per_s']:.2f} tok/s, "
              f"on/off ratio {self.inspector_decode_ratio:.3f}; per run: "
              + " ".join(f"{x:.2f}" for x in self.inspector_runs or [])]
             if self.inspector is not None and self.inspector_decode_ratio is not None else []))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_bench(loaded: LoadedModel, *, prompt_tokens: int = 32, new_tokens: int = 32, repeats: int = 3,
              load_s: float | None = None, seed: int = 0, inspect: bool = False) -> BenchReport:
    """Measure both paths on ``loaded``; see the module docstring for the method."""
    import transformers

    model, tokenizer = loaded.model, loaded.tokenizer
    device = next(model.parameters()).device
    special = set(tokenizer.all_special_ids) | set(loaded.end_token_ids)
    generator = torch.Generator().manual_seed(seed)
    vocab = min(len(tokenizer), model.config.get_text_config().vocab_size)
    candidates = torch.randint(0, vocab, (prompt_tokens * 2,), generator=generator).tolist()
    prompt = [t for t in candidates if t not in special][:prompt_tokens]
    decoding = DecodingSettings(max_new_tokens=new_tokens)
    config = generation_config(decoding, model.generation_config, loaded.end_token_ids)
    config.min_new_tokens = new_tokens
    one = generation_config(DecodingSettings(max_new_tokens=1), model.generation_config, loaded.end_token_ids)
    ids = torch.tensor([prompt], device=device)
    mask = torch.ones_like(ids)

    def bare(cfg: Any) -> float:
        _sync(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=cfg)
        _sync(device)
        assert out.shape[-1] - ids.shape[-1] == cfg.max_new_tokens
        return time.perf_counter() - t0

    def engine(on_token: Any = None) -> tuple[float, float]:
        t0 = time.perf_counter()
        stats = stream_generate(model, tokenizer, prompt, config, on_text=lambda s: None, cancel=threading.Event(),
                                end_token_ids=loaded.end_token_ids, on_token=on_token)
        _sync(device)
        assert stats.new_tokens == new_tokens, stats
        return stats.ttft_s or 0.0, time.perf_counter() - t0

    bare(one)  # warm-up: kernels, caches, allocator
    engine()
    eng, bar, ins = PathResult(), PathResult(), PathResult()
    paths = (0, 1, 2) if inspect else (0, 1)
    for i in range(repeats):
        order = paths if i % 2 == 0 else tuple(reversed(paths))
        for which in order:
            if which == 2:
                ttft, total = engine(lambda token: None)
                ins.ttft_s.append(ttft)
                ins.total_s.append(total)
                ins.decode_tokens_per_s.append((new_tokens - 1) / max(total - ttft, 1e-9))
                continue
            if which == 0:
                ttft, total = engine()
                eng.ttft_s.append(ttft)
                eng.total_s.append(total)
                eng.decode_tokens_per_s.append((new_tokens - 1) / max(total - ttft, 1e-9))
            else:
                ttft = bare(one)
                total = bare(config)
                bar.ttft_s.append(ttft)
                bar.total_s.append(total)
                bar.decode_tokens_per_s.append((new_tokens - 1) / max(total - ttft, 1e-9))
    e, b = eng.medians(), bar.medians()
    info = loaded.info
    return BenchReport(
        model=info.model_id, device=info.device, dtype=info.dtype, parameters=info.parameters,
        weight_bytes=info.weight_bytes, load_s=info.load_seconds if load_s is None else load_s,
        prompt_tokens=len(prompt), new_tokens=new_tokens, repeats=repeats, engine=e, bare=b,
        engine_runs=eng.decode_tokens_per_s, bare_runs=bar.decode_tokens_per_s,
        decode_ratio=e["decode_tokens_per_s"] / b["decode_tokens_per_s"],
        ttft_ratio=e["ttft_s"] / b["ttft_s"],
        implied_bandwidth_gb_s=info.weight_bytes * e["decode_tokens_per_s"] / 1e9,
        torch_version=torch.__version__, transformers_version=transformers.__version__,
        threads=torch.get_num_threads(),
        inspector=ins.medians() if inspect else None, inspector_runs=ins.decode_tokens_per_s if inspect else None,
        inspector_decode_ratio=ins.medians()["decode_tokens_per_s"] / e["decode_tokens_per_s"] if inspect else None)


# --------------------------------------------------------------------------------------------------------------
# Multi-turn chat: re-reading the whole conversation vs the KV cache kept between turns
# --------------------------------------------------------------------------------------------------------------

_WORDS = ("the quick brown fox jumps over a lazy dog while seven small birds sing about rivers mountains and old "
          "towns where people write letters cook bread plant gardens repair bicycles and tell long stories to "
          "their friends in the evening light").split()


@dataclass
class MultiTurnReport:
    """Time to first token per turn of one scripted chat, answered twice per turn (runs interleaved): re-reading
    the whole prompt, and with the conversation's KV cache kept between turns.

    Attributes:
        turns: number of turns.
        prompt_tokens: the prompt's length at each turn.
        ttft_reprefill_s: seconds from the request to the first token, whole prompt read, per turn.
        ttft_cached_s: the same with the kept cache, per turn.
        cached_tokens: prompt tokens taken from the kept cache, per turn.
        reply_tokens: the most tokens generated per reply.
    """

    turns: int
    prompt_tokens: list[int]
    ttft_reprefill_s: list[float]
    ttft_cached_s: list[float]
    cached_tokens: list[int]
    reply_tokens: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_turn_ratio"] = self.ttft_cached_s[-1] / self.ttft_reprefill_s[-1]
        out["median_ttft_reprefill_s"] = statistics.median(self.ttft_reprefill_s)
        out["median_ttft_cached_s"] = statistics.median(self.ttft_cached_s)
        out["median_ratio"] = statistics.median(c / r for c, r in zip(self.ttft_cached_s, self.ttft_reprefill_s,
                                                                      strict=True))
        return out

    def text(self) -> str:
        d = self.to_dict()
        lines = [f"multi-turn chat: {self.turns} turns, replies of up to {self.reply_tokens} tokens, time to first "
                 "token (runs interleaved)",
                 f"{'turn':>6}{'prompt':>8}{'cached':>8}{'re-read':>11}{'kept cache':>12}{'ratio':>8}"]
        for i, (p, c, r, k) in enumerate(zip(self.prompt_tokens, self.cached_tokens, self.ttft_reprefill_s,
                                             self.ttft_cached_s, strict=True), 1):
            lines.append(f"{i:>6}{p:>8}{c:>8}{r:>9.2f} s{k:>10.2f} s{k / r:>8.3f}")
        lines.append(f"turn {self.turns}: {self.ttft_cached_s[-1]:.2f} s with the kept cache vs "
                     f"{self.ttft_reprefill_s[-1]:.2f} s re-reading (ratio {d['last_turn_ratio']:.3f}); median over "
                     f"turns {d['median_ttft_cached_s']:.2f} s vs {d['median_ttft_reprefill_s']:.2f} s (median ratio "
                     f"{d['median_ratio']:.3f})")
        return "\n".join(lines)


def _user_text(tokenizer: Any, tokens: int, turn: int) -> str:
    """About ``tokens`` tokens of plain words, different for each turn."""
    words = [f"Turn {turn}:"]
    i = turn * 7
    while len(tokenizer.encode(" ".join(words), add_special_tokens=False)) < tokens:
        words.append(_WORDS[i % len(_WORDS)])
        i += 3
    return " ".join(words)


def run_multi_turn(loaded: LoadedModel, *, turns: int = 10, turn_tokens: int = 140, reply_tokens: int = 4,
                   system_prompt: str = "You are a helpful assistant.") -> MultiTurnReport:
    """A scripted ``turns``-turn chat through :class:`ChatEngine` on ``loaded``: each turn adds a user message and
    the model's reply (about ``turn_tokens`` tokens together), and is answered twice, in alternating order: once
    reading the whole prompt (no cache key) and once with the conversation's kept KV cache. The history holds the
    replies of the cached runs (greedy), as a real conversation would.

    Raises:
        ValueError: turns < 1, or turn_tokens not above reply_tokens + 16.
    """
    from llmdesk.engine.session import ChatEngine
    from llmdesk.engine.types import ChatTurn

    if turns < 1 or turn_tokens <= reply_tokens + 16:
        raise ValueError("multi-turn bench needs turns >= 1 and turn_tokens > reply_tokens + 16")
    engine = ChatEngine(cache_budget_bytes=1 << 40)
    engine.adopt(loaded)
    device = next(loaded.model.parameters()).device
    decoding = DecodingSettings(max_new_tokens=reply_tokens)
    history: list[Any] = []
    report = MultiTurnReport(turns, [], [], [], [], reply_tokens)

    def ask(key: str | None) -> tuple[str, Any]:
        pieces: list[str] = []
        stats = engine.chat(history, decoding, system_prompt, on_text=pieces.append, cancel=threading.Event(),
                            cache_key=key)
        _sync(device)
        return "".join(pieces), stats

    history.append(ChatTurn("user", "Hello!"))
    ask(None)  # warm-up: kernels, allocator
    history.clear()
    user_tokens = turn_tokens - reply_tokens - 8  # the chat template adds a few tokens per turn
    for turn in range(turns):
        history.append(ChatTurn("user", _user_text(loaded.tokenizer, user_tokens, turn + 1)))
        order = ("reprefill", "cached") if turn % 2 == 0 else ("cached", "reprefill")
        reply = ""
        for which in order:
            text, stats = ask(None if which == "reprefill" else "bench")
            if which == "reprefill":
                report.ttft_reprefill_s.append(stats.ttft_s if stats.ttft_s is not None else stats.total_s)
            else:
                report.ttft_cached_s.append(stats.ttft_s if stats.ttft_s is not None else stats.total_s)
                report.cached_tokens.append(stats.cached_tokens)
                report.prompt_tokens.append(stats.prompt_tokens)
                reply = text
        history.append(ChatTurn("assistant", reply))
    engine.caches.clear()
    return report
