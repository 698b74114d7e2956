"""Whatever ``settings.json`` holds, loading it never raises: anything that is not valid settings is moved aside
(byte for byte), the valid values are kept, the rest take their defaults, and the user is told.

Property-based (Hypothesis generates JSON documents, settings-shaped ones and raw bytes), plus the extreme kinds
by hand: the shared case file, deep nesting, a huge file, binary junk, lone surrogates.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from llmdesk.core.settings import (
    MAX_SETTINGS_BYTES,
    SCHEMA_VERSION,
    DecodingSettings,
    ModelSettings,
    Settings,
    SettingsError,
    load_settings,
    settings_from_dict,
)

CASE = Path(__file__).resolve().parents[2].parent / "shared" / "cases" / "09-settings-v1-null-decoding.json"

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)


def _section(cls: type) -> st.SearchStrategy[dict]:
    """A mapping with some of ``cls``'s real keys (so the validator is reached), each with a value that is
    sometimes the default, sometimes a near miss and sometimes any JSON value."""
    defaults = dataclasses.asdict(cls())
    per_key = {}
    for name, default in defaults.items():
        near = [default, None, str(default), [default], {"v": default}]
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            near += [default * 100, -1, 0, 0.5, 2**40]
        per_key[name] = st.one_of(st.sampled_from(near), json_values)
    return st.fixed_dictionaries({}, optional=per_key)


documents = st.one_of(
    json_values,
    st.builds(lambda model, decoding, extra, version, prompt: {
        **extra, "model": model, "decoding": decoding, "schema_version": version, "system_prompt": prompt},
        st.one_of(_section(ModelSettings), json_values, st.text(max_size=10)),
        st.one_of(_section(DecodingSettings), json_values),
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
        st.one_of(st.sampled_from([1, 2, SCHEMA_VERSION, 0, 99, True, "2", None]), json_values),
        st.one_of(st.text(max_size=30), json_values)),
    # version-1 shape: decoding keys at the top level, "precision", model as a string
    st.builds(lambda top, precision, model: {**top, "precision": precision, "model": model},
              _section(DecodingSettings), st.one_of(st.sampled_from(["float16", "int4"]), json_values),
              st.one_of(st.text(max_size=10), json_values)),
)


def _check(raw: bytes, is_valid: bool | None = None) -> None:
    """Write ``raw`` as the settings file, load it, and check the promise."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_bytes(raw)
        result = load_settings(path)  # never raises
        # Whatever was loaded is valid settings through and through.
        assert settings_from_dict(result.settings.to_dict()) == result.settings
        if result.warnings:
            assert result.moved_aside is not None, result.warnings
            assert result.moved_aside.read_bytes() == raw  # nothing lost
            assert result.moved_aside.name in result.warnings[0]
            again = load_settings(path)  # the fresh file is clean and holds what was kept
            assert again.warnings == [] and again.settings == result.settings
        else:
            assert result.moved_aside is None and path.read_bytes() == raw  # a valid file is left alone
        if is_valid is not None:
            assert (not result.warnings) == is_valid


def _strictly_valid(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    try:
        settings_from_dict(json.loads(json.dumps(doc)))
    except (SettingsError, ValueError, TypeError, AttributeError, KeyError):
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_json_document_loads_without_raising(doc):
    raw = json.dumps(doc).encode("utf-8")
    _check(raw, is_valid=_strictly_valid(doc))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_load_without_raising(raw):
    _check(raw)


@settings(max_examples=100, deadline=None)
@given(_section(DecodingSettings), _section(ModelSettings))
def test_valid_values_survive_next_to_bad_ones(decoding, model):
    doc = {"schema_version": SCHEMA_VERSION, "decoding": {**decoding, "temperature": None},
           "model": model, "system_prompt": "kept"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_text(json.dumps(doc))
        result = load_settings(path)
        assert result.settings.system_prompt == "kept"
        assert result.settings.decoding.temperature == DecodingSettings().temperature
        assert any("decoding.temperature" in w for w in result.warnings)


def test_shared_case_version_1_with_null_decoding(tmp_path):
    raw = CASE.read_bytes() if CASE.exists() else b'{"temperature": 0.5, "decoding": null}'
    path = tmp_path / "settings.json"
    path.write_bytes(raw)
    result = load_settings(path)
    assert result.settings == Settings()
    assert result.moved_aside is not None and result.moved_aside.read_bytes() == raw
    text = "\n".join(result.warnings)
    assert "decoding: must be an object, not None" in text and result.moved_aside.name in text
    assert "temperature: a decoding setting outside a valid decoding section, ignored" in text
    assert load_settings(path).warnings == []


def test_deep_nesting_huge_file_binary_and_surrogates(tmp_path):
    path = tmp_path / "settings.json"
    cases = {
        "deep array": b"[" * 200_000 + b"]" * 200_000,
        "deep value": b'{"system_prompt": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "huge": b'{"system_prompt": "' + b"x" * (MAX_SETTINGS_BYTES + 10) + b'"}',
        "binary": bytes(range(256)) * 4,
        "utf-16": json.dumps({"system_prompt": "hi"}).encode("utf-16"),
        "lone surrogate": b'{"system_prompt": "\\ud800"}',
        "huge int": b'{"decoding": {"temperature": 1' + b"0" * 400 + b"}}",
        "long digits": b'{"decoding": {"top_k": ' + b"9" * 5000 + b"}}",
        "nan": b'{"decoding": {"temperature": NaN}}',
        "bool version": b'{"schema_version": true}',
        "long key": b'{"' + b"k" * 100_000 + b'": 1}',
    }
    for name, raw in cases.items():
        path.write_bytes(raw)
        result = load_settings(path)
        assert result.moved_aside is not None, name
        assert result.moved_aside.read_bytes() == raw, name
        assert all(len(w) < 500 for w in result.warnings), (name, [len(w) for w in result.warnings])
        assert load_settings(path).warnings == [], name
        result.moved_aside.unlink()


def test_a_fifo_in_place_of_the_file_does_not_block_the_start(tmp_path):
    import os

    path = tmp_path / "settings.json"
    os.mkfifo(path)
    result = load_settings(path)  # opening a FIFO for reading would wait for a writer for ever
    assert result.settings == Settings() and "not a regular file" in result.warnings[0]
    assert result.moved_aside is not None and load_settings(path).warnings == []


def test_unreadable_path_gives_defaults(tmp_path):
    folder = tmp_path / "settings.json"
    folder.mkdir()  # a folder where the file should be
    result = load_settings(folder)
    assert result.settings == Settings() and result.warnings
