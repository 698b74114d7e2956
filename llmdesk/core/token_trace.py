"""Per-token data of a reply (the token inspector's record) and its compact form in a message's meta.

A reply's trace is one :class:`TokenInfo` per generated token: the token, its log-probability and rank, and the top
alternatives under two distributions: the model's raw one (softmax of the logits) and the one sampling actually
drew from (after the repetition penalty, temperature, top-k, top-p and min-p). Plain data, no Qt, no torch.

Stored form (``meta["tokens"]``): ``{"v": 1, "n": N, "k": K, "data": BASE64}``, where the data is LZMA-compressed
binary columns (token ids as 3 bytes, log-probabilities in steps of 1/512 nat, ranks as 4 bytes, each column stored byte
plane by byte plane so the always-zero high bytes compress away) plus a table of each distinct id's text. A
sampled top list that repeats the raw list's ids (temperature and truncation keep the order) stores only its
log-probabilities; under greedy decoding without a repetition penalty it is not stored at all. A 1,000-token reply
with 10 alternatives takes tens of kB (see ``tests/core/test_token_trace.py`` for the measured size).
"""

from __future__ import annotations

import base64
import lzma
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TOP_ALTERNATIVES", "TokenInfo", "TraceError", "decode_trace", "encode_trace", "visible_piece"]

TOP_ALTERNATIVES = 10
TRACE_VERSION = 1

Alternative = tuple[int, str, float]  # (token id, text, probability)


@dataclass(frozen=True)
class TokenInfo:
    """One generated token for the token inspector.

    Attributes:
        token_id: the token's id in the model's vocabulary.
        text: the token on its own, decoded; a piece that is not whole UTF-8 on its own (a byte-fallback token) is
            given as the tokenizer spells it, e.g. ``<0xE6>``.
        logprob: natural-log probability under the distribution the token was drawn from (after the repetition
            penalty, temperature and the top-k/top-p/min-p filters; under greedy decoding only the penalty applies).
        top: the most likely tokens of that distribution, most likely first, as (id, text, probability); tokens the
            filters removed (probability 0) are left out.
        raw_logprob: natural-log probability under the model's raw distribution (softmax of the logits), or None
            when the engine does not report it (a remote engine that gives one distribution).
        raw_top: the raw distribution's most likely tokens, as (id, text, probability).
        rank: 0-based rank of the token in the sampled distribution (0: the most likely), or None if unknown.
        raw_rank: 0-based rank under the raw distribution, or None if unknown.
        candidates: how many tokens had a non-zero probability after the filters, or None if unknown.
        chars: how many characters of the reply's text this token completed (0 for a byte piece that completes a
            character only with the next token), or None if unknown; the reply's tokens' ``chars`` add up to the
            length of its text (before a stop sequence is cut off).
    """

    token_id: int
    text: str
    logprob: float
    top: tuple[Alternative, ...]
    raw_logprob: float | None = None
    raw_top: tuple[Alternative, ...] = ()
    rank: int | None = None
    raw_rank: int | None = None
    candidates: int | None = None
    chars: int | None = None

    @property
    def prob(self) -> float:
        """Probability under the sampled distribution (0-1)."""
        return math.exp(self.logprob) if not math.isnan(self.logprob) else math.nan

    @property
    def raw_prob(self) -> float | None:
        """Probability under the raw distribution (0-1), or None."""
        return math.exp(self.raw_logprob) if self.raw_logprob is not None else None


def visible_piece(text: str) -> str:
    """A token's text with what is invisible made visible: a space as "␣", a newline as "↵", a tab as "⇥", other
    control characters as their code (e.g. ``\\x1b``). Byte pieces (``<0xE6>``) are already visible."""
    out = []
    for ch in text:
        if ch == " ":
            out.append("␣")
        elif ch == "\n":
            out.append("↵")
        elif ch == "\t":
            out.append("⇥")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


class TraceError(ValueError):
    """A stored trace cannot be read: the message says what is wrong with it."""


# -- binary helpers --------------------------------------------------------------------------------------------

def _planes(values: Sequence[int], width: int) -> bytes:
    """Little-endian unsigned ints, stored byte plane by byte plane (all low bytes, then the next ones...)."""
    return b"".join(bytes((v >> (8 * p)) & 0xFF for v in values) for p in range(width))


def _unplanes(data: bytes, count: int, width: int) -> list[int]:
    if len(data) != count * width:
        raise TraceError(f"a column holds {len(data)} bytes, {count * width} expected")
    return [sum(data[p * count + i] << (8 * p) for p in range(width)) for i in range(count)]


_LP_SCALE = 512          # log-probabilities are kept in steps of 1/512 nat (probability within 0.1%)
_LP_INF = 0xFFFF         # -inf (a token the filters removed)
_LP_NAN = 0xFFFE         # unknown


def _halves(values: Sequence[float]) -> bytes:
    """Log-probabilities (<= 0) as unsigned 16-bit steps of 1/512 nat below 0, byte plane by byte plane."""
    out = []
    for v in values:
        if math.isnan(v):
            out.append(_LP_NAN)
        elif v == -math.inf:
            out.append(_LP_INF)
        else:
            out.append(min(_LP_NAN - 1, max(0, round(-v * _LP_SCALE))))
    return _planes(out, 2)


def _unhalves(data: bytes, count: int) -> list[float]:
    out = []
    for q in _unplanes(data, count, 2):
        out.append(math.nan if q == _LP_NAN else -math.inf if q == _LP_INF else -q / _LP_SCALE)
    return out


def _varints(values: Sequence[int]) -> bytes:
    out = bytearray()
    for v in values:
        while True:
            byte = v & 0x7F
            v >>= 7
            out.append(byte | (0x80 if v else 0))
            if not v:
                break
    return bytes(out)


def _read_texts(chunk: bytes) -> dict[int, str]:
    """The id -> text table: id gaps as varints, a NUL, then the texts joined by NULs."""
    gaps: list[int] = []
    pos = value = shift = 0
    while chunk[pos] != 0 or shift:
        byte = chunk[pos]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            gaps.append(value)
            value = shift = 0
        pos += 1
    words = chunk[pos + 1:].decode("utf-8", "surrogatepass").split("\0") if gaps else []
    if len(words) != len(gaps):
        raise ValueError(f"{len(gaps)} ids but {len(words)} texts")
    ids, last = [], -1
    for g in gaps:
        last += g
        ids.append(last)
    return dict(zip(ids, words, strict=True))


_NONE = 0xFFFFFFFF  # "unknown" in the rank and candidate columns


def _logprob(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def encode_trace(tokens: Sequence[TokenInfo], k: int = TOP_ALTERNATIVES) -> dict[str, Any]:
    """The compact, JSON-ready form of a reply's tokens (see the module docstring).

    Args:
        tokens: the reply's tokens, in order.
        k: alternatives kept per token and distribution (the first ``k`` of each list).

    Returns:
        ``{"v": 1, "n": len(tokens), "k": k, "data": str}``.
    """
    n = len(tokens)
    texts: dict[int, str] = {}
    ids: list[int] = []
    lps: list[float] = []
    raw_lps: list[float] = []
    ranks: list[int] = []
    raw_ranks: list[int] = []
    cands: list[int] = []
    chars: list[int] = []
    raw_counts: list[int] = []
    raw_ids: list[int] = []
    raw_top_lps: list[float] = []
    flags: list[int] = []  # 0: own ids follow; 1: same ids as the raw list's first m; 2: identical to the raw list
    top_counts: list[int] = []
    top_ids: list[int] = []
    top_lps: list[float] = []
    for t in tokens:
        texts.setdefault(t.token_id, t.text)
        ids.append(t.token_id)
        lps.append(t.logprob)
        raw_lps.append(math.nan if t.raw_logprob is None else t.raw_logprob)
        ranks.append(_NONE if t.rank is None else t.rank)
        raw_ranks.append(_NONE if t.raw_rank is None else t.raw_rank)
        cands.append(_NONE if t.candidates is None else t.candidates)
        chars.append(_NONE if t.chars is None else t.chars)
        raw = t.raw_top[:k]
        top = t.top[:k]
        raw_counts.append(len(raw))
        for i, text, p in raw:
            texts.setdefault(i, text)
            raw_ids.append(i)
            raw_top_lps.append(_logprob(p))
        for i, text, _p in top:
            texts.setdefault(i, text)
        same_ids = [a[0] for a in top] == [a[0] for a in raw[:len(top)]]
        if raw and top == raw and t.logprob == t.raw_logprob:
            flags.append(2)
        elif raw and same_ids:
            flags.append(1)
            top_counts.append(len(top))
            top_lps.extend(_logprob(p) for _, _, p in top)
        else:
            flags.append(0)
            top_counts.append(len(top))
            top_ids.extend(a[0] for a in top)
            top_lps.extend(_logprob(p) for _, _, p in top)
    order = sorted(texts)
    gaps = [b - a for a, b in zip([-1, *order], order, strict=False)]
    header = _varints(gaps) + b"\0" + "\0".join(texts[i].replace("\0", "") for i in order).encode("utf-8",
                                                                                                  "surrogatepass")
    columns = [
        _planes(ids, 3), _halves(lps), _halves(raw_lps), _planes(ranks, 4), _planes(raw_ranks, 4),
        _planes(cands, 4), bytes(raw_counts), _planes(raw_ids, 3), _halves(raw_top_lps), bytes(flags),
        bytes(top_counts), _planes(top_ids, 3), _halves(top_lps), _planes(chars, 4),
    ]
    body = struct.pack("<I", len(header)) + header + b"".join(struct.pack("<I", len(c)) + c for c in columns)
    data = base64.b64encode(lzma.compress(body, preset=1)).decode("ascii")
    return {"v": TRACE_VERSION, "n": n, "k": k, "data": data}


def decode_trace(stored: Any) -> list[TokenInfo]:
    """The tokens of a stored trace (the inverse of :func:`encode_trace`, log-probabilities to 1/512 nat).

    Raises:
        TraceError: the value is not a trace this version reads, or it is damaged.
    """
    if not isinstance(stored, dict) or stored.get("v") != TRACE_VERSION:
        raise TraceError(f"not a version-{TRACE_VERSION} token trace")
    n = stored.get("n")
    if not isinstance(n, int) or n < 0:
        raise TraceError("the token count is missing or negative")
    try:
        body = lzma.decompress(base64.b64decode(stored["data"], validate=True))
    except (KeyError, TypeError, ValueError, lzma.LZMAError) as exc:
        raise TraceError(f"the token data cannot be read: {exc}") from exc
    chunks: list[bytes] = []
    pos = 0
    try:
        while pos < len(body):
            (size,) = struct.unpack_from("<I", body, pos)
            chunks.append(body[pos + 4:pos + 4 + size])
            pos += 4 + size
        texts = _read_texts(chunks[0])
        (c_ids, c_lps, c_raw_lps, c_ranks, c_raw_ranks, c_cands, c_raw_counts, c_raw_ids, c_raw_top_lps,
         c_flags, c_top_counts, c_top_ids, c_top_lps, c_chars) = chunks[1:]
    except (struct.error, ValueError, KeyError, IndexError) as exc:
        raise TraceError(f"the token data is damaged: {exc}") from exc
    ids = _unplanes(c_ids, n, 3)
    lps = _unhalves(c_lps, n)
    raw_lps = _unhalves(c_raw_lps, n)
    ranks = _unplanes(c_ranks, n, 4)
    raw_ranks = _unplanes(c_raw_ranks, n, 4)
    cands = _unplanes(c_cands, n, 4)
    chars = _unplanes(c_chars, n, 4)
    raw_counts = list(c_raw_counts)
    raw_ids = _unplanes(c_raw_ids, sum(raw_counts), 3)
    raw_top_lps = _unhalves(c_raw_top_lps, sum(raw_counts))
    flags = list(c_flags)
    top_counts = list(c_top_counts)
    own = sum(c for c, f in zip(top_counts, (f for f in flags if f != 2), strict=True) if f == 0)
    top_ids = _unplanes(c_top_ids, own, 3)
    top_lps = _unhalves(c_top_lps, sum(top_counts))
    if len(flags) != n or len(raw_counts) != n:
        raise TraceError("the token data is damaged: column lengths disagree")

    def alt(i: int, lp: float) -> Alternative:
        return (i, texts.get(i, ""), math.exp(lp))

    out: list[TokenInfo] = []
    r = c = o = l = 0
    for j in range(n):
        raw = tuple(alt(raw_ids[r + x], raw_top_lps[r + x]) for x in range(raw_counts[j]))
        r += raw_counts[j]
        raw_lp = None if math.isnan(raw_lps[j]) else raw_lps[j]
        if flags[j] == 2:
            top, lp = raw, raw_lp if raw_lp is not None else lps[j]
        else:
            m = top_counts[c]
            c += 1
            if flags[j] == 1:
                top = tuple(alt(raw[x][0], top_lps[l + x]) for x in range(m))
            else:
                top = tuple(alt(top_ids[o + x], top_lps[l + x]) for x in range(m))
                o += m
            l += m
            lp = lps[j]
        out.append(TokenInfo(
            token_id=ids[j], text=texts.get(ids[j], ""), logprob=lp, top=top, raw_logprob=raw_lp, raw_top=raw,
            rank=None if ranks[j] == _NONE else ranks[j], raw_rank=None if raw_ranks[j] == _NONE else raw_ranks[j],
            candidates=None if cands[j] == _NONE else cands[j], chars=None if chars[j] == _NONE else chars[j]))
    return out


def trace_tokens(meta: dict[str, Any]) -> list[TokenInfo] | None:
    """The tokens saved in a message's meta, or None when it has none (or they cannot be read)."""
    stored = meta.get("tokens") if isinstance(meta, dict) else None
    if stored is None:
        return None
    try:
        return decode_trace(stored)
    except TraceError:
        return None


def forced_token(at: TokenInfo, token_id: int) -> TokenInfo:
    """The token ``token_id`` put in place of ``at`` ("continue from here with this token"): its text and
    probabilities are read from ``at``'s alternatives (unknown ones are NaN), ``chars`` unknown."""
    texts = {i: s for i, s, _ in (*at.raw_top, *at.top)}
    texts.setdefault(at.token_id, at.text)

    def find(alts: tuple[Alternative, ...]) -> tuple[float, int | None]:
        for rank, (i, _s, p) in enumerate(alts):
            if i == token_id:
                return _logprob(p), rank
        return math.nan, None

    lp, rank = find(at.top)
    raw_lp: float | None
    raw_lp, raw_rank = find(at.raw_top)
    if token_id == at.token_id:
        lp, rank, raw_lp, raw_rank = at.logprob, at.rank, at.raw_logprob, at.raw_rank
    return TokenInfo(token_id, texts.get(token_id, ""), lp, at.top, None if raw_lp is None or
                     (math.isnan(raw_lp) and not at.raw_top) else raw_lp, at.raw_top, rank, raw_rank, at.candidates)


def token_json(tokens: Iterable[TokenInfo], *, sampled: bool = False, k: int = TOP_ALTERNATIVES) -> list[dict]:
    """Per-token dicts for JSON output: ``{"id", "text", "logprob", "top": [{"id", "text", "logprob"}]}`` under the
    raw distribution, or with ``sampled`` the one sampling drew from (also the fallback when no raw one is known)."""
    out = []
    for t in tokens:
        use_raw = not sampled and t.raw_logprob is not None
        lp = t.raw_logprob if use_raw else t.logprob
        top = t.raw_top if use_raw else t.top
        rank = t.raw_rank if use_raw else t.rank
        item: dict[str, Any] = {"id": t.token_id, "text": t.text, "logprob": _json_float(lp)}
        if rank is not None:
            item["rank"] = rank
        item["top"] = [{"id": i, "text": s, "logprob": _json_float(_logprob(p))} for i, s, p in top[:k]]
        out.append(item)
    return out


def _json_float(x: float | None) -> float | None:
    if x is None or math.isnan(x):
        return None
    if math.isinf(x):
        return -1e9 if x < 0 else 1e9
    return round(x, 6)
