"""Checks shared by the import readers: times, broken characters, reply statistics, tool-call turns as text.

Every problem is reported as :class:`ImportFormatError` naming the line and field, or, where a value can be
repaired without losing anything the user would miss, repaired and described in a note for the user.

No Qt, no torch.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ImportFormatError(ValueError):
    """The file cannot be imported; ``str()`` names the file, the line or field that is wrong, and why.

    Attributes:
        line: the 1-based line the problem is on, when known.
        where: the field, e.g. ``conversations[0].messages[3].role``, when known.
        reason: what is wrong.
    """

    def __init__(self, reason: str, *, line: int | None = None, where: str | None = None,
                 source: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.where = where
        self.source = source
        parts = [p for p in (source, f"line {line}" if line is not None else None, where) if p]
        super().__init__(": ".join(parts + [reason]))


def place(line: int | None, where: str | None) -> str:
    """``line 3, messages[1].content`` (the parts that are known)."""
    return ", ".join(p for p in (f"line {line}" if line is not None else None, where) if p) or "the file"


@dataclass
class Notes:
    """What an import repaired or left out, for the user; similar notes are counted, with the first places named."""

    kinds: dict[str, list[str]] = field(default_factory=dict)
    SHOWN = 3

    def add(self, kind: str, where: str) -> None:
        self.kinds.setdefault(kind, []).append(where)

    def lines(self) -> list[str]:
        out = []
        for kind, places in self.kinds.items():
            shown = "; ".join(places[: self.SHOWN]) + (f"; and {len(places) - self.SHOWN} more"
                                                       if len(places) > self.SHOWN else "")
            out.append(f"{kind} ({len(places)}×: {shown})")
        return out


# -- times ----------------------------------------------------------------------------------------------------------

EARLIEST = 946_684_800.0  # 2000-01-01: no chat with a language model is older
FUTURE_SLACK_S = 2 * 86400.0  # clocks that run a little ahead


def _describe_time(seconds: float) -> str:
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.3g} s after 1970"


def check_optional_time(value: Any, *, line: int | None, where: str, notes: Notes | None,
                        now: Callable[[], float] = time.time) -> float | None:
    """:func:`check_time` for a time that may be missing (None or null gives None)."""
    if value is None:
        return None
    return check_time(value, line=line, where=where, notes=notes, now=now)


def check_time(value: Any, *, line: int | None, where: str, notes: Notes | None,
               now: Callable[[], float] = time.time) -> float:
    """A time in Unix seconds, checked: milliseconds, microseconds and nanoseconds since 1970 are recognised by their
    size (the one unit that gives a date between 2000 and now) and converted, with a note; anything else outside
    2000..now (negative, the far future, not finite) is refused.

    Raises:
        ImportFormatError: naming ``where``: not a number, not finite, or not a plausible time in any unit.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ImportFormatError(f"must be a number (Unix seconds), found {json_type(value)}", line=line, where=where)
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ImportFormatError(f"must be a finite number of Unix seconds, found {value!r}", line=line, where=where)
    latest = now() + FUTURE_SLACK_S
    if EARLIEST <= seconds <= latest:
        return seconds
    for scale, unit in ((1e3, "milliseconds"), (1e6, "microseconds"), (1e9, "nanoseconds")):
        if EARLIEST <= seconds / scale <= latest:
            if notes is not None:
                notes.add(f"times given in {unit} were recognised and converted", place(line, where))
            return seconds / scale
    raise ImportFormatError(f"{value!r} is not a possible time: as seconds it is {_describe_time(seconds)}, and as "
                            "milliseconds, microseconds or nanoseconds it is not between 2000 and now either",
                            line=line, where=where)


# -- broken characters ----------------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")
REPLACEMENT = "\ufffd"


def may_hold_surrogates(text: str) -> bool:
    """Whether JSON text can decode to a lone surrogate (an escape such as ``\\ud83d``, or one in the text itself)."""
    return _SURROGATE_ESCAPE.search(text) is not None or _SURROGATE.search(text) is not None


def replace_surrogates(obj: Any, *, line: int | None, where: str, notes: Notes) -> Any:
    """``obj`` (decoded JSON) with every lone UTF-16 surrogate (half of an emoji pair, which no UTF-8 file or
    database can hold) replaced by U+FFFD, each place noted. Pairs were already joined by the JSON decoder."""
    if isinstance(obj, str):
        found = _SURROGATE.search(obj)
        if found is None:
            return obj
        notes.add("a broken character (half of a UTF-16 surrogate pair, such as half an emoji) was replaced "
                  f"with {REPLACEMENT}", place(line, where or None) + f" (\\u{ord(found.group(0)):04x})")
        return _SURROGATE.sub(REPLACEMENT, obj)
    if isinstance(obj, list):
        return [replace_surrogates(v, line=line, where=f"{where}[{k}]", notes=notes) for k, v in enumerate(obj)]
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            name = replace_surrogates(key, line=line, where=f"{where} (a field name)", notes=notes)
            out[name] = replace_surrogates(value, line=line, where=f"{where}.{name}" if where else name, notes=notes)
        return out
    return obj


# -- reply statistics -----------------------------------------------------------------------------------------------

# stat -> (whole number?, largest believable value)
_STAT_LIMITS: dict[str, tuple[bool, float]] = {
    "prompt_tokens": (True, 1e9), "new_tokens": (True, 1e9), "dropped_messages": (True, 1e9),
    "ttft_s": (False, 1e7), "total_s": (False, 1e7), "tokens_per_s": (False, 1e6),
}


def clean_stats(meta: dict[str, Any], *, line: int | None, where: str, notes: Notes) -> dict[str, Any]:
    """``meta`` with impossible reply statistics (``meta.stats``: not a number, negative, not finite, beyond any
    machine) set to null, each noted by its field. The statistics are shown beside a reply; the reply itself is
    kept whole."""
    stats = meta.get("stats")
    if not isinstance(stats, dict):
        return meta
    cleaned = dict(stats)
    for name, (whole, limit) in _STAT_LIMITS.items():
        value = stats.get(name)
        if value is None:
            continue
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
              and 0 <= value <= limit and (not whole or float(value).is_integer()))
        if not ok:
            notes.add("impossible reply statistics were left out", f"{place(line, where)}.stats.{name} = {value!r}")
            cleaned[name] = None
    return {**meta, "stats": cleaned}


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# -- tool calls as text ---------------------------------------------------------------------------------------------

def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def tool_call_text(name: str, arguments: Any) -> str:
    """A tool call as readable Markdown: the tool's name and its arguments (pretty JSON when they are JSON)."""
    if isinstance(arguments, str):
        try:
            args_text = json.dumps(json.loads(arguments), ensure_ascii=False, indent=2)
            info = "json"
        except ValueError:
            args_text, info = arguments, ""
    else:
        args_text, info = json.dumps(arguments, ensure_ascii=False, indent=2), "json"
    return f"Tool call `{name}`:\n{_fence(args_text, info)}"


def tool_result_text(name: str | None, content: str) -> str:
    """A tool's result as readable Markdown."""
    label = f"Tool result (`{name}`)" if name else "Tool result"
    return f"{label}:\n{_fence(content)}"
