"""Typed settings: defaults, validation messages, atomic storage, migration, corrupt files moved aside."""

from __future__ import annotations

import json
import os

import pytest

from llmdesk.core import paths
from llmdesk.core.atomic import WriteError, atomic_write_text
from llmdesk.core.settings import (
    SCHEMA_VERSION,
    DecodingSettings,
    Settings,
    SettingsError,
    load_settings,
    replace_decoding,
    save_settings,
    settings_from_dict,
)


def test_defaults_follow_the_seed_example():
    s = Settings()
    assert s.model.model == "microsoft/Phi-3-mini-4k-instruct"
    assert s.decoding.do_sample is False
    assert s.decoding.max_new_tokens == 500
    assert s.model.device == "auto" and s.model.dtype == "auto"
    assert s.model.trust_remote_code is False


def test_settings_file_lives_under_xdg_config_home(tmp_path):
    assert paths.settings_path() == tmp_path / "home" / "config" / "llmdesk" / "settings.json"
    assert paths.database_path().parent == tmp_path / "home" / "data" / "llmdesk"


def test_round_trip_through_the_file():
    s = Settings()
    s.decoding = replace_decoding(s.decoding, do_sample=True, temperature=0.3, seed=7, stop_sequences=["###"])
    s.system_prompt = "Be brief."
    path = save_settings(s)
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    loaded = load_settings()
    assert loaded.warnings == []
    assert loaded.settings == s


@pytest.mark.parametrize("field,value,expected", [
    ("temperature", 7.0, "decoding.temperature: must be from 0.01 to 5.0, not 7.0"),
    ("temperature", "hot", "decoding.temperature: must be a number from 0.01 to 5.0, not 'hot'"),
    ("top_p", 0.0, "decoding.top_p: must be from 0.01 to 1.0"),
    ("top_k", -1, "decoding.top_k: must be from 0 to 1000"),
    ("top_k", 2.5, "decoding.top_k: must be a whole number from 0 to 1000"),
    ("min_p", 1.5, "decoding.min_p: must be from 0.0 to 1.0"),
    ("repetition_penalty", 0.5, "decoding.repetition_penalty: must be from 1.0 to 2.0"),
    ("max_new_tokens", 0, "decoding.max_new_tokens: must be from 1 to 32768"),
    ("seed", -3, "decoding.seed: must be from 0 to 4294967295"),
    ("do_sample", "yes", "decoding.do_sample: must be true or false"),
    ("stop_sequences", [""], "decoding.stop_sequences: a stop sequence cannot be empty"),
    ("stop_sequences", "###", "decoding.stop_sequences: must be a list of strings"),
    ("temperature", float("nan"), "decoding.temperature: must be a number"),
])
def test_invalid_values_name_the_field_and_the_range(field, value, expected):
    with pytest.raises(SettingsError) as err:
        replace_decoding(DecodingSettings(), **{field: value})
    assert expected in str(err.value)
    assert err.value.field == f"decoding.{field}"


def test_unknown_and_wrong_choice_rejected_strictly():
    with pytest.raises(SettingsError, match="decoding.tempurature: unknown setting"):
        settings_from_dict({"schema_version": SCHEMA_VERSION, "decoding": {"tempurature": 1.0}})
    with pytest.raises(SettingsError, match="model.dtype: must be one of auto, float32, bfloat16, float16, int8, "
                                            "int4, not 'int3'"):
        settings_from_dict({"schema_version": SCHEMA_VERSION, "model": {"dtype": "int3"}})


def test_seed_may_be_empty():
    assert replace_decoding(DecodingSettings(seed=5), seed=None).seed is None


def test_corrupt_file_is_moved_aside_never_overwritten():
    path = paths.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("{ this is not json")
    result = load_settings()
    assert result.settings == Settings()
    assert result.moved_aside is not None and result.moved_aside.read_text() == "{ this is not json"
    assert load_settings().warnings == []  # a fresh file with the defaults took its place
    assert "could not be read" in result.warnings[0] and result.moved_aside.name in result.warnings[0]
    save_settings(result.settings)  # the next save writes a fresh file; the damaged copy stays
    assert result.moved_aside.read_text() == "{ this is not json"


def test_non_object_and_newer_schema_are_moved_aside():
    path = paths.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2]")
    assert load_settings().moved_aside is not None
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 5}))
    result = load_settings()
    assert result.moved_aside is not None and "newer llmdesk" in result.warnings[0]


def test_bad_fields_fall_back_to_defaults_with_a_warning():
    path = paths.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION,
                                "decoding": {"temperature": 99, "top_k": 10, "bogus": 1},
                                "system_prompt": "Hi"}))
    result = load_settings()
    assert result.settings.decoding.temperature == DecodingSettings().temperature
    assert result.settings.decoding.top_k == 10
    assert result.settings.system_prompt == "Hi"
    text = "\n".join(result.warnings)
    assert "decoding.temperature: must be from 0.01 to 5.0, not 99" in text
    assert "decoding.bogus: unknown setting" in text
    assert result.moved_aside is not None and "bogus" in result.moved_aside.read_text()  # the original is kept
    assert load_settings().settings == result.settings  # the fresh file holds the valid values


def test_version_1_file_is_migrated():
    path = paths.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"temperature": 0.2, "do_sample": True, "model": "some/model",
                                "precision": "float16"}))
    result = load_settings()
    assert result.warnings == []
    assert result.settings.decoding.temperature == 0.2 and result.settings.decoding.do_sample
    assert result.settings.model.model == "some/model" and result.settings.model.dtype == "float16"


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "atomic" / "out.txt"
    atomic_write_text(target, "first")
    with pytest.raises(RuntimeError):
        from llmdesk.core.atomic import atomic_open

        with atomic_open(target) as fh:
            fh.write("half of the second")
            raise RuntimeError("disk full, say")
    assert target.read_text() == "first"
    assert os.listdir(target.parent) == ["out.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_names_the_path(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(WriteError, match="cannot write .*ro/x"):
        atomic_write_text(folder / "x", "data")


def test_missing_parent_that_is_a_file_gives_write_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError, match="cannot write"):
        atomic_write_text(tmp_path / "file" / "settings.json", "{}")


def test_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "disk" / "settings.json"
    atomic_write_text(target, "old")

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(WriteError, match="No space left on device"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(target.parent) == ["settings.json"]


def test_version_2_file_with_the_old_default_system_prompt_gets_the_new_empty_default():
    path = paths.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema_version": 2, "system_prompt": "You are a helpful assistant.",
                                "decoding": {"top_k": 7}}))
    result = load_settings()
    assert result.warnings == [] and result.settings.system_prompt == ""
    assert result.settings.decoding.top_k == 7
    path.write_text(json.dumps({"schema_version": 2, "system_prompt": "Be brief."}))
    assert load_settings().settings.system_prompt == "Be brief."  # a prompt of the user's own is kept
