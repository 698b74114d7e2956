"""A scripted stand-in for :class:`llmdesk.engine.session.ChatEngine`, for the UI benchmark and GUI tests.

It has the same interface (``info``, ``load``, ``unload``, ``chat``) and honours the same contract: pieces go
through ``on_text`` on the calling thread, ``cancel`` stops it within one "token", failures raise
:class:`~llmdesk.engine.errors.EngineError`. It imports neither torch nor Qt, so the window can be exercised
quickly and deterministically.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from llmdesk.core.settings import DecodingSettings, ModelSettings
from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import ChatTurn, DeviceInfo, GenerationStats, LoadProgress, ModelInfo, TokenInfo

_WORDS = ("model tokens stream quickly through the worker thread while the window stays responsive and the "
          "reader scrolls back to check an earlier answer about caching layers memory bandwidth and latency").split()
_CODE = [
    ("python", ["def fibonacci(n: int) -> int:", '    """Return the n-th Fibonacci number."""',
                "    a, b = 0, 1", "    for _ in range(n):", "        a, b = b, a + b", "    return a", "",
                "print(fibonacci(30))  # 832040"]),
    ("bash", ["python -m venv .venv && . .venv/bin/activate", "pip install llmdesk", "llmdesk --device cpu"]),
    ("json", ["{", '  "model": "microsoft/Phi-3-mini-4k-instruct",', '  "max_new_tokens": 500', "}"]),
]


CONTENT_KINDS = ("mixed", "table", "list")


def _token_pieces(block: str) -> Iterator[str]:
    """Cut text into token-like pieces: a word with its leading space, or a punctuation/newline run."""
    i = 0
    while i < len(block):
        j = i + 1
        while j < len(block) and block[j].isalnum() and j - i < 8:
            j += 1
        yield block[i:j]
        i = j


def synthetic_markdown_pieces(count: int, seed: int = 0, content: str = "mixed") -> Iterator[str]:
    """Yield ``count`` token-sized pieces of Markdown.

    Args:
        count: how many pieces.
        seed: seed of the word choice.
        content: ``"mixed"``: headings, paragraphs with inline code and bold text, lists, tables and fenced code
            blocks, in a repeating but varied mix; ``"table"``: one table that grows for the whole reply (rows as
            in ``04-stream-table-400-rows.md``); ``"list"``: one numbered list without blank lines (every tenth item
            with two nested items) that grows for the whole reply.

    Raises:
        ValueError: an unknown ``content``.
    """
    if content not in CONTENT_KINDS:
        raise ValueError(f"unknown content {content!r}: choose one of {', '.join(CONTENT_KINDS)}")
    rng = random.Random(seed)
    produced = 0
    for block in _synthetic_blocks(rng, content):
        for piece in _token_pieces(block):
            yield piece
            produced += 1
            if produced >= count:
                return


def _synthetic_blocks(rng: random.Random, content: str) -> Iterator[str]:
    def words(n: int) -> list[str]:
        out = []
        for _ in range(n):
            w = rng.choice(_WORDS)
            roll = rng.random()
            if roll < 0.05:
                w = f"`{w}()`"
            elif roll < 0.08:
                w = f"**{w}**"
            out.append(w)
        return out

    if content == "table":
        yield "Here is the full table:\n\n| # | name | value | note |\n|---|---|---|---|\n"
        row = 0
        while True:
            yield f"| {row} | item {row} | {row * 7} | {' '.join(words(3))} |\n"
            row += 1
    if content == "list":
        yield "These are the points, one by one:\n\n"
        item = 0
        while True:
            yield f"{item + 1}. {' '.join(words(rng.randint(4, 12)))}\n"
            if item % 10 == 9:
                yield "".join(f"   - {' '.join(words(rng.randint(3, 6)))}\n" for _ in range(2))
            item += 1
    section = 0
    while True:
        section += 1
        yield f"## Section {section}: {' '.join(words(3))}\n\n"
        yield " ".join(words(rng.randint(25, 60))).capitalize() + ".\n\n"
        yield "".join(f"- {' '.join(words(rng.randint(3, 9)))}\n" for _ in range(rng.randint(2, 5))) + "\n"
        lang, lines = _CODE[section % len(_CODE)]
        yield f"```{lang}\n" + "\n".join(lines) + "\n```\n\n"
        if section % 2 == 0:
            yield "| setting | value | note |\n|---|---|---|\n" + "".join(
                f"| {rng.choice(_WORDS)} | {rng.randint(0, 999)} | {' '.join(words(3))} |\n" for _ in range(3)) + "\n"
        yield " ".join(words(rng.randint(15, 40))).capitalize() + ".\n\n"


@dataclass
class ScriptedEngine:
    """A fake engine with a script.

    Attributes:
        reply: the text of each reply (cut into pieces of ``piece_chars``), or None for synthetic Markdown.
        pieces: exact pieces to stream instead of ``reply``.
        tokens: how many synthetic pieces to stream when neither ``reply`` nor ``pieces`` is given.
        content: the kind of synthetic Markdown (see :func:`synthetic_markdown_pieces`).
        rate: pieces per second (0: as fast as possible).
        load_steps / load_delay: load progress steps and seconds per step.
        load_error / chat_error: raise this EngineError from load / chat (chat raises after ``error_after``
            pieces).
        devices: what :meth:`list_devices` reports.
        requests: what each ``chat`` call was sent: (turns, continue_final).
        reasoning: when given, each reply first streams this reasoning in ``<think>…</think>`` (like a reasoning
            model), then the reply; with ``prompt_opens_reasoning`` the opening tag comes as the first piece on
            its own, as :class:`~llmdesk.engine.session.ChatEngine` sends it for a template that opens it.
        reasoning_rate: pieces per second while the reasoning streams (0: ``rate``).
    """

    reply: str | None = "Hello! This is a **scripted** reply.\n\n```python\nprint('hi')\n```\n"
    pieces: Sequence[str] | None = None
    tokens: int = 200
    content: str = "mixed"
    rate: float = 0.0
    piece_chars: int = 4
    load_steps: int = 3
    load_delay: float = 0.0
    load_error: EngineError | None = None
    chat_error: EngineError | None = None
    error_after: int = 0
    devices: list[DeviceInfo] = field(default_factory=lambda: [
        DeviceInfo("cpu", "CPU (scripted)", 16 * 2**30, 8 * 2**30)])
    info: ModelInfo | None = None
    calls: list[str] = field(default_factory=list)
    thread_ids: list[int] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[list[ChatTurn], bool]] = field(default_factory=list)
    cache_keys: list[str | None] = field(default_factory=list)
    kv_cache_bytes: int = 0  # reported in each reply's stats as the bytes of kept KV caches
    reasoning: str | None = None
    prompt_opens_reasoning: bool = False
    reasoning_rate: float = 0.0

    # -- engine interface --------------------------------------------------------------------------------------
    def load(self, settings: ModelSettings, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> ModelInfo:
        self.calls.append(f"load:{settings.model}")
        self.thread_ids.append(threading.get_ident())
        for step in range(self.load_steps):
            if cancel is not None and cancel.is_set():
                raise EngineError("load_failed", "Loading was cancelled.", "")
            if progress is not None:
                progress(LoadProgress("weights", step, self.load_steps, f"loading shard {step + 1}"))
            if self.load_delay:
                (cancel or threading.Event()).wait(self.load_delay)
        if cancel is not None and cancel.is_set():
            raise EngineError("load_failed", "Loading was cancelled.", "")
        if self.load_error is not None:
            raise self.load_error
        if progress is not None:
            progress(LoadProgress("ready", self.load_steps, self.load_steps, "ready"))
        device = "cpu" if settings.device in ("auto", "cpu") else settings.device
        dtype = "float32" if settings.dtype == "auto" else settings.dtype
        self.info = ModelInfo(model_id=settings.model, revision=None, device=device, dtype=dtype,
                              architecture="ScriptedForCausalLM", parameters=1_000_000, weight_bytes=4_000_000,
                              memory_bytes=4_200_000, context_window=4096, load_seconds=0.01)
        return self.info

    def unload(self) -> None:
        self.calls.append("unload")
        self.thread_ids.append(threading.get_ident())
        self.info = None

    def _script(self) -> Iterator[str]:
        if self.reasoning is not None:
            if self.prompt_opens_reasoning:
                yield "<think>"
                thought = f"{self.reasoning}\n</think>\n\n"
            else:
                thought = f"<think>\n{self.reasoning}\n</think>\n\n"
            for i in range(0, len(thought), self.piece_chars):
                yield thought[i:i + self.piece_chars]
        if self.pieces is not None:
            yield from self.pieces
        elif self.reply is not None:
            for i in range(0, len(self.reply), self.piece_chars):
                yield self.reply[i:i + self.piece_chars]
        else:
            yield from synthetic_markdown_pieces(self.tokens, content=self.content)

    def chat(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str, *,
             on_text: Callable[[str], None], cancel: threading.Event,
             on_token: Callable[[TokenInfo], None] | None = None,
             continue_final: bool = False, cache_key: str | None = None) -> GenerationStats:
        self.calls.append("chat")
        self.requests.append((list(turns), continue_final))
        self.cache_keys.append(cache_key)
        self.thread_ids.append(threading.get_ident())
        if self.info is None:
            raise EngineError("no_model", "No model is loaded.", "Load a model in the settings panel first.")
        self.started.set()
        t0 = time.perf_counter()
        first: float | None = None
        count = 0
        reason = "eos"
        thinking = self.reasoning is not None and self.reasoning_rate > 0
        pace0, paced, tail = t0, 0, ""  # pacing restarts when the reasoning ends
        rng = random.Random(decoding.seed or 1)
        for piece in self._script():
            if decoding.do_sample and piece.startswith(" ") and rng.random() < min(0.9, decoding.temperature / 4):
                piece = " " + rng.choice(_WORDS)  # sampling strays from the script, more so when hotter
            tail = (tail + piece)[-16:]
            if thinking and "</think>" in tail:
                thinking = False
                pace0, paced = time.perf_counter(), 0
            rate = self.reasoning_rate if thinking else self.rate
            if cancel.is_set():
                reason = "cancelled"
                break
            if self.chat_error is not None and count >= self.error_after:
                raise self.chat_error
            if count >= decoding.max_new_tokens:
                reason = "length"
                break
            if rate:
                delay = pace0 + paced / rate - time.perf_counter()
                if delay > 0:
                    cancel.wait(delay)
                    if cancel.is_set():
                        reason = "cancelled"
                        break
            on_text(piece)
            if on_token is not None:
                on_token(self._token(piece, count))
            count += 1
            paced += 1
            if first is None:
                first = time.perf_counter() - t0
        else:
            if self.chat_error is not None:
                raise self.chat_error
        total = time.perf_counter() - t0
        decode = total - (first or 0.0)
        return GenerationStats(prompt_tokens=sum(len(t.content.split()) for t in turns), new_tokens=count,
                               ttft_s=first, decode_tokens_per_s=(count - 1) / decode if count > 1 and decode > 0
                               else None, total_s=total, stop_reason=reason, seed=decoding.seed,
                               kv_cache_bytes=self.kv_cache_bytes)

    def _token(self, piece: str, n: int) -> TokenInfo:
        """A made-up TokenInfo for ``piece`` (deterministic): ten alternatives with falling probabilities; every
        seventh token is an unlikely pick, every third a middling one."""
        vocab = self.__dict__.setdefault("vocab", {})
        token_id = vocab.setdefault(piece, 1000 + len(vocab))
        rng = random.Random(n)
        words = sorted({w for w in _WORDS if w != piece.strip()})
        rng.shuffle(words)
        chosen_p = 0.03 if n % 7 == 6 else 0.35 if n % 3 == 2 else 0.62 if n % 4 == 1 else 0.96
        rest = [(1 - chosen_p) * 0.55 ** (k + 1) for k in range(9)]
        alts = [(vocab.setdefault(" " + w, 1000 + len(vocab)), " " + w, p) for w, p in zip(words, rest, strict=False)]
        raw = sorted([(token_id, piece, chosen_p), *alts], key=lambda a: -a[2])[:10]
        total = sum(p ** 1.4 for _, _, p in raw[:6])
        sampled = tuple((i, t, p ** 1.4 / total) for i, t, p in raw[:6])
        lp = next((math.log(p) for i, _, p in sampled if i == token_id), -math.inf)
        rank = [i for i, _, _ in raw].index(token_id)
        return TokenInfo(token_id, piece, lp, sampled, math.log(chosen_p), tuple(raw), rank, rank, 6, len(piece))

    def continue_from_tokens(self, turns: Sequence[ChatTurn], decoding: DecodingSettings, system_prompt: str,
                             reply_ids: Sequence[int], *, on_text: Callable[[str], None], cancel: threading.Event,
                             on_token: Callable[[TokenInfo], None] | None = None) -> GenerationStats:
        """The scripted reply, after the text of ``reply_ids`` (ids it handed out earlier)."""
        texts = {i: t for t, i in self.__dict__.get("vocab", {}).items()}
        on_text("".join(texts.get(i, "?") for i in reply_ids))
        self.requests.append((list(turns), False))
        return self.chat(turns, decoding, system_prompt, on_text=on_text, cancel=cancel, on_token=on_token)

    def complete_raw(self, text: str, decoding: DecodingSettings, *, on_text: Callable[[str], None],
                     cancel: threading.Event, on_token: Callable[[TokenInfo], None] | None = None) -> GenerationStats:
        """Raw completion: the scripted reply, as a continuation of ``text``."""
        self.raw_texts = [*self.__dict__.get("raw_texts", []), text]
        return self.chat([ChatTurn("user", text)], decoding, "", on_text=on_text, cancel=cancel, on_token=on_token)

    # -- device interface --------------------------------------------------------------------------------------
    def list_devices(self) -> list[DeviceInfo]:
        return list(self.devices)
