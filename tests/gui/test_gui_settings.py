"""The settings panel: controls built from the declared fields, validation in place, model fields."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit

from llmdesk.core.settings import DecodingSettings, Settings, field_spec
from llmdesk.engine.types import ModelInfo
from llmdesk.gui.settings_panel import NumberEdit, SettingsPanel


def make_panel(qtbot, settings: Settings | None = None) -> SettingsPanel:
    panel = SettingsPanel(settings or Settings())
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_every_decoding_field_has_a_control_with_declared_limits_and_help(qtbot):
    panel = make_panel(qtbot)
    for f in dataclasses.fields(DecodingSettings):
        meta = field_spec(DecodingSettings, f.name)
        editor = panel.editors[f.name]
        assert editor.toolTip().startswith(meta["help"]), f.name
        assert editor.accessibleName() == meta["label"]
        if isinstance(editor, NumberEdit):
            assert editor.minimum() == meta["min"] and editor.maximum() == meta["max"], f.name
            assert editor.singleStep() == meta["step"], f.name
            assert editor.decimals() == meta["decimals"], f.name
            assert editor.value() == getattr(DecodingSettings(), f.name), f.name
    assert isinstance(panel.editors["do_sample"], QCheckBox)
    assert isinstance(panel.editors["seed"], QLineEdit)
    assert isinstance(panel.editors["stop_sequences"], QPlainTextEdit)


def _type(qtbot, editor, text: str) -> None:
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_out_of_range_numbers_are_shown_as_errors_never_rewritten(qtbot):
    panel = make_panel(qtbot)
    panel.editors["do_sample"].setChecked(True)
    changes: list = []
    panel.decoding_changed.connect(changes.append)
    for name, typed in (("top_p", "9.5"), ("temperature", "9.5"), ("top_k", "-5"), ("max_new_tokens", "0"),
                        ("repetition_penalty", "0.5"), ("min_p", "1.5")):
        meta = field_spec(DecodingSettings, name)
        editor = panel.editors[name]
        _type(qtbot, editor, typed)
        assert editor.text() == typed, name  # what was typed stays
        error = panel.errors[name]
        assert error.isVisible(), name
        assert f"decoding.{name}: must be" in error.text() and f"from {meta['min']} to {meta['max']}" in error.text()
        assert getattr(panel.decoding, name) == getattr(DecodingSettings(), name), name  # not applied
        assert meta["label"] in dict(panel.invalid_fields()), name
    assert changes == []
    _type(qtbot, panel.editors["top_p"], "0.9")
    assert panel.decoding.top_p == 0.9 and not panel.errors["top_p"].isVisible()
    assert "Top-p" not in dict(panel.invalid_fields())
    panel.editors["temperature"].clear()
    _type(qtbot, panel.editors["temperature"], "abc")  # the validator keeps letters out
    assert panel.editors["temperature"].text() == ""
    assert "must be a number" in panel.errors["temperature"].text()


def test_arrow_keys_step_within_the_limits(qtbot):
    panel = make_panel(qtbot)
    panel.editors["do_sample"].setChecked(True)
    top_k = panel.editors["top_k"]
    top_k.setFocus()
    qtbot.keyClick(top_k, Qt.Key.Key_Up)
    assert top_k.text() == "51" and panel.decoding.top_k == 51
    top_k.setValue(1000)
    qtbot.keyClick(top_k, Qt.Key.Key_Up)
    assert top_k.text() == "1000"
    temperature = panel.editors["temperature"]
    temperature.setFocus()
    qtbot.keyClick(temperature, Qt.Key.Key_Down)
    assert temperature.text() == "0.65" and panel.decoding.temperature == 0.65


def test_seed_refuses_letters_and_out_of_range_with_reason(qtbot):
    panel = make_panel(qtbot)
    seeds: list = []
    panel.decoding_changed.connect(lambda d: seeds.append(d.seed))
    panel.editors["do_sample"].setChecked(True)  # the seed only matters (and is only editable) when sampling
    seeds.clear()
    seed = panel.editors["seed"]
    seed.setFocus()
    qtbot.keyClicks(seed, "abc")
    assert seed.text() == ""  # the validator refuses letters
    qtbot.keyClicks(seed, "9999999999")
    qtbot.keyClick(seed, Qt.Key.Key_Return)
    error = panel.errors["seed"]
    assert error.isVisible()
    assert "4294967295" in error.text() and "seed" in error.text()
    assert panel.decoding.seed is None and seeds == []  # refused: nothing changed
    assert seed.text() == "9999999999"
    assert dict(panel.invalid_fields())["Seed"].startswith("decoding.seed: must be")
    seed.setText("42")
    seed.editingFinished.emit()
    assert not error.isVisible()
    assert panel.decoding.seed == 42 and seeds == [42]
    seed.setText("")
    seed.editingFinished.emit()
    assert panel.decoding.seed is None


def test_stop_sequences_one_per_line_with_escapes(qtbot):
    panel = make_panel(qtbot)
    panel.editors["stop_sequences"].setPlainText("END\n\n\\n\\nUser:\n")
    assert panel.decoding.stop_sequences == ["END", "\n\nUser:"]


def test_sampling_only_fields_follow_the_sampling_switch(qtbot):
    panel = make_panel(qtbot)
    assert not panel.editors["temperature"].isEnabled()
    panel.editors["do_sample"].setChecked(True)
    assert panel.editors["temperature"].isEnabled() and panel.editors["seed"].isEnabled()
    assert panel.decoding.do_sample


def test_decoding_changes_are_emitted_valid(qtbot):
    panel = make_panel(qtbot)
    with qtbot.waitSignal(panel.decoding_changed) as blocker:
        panel.editors["repetition_penalty"].setValue(1.3)
    assert isinstance(blocker.args[0], DecodingSettings)
    assert blocker.args[0].repetition_penalty == 1.3


def test_system_prompt_change_is_emitted(qtbot):
    panel = make_panel(qtbot)
    with qtbot.waitSignal(panel.system_prompt_changed, timeout=3000) as blocker:
        panel.prompt_edit.setPlainText("Be brief.")
    assert blocker.args == ["Be brief."]


def test_model_field_validation_in_place(qtbot, tmp_path):
    panel = make_panel(qtbot)
    requested: list = []
    panel.load_requested.connect(requested.append)
    panel.model_edit.setText("")
    panel.load_button.click()
    assert requested == []
    assert panel.errors["model.model"].isVisible()
    assert "Hub id" in panel.errors["model.model"].text()
    panel.model_edit.setText(str(tmp_path / "missing"))
    panel.load_button.click()
    assert requested == [] and "No folder" in panel.errors["model.model"].text()
    (tmp_path / "empty").mkdir()
    panel.model_edit.setText(str(tmp_path / "empty"))
    panel.load_button.click()
    assert requested == [] and "config.json" in panel.errors["model.model"].text()
    (tmp_path / "empty" / "config.json").write_text("{}")
    panel.dtype_combo.setCurrentIndex(panel.dtype_combo.findData("bfloat16"))
    panel.load_button.click()
    assert len(requested) == 1
    assert requested[0].model == str(tmp_path / "empty") and requested[0].dtype == "bfloat16"
    assert not panel.errors["model.model"].isVisible()


def test_load_button_says_reload_for_the_loaded_model(qtbot):
    panel = make_panel(qtbot)
    assert panel.load_button.text() == "Load"
    settings = panel.model_settings()
    info = ModelInfo(settings.model, None, "cpu", "float32", "X", 1, 1, 1, 1, 0.1)
    panel.set_loaded(info, settings)
    assert panel.load_button.text() == "Reload"
    panel.set_loading(True)
    assert not panel.load_button.isEnabled() and panel.cancel_button.isVisible()
    panel.set_loading(False)
    assert panel.load_button.isEnabled() and not panel.cancel_button.isVisible()


def test_saved_device_kept_when_devices_arrive(qtbot):
    from llmdesk.engine.types import DeviceInfo

    settings = Settings()
    settings.model.device = "cuda:1"
    panel = make_panel(qtbot, settings)
    panel.set_devices([DeviceInfo("cpu", "CPU", 2**34, 2**33)])
    combo = panel.device_combo
    assert combo.currentData() == "cuda:1"
    assert "not found" in combo.currentText()
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "cpu", "cuda:1"]


def test_an_invalid_field_stops_the_send_naming_it(qtbot):
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from tests.gui.test_gui_chat import make_window, send_with_enter

    engine = ScriptedEngine()
    window = make_window(qtbot, engine)
    panel = window.settings_panel
    panel.editors["do_sample"].setChecked(True)
    seed = panel.editors["seed"]
    seed.setText("9999999999")  # typed, editing not finished yet: the send checks it anyway
    send_with_enter(qtbot, window, "Hello")
    assert "chat" not in engine.calls and not window.controller.busy
    assert window.banner.isVisible() and "Seed" in window.banner.label.text()
    assert "decoding.seed: must be" in window.banner.label.text()
    assert window.composer.editor.toPlainText() == "Hello"  # kept, to send once fixed
    assert seed.hasFocus()
    seed.setText("42")
    panel.editors["temperature"].setText("9.5")
    send_with_enter(qtbot, window, "Hello")
    assert "chat" not in engine.calls and "Temperature" in window.banner.label.text()
    panel.editors["temperature"].setText("0.9")
    with qtbot.waitSignal(window.controller.reply_finished, timeout=5000) as finished:
        send_with_enter(qtbot, window, "Hello")
    assert finished.args[0].meta["seed"] == 42 and finished.args[0].meta["decoding"]["temperature"] == 0.9


def test_labels_and_fields_of_the_model_and_decoding_groups_line_up(qtbot):
    from llmdesk.core.settings import Settings
    from llmdesk.gui.settings_panel import SettingsPanel

    panel = SettingsPanel(Settings())
    qtbot.addWidget(panel)
    panel.resize(340, 900)
    panel.show()
    qtbot.waitExposed(panel)
    fields = [panel.model_edit, panel.editors["temperature"], panel.editors["max_new_tokens"]]
    xs = {field.mapTo(panel, field.rect().topLeft()).x() for field in fields}
    assert len(xs) == 1, xs


def test_loaded_quantized_model_shows_its_measured_quality(qtbot):
    panel = make_panel(qtbot)
    panel.show()
    settings = dataclasses.replace(panel.model_settings(), dtype="int4")
    figures = {"mean_logprob_diff": -0.0412, "mean_abs_logprob_diff": 0.09, "top1_agreement": 0.953, "tokens": 201}
    panel.set_loaded(ModelInfo(settings.model, None, "cpu", "int4", "X", 1, 1, 1, 1, 0.1, quality=figures), settings)
    text = panel.quality_label.text()
    assert panel.quality_label.isVisible()
    assert "top-1 agreement 95.3%" in text and "-0.041 nats/token" in text and "201 tokens" in text
    panel.set_loaded(ModelInfo(settings.model, None, "cpu", "int4", "X", 1, 1, 1, 1, 0.1), settings)
    assert "not measured" in panel.quality_label.text() and "llmdesk bench --quality" in panel.quality_label.text()
    panel.set_loaded(ModelInfo(settings.model, None, "cpu", "bfloat16", "X", 1, 1, 1, 1, 0.1), settings)
    assert not panel.quality_label.isVisible()


def test_each_precision_choice_says_what_it_costs(qtbot):
    panel = make_panel(qtbot)
    combo = panel.dtype_combo
    tips = {combo.itemData(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())}
    assert "near-lossless" in tips["int8"] and "2x faster" in tips["int8"]
    assert "4x faster" in tips["int4"] and "third" in tips["int4"]
    assert all(tips.values())
