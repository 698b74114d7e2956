"""Typed settings: every field's default, limits and one-line help are declared once, here.

The settings panel builds its widgets, ranges and tooltips from these declarations, the command line checks its
flags against them, and the file on disk is validated with them.

The file is JSON under ``platformdirs.user_config_path("llmdesk")``, carries a ``schema_version``, is migrated
forward when older, and is written atomically. A corrupt or unreadable file is moved aside (never overwritten)
and the defaults are used; the caller is told through :attr:`LoadResult.warnings`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmdesk import DEFAULT_MODEL
from llmdesk.core import paths, resources
from llmdesk.core.atomic import atomic_write_text, move_aside

SCHEMA_VERSION = 3

DEVICE_AUTO = "auto"
DTYPES = ("auto", "float32", "bfloat16", "float16", "int8", "int4")
#: For people choosing a precision: what each costs in quality and what it saves in memory and time (CPU figures
#: measured on Phi-3-mini's shape; see README "Performance").
PRECISION_NOTES = {
    "auto": "bfloat16 where the device runs it well, float16 on older GPUs and MPS, float32 otherwise.",
    "float32": "4 bytes per weight: the reference quality; the most memory and the slowest decoding.",
    "bfloat16": "2 bytes per weight: half of float32's memory and about twice as fast, practically the same "
                "replies.",
    "float16": "2 bytes per weight like bfloat16; for GPUs without bfloat16. Can overflow on some models.",
    "int8": "Weight-only int8 (CPU, CUDA): near-lossless (one scale per output row); about half of bfloat16's "
            "memory; decodes about 2x faster on the CPU, reads long prompts more slowly.",
    "int4": "Weight-only int4 (CPU, CUDA): a small, measured loss (groups of 128 weights share a scale; see "
            "`llmdesk bench --quality`); about a third of bfloat16's memory; decodes about 4x faster on the CPU, "
            "reads long prompts more slowly.",
}


class SettingsError(ValueError):
    """A setting has a wrong type or is out of range. ``field`` names it; the message gives the allowed range."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def _spec(default: Any, *, help: str, label: str, minimum: float | None = None, maximum: float | None = None,
          choices: tuple[str, ...] | None = None, step: float | None = None, decimals: int | None = None,
          nullable: bool = False, factory: Callable[[], Any] | None = None) -> Any:
    meta = {"help": help, "label": label, "min": minimum, "max": maximum, "choices": choices, "step": step,
            "decimals": decimals, "nullable": nullable}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DecodingSettings:
    """How the next token is chosen. Changes apply to the next reply without reloading the model."""

    do_sample: bool = _spec(False, label="Sampling", help=(
        "Off: greedy, always the single most likely token (deterministic). "
        "On: draw each token at random from the filtered distribution below."))
    temperature: float = _spec(0.7, label="Temperature", minimum=0.01, maximum=5.0, step=0.05, decimals=2, help=(
        "Divides the logits before sampling: below 1 sharpens the distribution (safer, more repetitive), "
        "above 1 flattens it (more varied, more mistakes)."))
    top_p: float = _spec(1.0, label="Top-p", minimum=0.01, maximum=1.0, step=0.05, decimals=2, help=(
        "Nucleus sampling: keep the smallest set of tokens whose probabilities add up to p. 1 keeps all."))
    top_k: int = _spec(50, label="Top-k", minimum=0, maximum=1000, step=1, help=(
        "Keep only the k most likely tokens before sampling. 0 turns the filter off."))
    min_p: float = _spec(0.0, label="Min-p", minimum=0.0, maximum=1.0, step=0.01, decimals=2, help=(
        "Drop tokens whose probability is below min_p times the top token's. Scales with the model's "
        "confidence; 0 turns it off, 0.05-0.1 is typical."))
    repetition_penalty: float = _spec(1.0, label="Repetition penalty", minimum=1.0, maximum=2.0, step=0.05,
                                      decimals=2, help=(
        "Above 1 makes tokens already in the text less likely, which curbs loops; too high garbles the text. "
        "Applies to greedy decoding too."))
    max_new_tokens: int = _spec(500, label="Max new tokens", minimum=1, maximum=32768, step=1, help=(
        "The reply stops after this many tokens (stop reason: length). Counts against the context window."))
    seed: int | None = _spec(None, label="Seed", minimum=0, maximum=2**32 - 1, nullable=True, help=(
        "With sampling on, the same seed, prompt and settings give the same reply. Empty: a new random reply "
        "each time."))
    stop_sequences: list[str] = _spec(None, label="Stop sequences", factory=list, help=(
        "The reply ends as soon as one of these strings appears; the string itself is not shown."))


@dataclass
class ModelSettings:
    """Which model to load, where, and at what precision. Changes apply only through an explicit (re)load."""

    model: str = _spec(DEFAULT_MODEL, label="Model", help=(
        "A Hugging Face Hub id (org/name) or a local folder with config.json, tokenizer and weights."))
    device: str = _spec(DEVICE_AUTO, label="Device", help=(
        "auto picks CUDA, then Apple MPS, then the CPU. 'balanced' spreads the model over all GPUs and the CPU "
        "through accelerate."))
    dtype: str = _spec("auto", label="Precision", choices=DTYPES, help=(
        "Weight precision. auto: bfloat16 where the device runs it well, float16 on older GPUs and MPS, "
        "float32 otherwise. Half precision halves memory. "
        "int8 and int4 (CPU and CUDA) store the weights in 8 or 4 bits and compute in bfloat16 (see each "
        "choice's tooltip for its cost and saving). The first int8/int4 load quantizes the model; the result is "
        "kept in the cache folder so later loads are quick."))
    compile_decode: bool = _spec(False, label="Compile decoding (CUDA)", help=(
        "CUDA only: a static KV cache and torch.compile of the decode step. The first reply waits for the "
        "compilation (a minute or more); later tokens come faster. Ignored with a note on other devices."))
    trust_remote_code: bool = _spec(False, label="Trust remote code", help=(
        "Run Python code shipped with the model. Off by default; Phi-3 does not need it."))
    skip_memory_check: bool = _spec(False, label="Load even if it may not fit", help=(
        "Load even when the estimate says the weights do not fit in the device's free memory."))
    kv_cache_budget_mb: int = _spec(2048, label="Memory for kept KV caches (MB)", minimum=0, maximum=1048576,
                                    step=256, help=(
        "The KV caches of the most recent conversations are kept (on the model's device) so that the next turn, "
        "or going back to a conversation, does not re-read the whole chat. Phi-3-mini's cache costs 0.39 MB per "
        "token in bfloat16 (1.6 GB for a full 4k context). 0 keeps none. Applies at the next load."))


#: "system" follows the system's language; "en" is the source language; every other code is a shipped translation
#: (``resources/translations/llmdesk_<code>.qm``), so adding a translation file adds its choice here.
LANGUAGES = ("system", "en", *resources.translation_languages())


@dataclass
class AppearanceSettings:
    """How the interface looks and speaks. Changes apply at the next start."""

    language: str = _spec("system", label="Language", choices=LANGUAGES, help=(
        "The language of menus, buttons and messages. system: the system's language when a translation "
        "exists, else English. Dates and numbers follow it. Applies at the next start."))


@dataclass
class Settings:
    """All user settings, stored in ``settings.json``."""

    model: ModelSettings = field(default_factory=ModelSettings)
    decoding: DecodingSettings = field(default_factory=DecodingSettings)
    appearance: AppearanceSettings = field(default_factory=AppearanceSettings)
    system_prompt: str = _spec("", label="System prompt", help=(
        "Instructions sent before the conversation in every prompt. Kept when old turns are dropped to fit. Empty "
        "by default: the prompt is the conversation alone, as in the model's reference pipeline."))
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def copy(self) -> Settings:
        return settings_from_dict(self.to_dict())


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------

def field_spec(cls: type, name: str) -> Mapping[str, Any]:
    """The declared label, help, limits and choices of one field."""
    return {f.name: f for f in dataclasses.fields(cls)}[name].metadata


def _range_text(meta: Mapping[str, Any]) -> str:
    lo, hi = meta.get("min"), meta.get("max")
    return f"from {lo} to {hi}"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlevel = 2


def _short(value: Any) -> str:
    """A repr short enough for a message, whatever the value (long text, deep nesting)."""
    return _REPR.repr(value)


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _require_encodable(full: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SettingsError(full, f"holds a character that is not valid Unicode text at position {exc.start}") \
            from None


def validate_value(cls: type, name: str, value: Any, *, prefix: str = "") -> Any:
    """Check one field's value against its declared type and limits; return it (ints widened to float).

    Raises:
        SettingsError: naming the field and the allowed range or choices.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise SettingsError(prefix + name, "unknown setting")
    f = fields[name]
    meta = f.metadata
    full = prefix + name
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if value is None:
        if meta.get("nullable"):
            return None
        raise SettingsError(full, "a value is required")
    if kind == "bool":
        if not isinstance(value, bool):
            raise SettingsError(full, f"must be true or false, not {_short(value)}")
        return value
    if kind.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(full, f"must be a whole number {_range_text(meta)}, not {_short(value)}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            raise SettingsError(full, f"must be a number {_range_text(meta)}, not {_short(value)}")
        value = float(value)
    elif kind == "str":
        if not isinstance(value, str):
            raise SettingsError(full, f"must be text, not {_short(value)}")
        _require_encodable(full, value)
        if meta.get("choices") and value not in meta["choices"]:
            raise SettingsError(full, f"must be one of {', '.join(meta['choices'])}, not {_short(value)}")
        return value
    elif kind.startswith("list"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(full, f"must be a list of strings, not {_short(value)}")
        if any(v == "" for v in value):
            raise SettingsError(full, "a stop sequence cannot be empty")
        for v in value:
            _require_encodable(full, v)
        return list(value)
    lo, hi = meta.get("min"), meta.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise SettingsError(full, f"must be {_range_text(meta)}, not {_short(value)}")
    return value


def _build(cls: type, data: Mapping[str, Any], prefix: str, warnings: list[str] | None) -> Any:
    """Build a dataclass from a mapping. With ``warnings`` given, bad fields fall back to their default
    and are reported there; without it the first bad field raises."""
    if not isinstance(data, Mapping):
        raise SettingsError(prefix.rstrip(".") or "settings", f"must be an object, not {_short(data)}")
    obj = cls()
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in names:
            shown = key if len(key) <= 60 else _short(key)
            if warnings is None:
                raise SettingsError(prefix + shown, "unknown setting")
            if cls is Settings and key in {f.name for f in dataclasses.fields(DecodingSettings)}:
                warnings.append(f"{shown}: a decoding setting outside a valid decoding section, ignored")
            else:
                warnings.append(f"{prefix}{shown}: unknown setting, ignored")
            continue
        current = getattr(obj, key)
        try:
            if dataclasses.is_dataclass(current):
                setattr(obj, key, _build(type(current), value, f"{prefix}{key}.", warnings))
            elif key == "schema_version":
                continue
            else:
                setattr(obj, key, validate_value(cls, key, value, prefix=prefix))
        except SettingsError as exc:
            if warnings is None:
                raise
            warnings.append(f"{exc} (using the default)")
    return obj


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    """Strictly build settings: the first bad or unknown field raises :class:`SettingsError`."""
    return _build(Settings, migrate(dict(data)), "", None)


def replace_decoding(settings: DecodingSettings, **changes: Any) -> DecodingSettings:
    """A copy of ``settings`` with ``changes`` validated; raises :class:`SettingsError` on a bad one."""
    values = dataclasses.asdict(settings)
    for key, value in changes.items():
        values[key] = validate_value(DecodingSettings, key, value, prefix="decoding.")
    return DecodingSettings(**values)


# --------------------------------------------------------------------------------------------------------------
# Migration and storage
# --------------------------------------------------------------------------------------------------------------

def _migrate_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept decoding keys at the top level and called the dtype "precision". A section that is there but
    # not an object (e.g. ``"decoding": null``) is left as it is, for validation to report; the keys that would
    # have moved into it stay at the top level and are reported as unknown.
    decoding = data.setdefault("decoding", {})
    if isinstance(decoding, dict):
        for key in [f.name for f in dataclasses.fields(DecodingSettings)]:
            if key in data:
                decoding[key] = data.pop(key)
    model = data.setdefault("model", {})
    if isinstance(model, str):
        data["model"] = model = {"model": model}
    if "precision" in data and isinstance(model, dict):
        model["dtype"] = data.pop("precision")
    data["schema_version"] = 2
    return data


OLD_DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."


def _migrate_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    # The default system prompt became empty (the model's reference pipeline sends the user message alone). Files
    # were written with every field, so the old default is in them even for users who never chose it.
    if data.get("system_prompt") == OLD_DEFAULT_SYSTEM_PROMPT:
        data["system_prompt"] = ""
    data["schema_version"] = 3
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings mapping from its ``schema_version`` up to :data:`SCHEMA_VERSION`."""
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError("schema_version", f"must be a whole number from 1 to {SCHEMA_VERSION}, not {_short(version)}")
    if version > SCHEMA_VERSION:
        raise SettingsError("schema_version", f"file is from a newer llmdesk (version {version}, this one reads "
                                              f"up to {SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data


@dataclass
class LoadResult:
    """What :func:`load_settings` found: the settings, and what the user should be told about the file."""

    settings: Settings
    warnings: list[str] = field(default_factory=list)
    moved_aside: Path | None = None


MAX_SETTINGS_BYTES = 1 << 20  # a settings file is a few hundred bytes; anything past 1 MiB is not one


def _read_document(path: Path) -> dict[str, Any]:
    """The file's JSON object, migrated to this schema. Raises ValueError (or another exception for the caller's
    net) naming what is wrong."""
    if not path.is_file():  # a folder, a FIFO (reading one would block the start for ever), a device...
        raise ValueError("it is not a regular file")
    with open(path, "rb") as fh:
        raw = fh.read(MAX_SETTINGS_BYTES + 1)
    if len(raw) > MAX_SETTINGS_BYTES:
        raise ValueError(f"the file is larger than {MAX_SETTINGS_BYTES // 1024} KiB, far too large for settings")
    text = raw.decode("utf-8")
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError(f"the file does not hold a JSON object (it holds {type(data).__name__})")
    return migrate(data)


def load_settings(path: Path | None = None) -> LoadResult:
    """Read the settings file. Never raises, whatever the file holds.

    A missing file gives the defaults. A file that is not entirely valid settings - not UTF-8 text, not JSON,
    nested too deeply, larger than :data:`MAX_SETTINGS_BYTES`, not an object, from a newer schema, or with any
    null, wrongly typed, out-of-range or unknown value at any depth - is moved aside (renamed
    ``settings.json.corrupt-<time>``, never deleted). The valid values in it are kept, every other one takes its
    default, the result is written back as a fresh ``settings.json`` (so the next start is clean) and each problem
    is described in ``warnings``, which the window shows in its banner and the command line prints.
    """
    path = path or paths.settings_path()
    try:
        if not path.exists():
            return LoadResult(Settings())
    except (OSError, ValueError) as exc:
        return LoadResult(Settings(), [f"The settings file {path} cannot be checked ({exc}); using the defaults "
                                       "for this session."])
    problems: list[str] = []
    settings = Settings()
    reason: str | None = None
    try:
        data = _read_document(path)
        settings = _build(Settings, data, "", problems)
    except SettingsError as exc:
        reason = str(exc)
    except UnicodeDecodeError as exc:
        reason = f"it is not UTF-8 text (byte {exc.start})"
    except Exception as exc:  # noqa: BLE001 - whatever the content, start with the defaults and say why
        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
        settings = Settings()
    if reason is None and not problems:
        return LoadResult(settings)
    if reason is not None:
        settings = Settings()
    try:
        aside = move_aside(path)
    except OSError as move_exc:
        what = f"cannot be read ({reason})" if reason else "holds values that are not valid"
        return LoadResult(settings, [f"The settings file {path} {what} and could not be moved aside ({move_exc}); "
                                     "using the defaults for this session.", *problems])
    try:
        save_settings(settings, path)
    except OSError as exc:
        problems.append(f"(a fresh settings file could not be written: {exc})")
    if reason is not None:
        head = (f"The settings file {path} could not be read ({reason}). It was moved to {aside.name} and the "
                "defaults are in use.")
    else:
        head = (f"Some settings in {path} were not valid; those use their defaults, the others were kept. The "
                f"original file was moved to {aside.name}:")
    return LoadResult(settings, [head, *problems], moved_aside=aside)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (temp file + rename). Raises :class:`llmdesk.core.atomic.WriteError`."""
    path = path or paths.settings_path()
    data = settings.to_dict()
    data["schema_version"] = SCHEMA_VERSION
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
