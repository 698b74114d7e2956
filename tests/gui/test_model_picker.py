"""The model picker: recent and cached models, Hub ids and folders, device and precision, availability and the
memory estimate (never computed on the GUI thread), and the load request."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from llmdesk.core.settings import ModelSettings
from llmdesk.engine import download as dl
from llmdesk.engine.types import DeviceInfo
from llmdesk.gui.models.model_picker import MODEL_ROLE, ModelPicker
from tests.support.hub_stub import REPO, HubStub, serve_tiny_model


@pytest.fixture
def hub(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    yield from serve_tiny_model(monkeypatch, tiny_model_dir)


@pytest.fixture
def make_picker(qtbot):
    made: list[ModelPicker] = []

    def make(**kwargs) -> ModelPicker:
        picker = ModelPicker(**kwargs)
        qtbot.addWidget(picker)
        picker.resize(620, 560)
        picker.show()
        made.append(picker)
        return picker

    yield make
    for picker in made:
        assert picker.shutdown(10_000)


def _models(picker: ModelPicker) -> list[str]:
    items = [picker.model_list.item(i) for i in range(picker.model_list.count())]
    return [i.data(MODEL_ROLE) for i in items if i.data(MODEL_ROLE)]


def test_lists_recent_and_cached_models(qtbot, make_picker, hub: HubStub) -> None:
    dl.download_model(REPO)  # now in the (per-test) Hugging Face cache
    picker = make_picker(settings=ModelSettings(model=""), recent=["a/recent-one"])
    qtbot.waitUntil(lambda: REPO in _models(picker), timeout=10_000)
    assert _models(picker) == ["a/recent-one", REPO]
    headers = [picker.model_list.item(i) for i in range(picker.model_list.count())
               if not picker.model_list.item(i).data(MODEL_ROLE)]
    assert [h.text() for h in headers] == ["Recent", "In the Hugging Face cache"]
    assert all(not h.flags() & Qt.ItemFlag.ItemIsSelectable for h in headers)  # section titles

    cached_item = next(picker.model_list.item(i) for i in range(picker.model_list.count())
                       if picker.model_list.item(i).data(MODEL_ROLE) == REPO)
    picker.model_list.itemClicked.emit(cached_item)
    assert picker.model_edit.text() == REPO
    qtbot.waitUntil(picker.load_button.isEnabled, timeout=10_000)
    assert picker.panel.state == "ready"


def test_empty_list_says_what_to_do(qtbot, make_picker) -> None:
    picker = make_picker(settings=ModelSettings(model=""), recent=[])
    assert picker.model_list.count() == 1
    assert "type a Hub id" in picker.model_list.item(0).text()


def test_local_folder_loads_with_chosen_device_and_dtype(qtbot, make_picker, tiny_model_dir: Path) -> None:
    picker = make_picker(settings=ModelSettings(model="", trust_remote_code=True), recent=[],
                         devices=[DeviceInfo("cpu", "CPU", 16 * 2**30), DeviceInfo("cuda:0", "Test GPU", 8 * 2**30)])
    assert [picker.device_combo.itemData(i) for i in range(picker.device_combo.count())] == ["auto", "cpu", "cuda:0"]
    picker.model_edit.setText(str(tiny_model_dir))
    assert not picker.load_button.isEnabled()
    qtbot.waitUntil(picker.load_button.isEnabled, timeout=10_000)
    picker.device_combo.setCurrentIndex(picker.device_combo.findData("cpu"))
    picker.dtype_combo.setCurrentIndex(picker.dtype_combo.findData("float32"))
    with qtbot.waitSignal(picker.load_requested, timeout=5_000) as sig:
        picker.load_button.click()
    settings = sig.args[0]
    assert settings == ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32", trust_remote_code=True)
    assert dl.load_recent_models() == [str(tiny_model_dir)]
    assert _models(picker)[0] == str(tiny_model_dir)


def test_estimator_runs_off_the_gui_thread_and_is_shown(qtbot, make_picker, tiny_model_dir: Path) -> None:
    threads: list[threading.Thread] = []

    def estimator(settings: ModelSettings) -> SimpleNamespace:
        threads.append(threading.current_thread())
        fits = settings.dtype != "float32"
        return SimpleNamespace(message=f"Needs about 1.0 GiB in {settings.dtype}", fits=fits)

    picker = make_picker(settings=ModelSettings(model=str(tiny_model_dir), dtype="bfloat16"), recent=[],
                         estimator=estimator)
    qtbot.waitUntil(lambda: "bfloat16" in picker.estimate_label.text(), timeout=10_000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    picker.dtype_combo.setCurrentIndex(picker.dtype_combo.findData("float32"))
    qtbot.waitUntil(lambda: "float32" in picker.estimate_label.text(), timeout=10_000)
    assert picker.estimate_label.property("role") == "error"


def test_without_estimator_the_window_is_asked(qtbot, make_picker, tiny_model_dir: Path) -> None:
    picker = make_picker(settings=ModelSettings(model=""), recent=[])
    with qtbot.waitSignal(picker.estimate_requested, timeout=10_000) as sig:
        picker.model_edit.setText(str(tiny_model_dir))
    assert sig.args[0].model == str(tiny_model_dir)
    picker.set_estimate("Needs about 0.1 GiB on cpu", True)
    assert picker.estimate_label.text() == "Needs about 0.1 GiB on cpu"


def test_model_to_download_shows_its_size_and_cannot_be_loaded_yet(qtbot, make_picker, hub: HubStub) -> None:
    picker = make_picker(settings=ModelSettings(model=REPO), recent=[])
    qtbot.waitUntil(lambda: picker.panel.state == "needs_download", timeout=10_000)
    size = dl.format_bytes(picker.panel.availability.missing_bytes)
    assert size in picker.estimate_label.text()
    assert not picker.load_button.isEnabled()
    with qtbot.waitSignal(picker.panel.model_ready, timeout=30_000):
        picker.panel.download_button.click()
    assert picker.load_button.isEnabled()
    assert "Download size" not in picker.estimate_label.text()
    qtbot.waitUntil(lambda: REPO in _models(picker), timeout=10_000)  # now listed with the cached models


def test_offline_model_shows_the_message(qtbot, make_picker) -> None:
    picker = make_picker(settings=ModelSettings(model="some-org/not-cached"), recent=[])
    qtbot.waitUntil(lambda: picker.panel.state == "offline", timeout=10_000)
    assert "HF_HUB_OFFLINE" in picker.panel.message_label.text()
    assert not picker.load_button.isEnabled()


def test_dialog_returns_the_chosen_settings(qtbot, tiny_model_dir: Path) -> None:
    from llmdesk.gui.models.model_picker import ModelPickerDialog

    dialog = ModelPickerDialog(ModelSettings(model=str(tiny_model_dir)))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(dialog.picker.load_button.isEnabled, timeout=10_000)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        dialog.picker.load_button.click()
    assert dialog.chosen is not None and dialog.chosen.model == str(tiny_model_dir)
    assert not dialog.picker.service.running  # closing the dialog stopped its threads


def test_dialog_cancel_stops_its_threads(qtbot) -> None:
    from llmdesk.gui.models.model_picker import ModelPickerDialog

    dialog = ModelPickerDialog(ModelSettings(model="some-org/not-cached"))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.picker.panel.state == "offline", timeout=10_000)
    dialog.reject()
    assert dialog.chosen is None and not dialog.picker.service.running


def test_real_memory_estimate_for_a_local_model(qtbot, make_picker, tiny_model_dir: Path) -> None:
    from llmdesk.engine.devices import estimate_memory

    picker = make_picker(settings=ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"),
                         recent=[], estimator=estimate_memory)
    qtbot.waitUntil(lambda: "Needs about" in picker.estimate_label.text(), timeout=20_000)
    assert "cpu" in picker.estimate_label.text() and "float32" in picker.estimate_label.text()
