"""The settings panel: controls built from the declared fields, validation in place, model fields."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QPlainTextEdit, QSpinBox

from llmdesk.core.settings import DecodingSettings, Settings, field_spec
from llmdesk.engine.types import ModelInfo
from llmdesk.gui.settings_panel import SettingsPanel


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
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            assert editor.minimum() == meta["min"] and editor.maximum() == meta["max"], f.name
            assert editor.singleStep() == meta["step"], f.name
            if isinstance(editor, QDoubleSpinBox):
                assert editor.decimals() == meta["decimals"]
    assert isinstance(panel.editors["do_sample"], QCheckBox)
    assert isinstance(panel.editors["seed"], QLineEdit)
    assert isinstance(panel.editors["stop_sequences"], QPlainTextEdit)


def test_out_of_range_numbers_cannot_be_entered(qtbot):
    panel = make_panel(qtbot)
    temperature = panel.editors["temperature"]
    temperature.setValue(99.0)
    assert temperature.value() == field_spec(DecodingSettings, "temperature")["max"]
    top_k = panel.editors["top_k"]
    top_k.setValue(-5)
    assert top_k.value() == 0
    assert panel.decoding.top_k == 0


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
