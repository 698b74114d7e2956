"""The settings panel: decoding settings (applied to the next reply), the system prompt, and the model choice
(applied only by an explicit Load/Reload).

Every decoding control is built from the field declarations in :mod:`llmdesk.core.settings` (label, min/max,
step, decimals, help as tooltip). Number fields are :class:`NumberEdit` line edits: what the user types is never
rewritten (a spin box would clamp 9.5 to the maximum or reinterpret it); every field is checked with the same
validation as the settings file, and a bad value is refused with the field's name and the allowed range shown
under it. While a field holds a refused value, :meth:`SettingsPanel.invalid_fields` names it and the window does
not send (it never falls back silently to the previous value or a random seed).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtCore import QRegularExpression
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from llmdesk.gui.engine_text import translate_engine_text
from llmdesk.gui.i18n import SYSTEM, available_languages, format_bytes, language_name, setting_text
from llmdesk.core.settings import (AppearanceSettings, DEVICE_AUTO, PRECISION_NOTES, DecodingSettings, ModelSettings, Settings,
                                   SettingsError, field_spec, replace_decoding, validate_value)
from llmdesk.engine.types import DeviceInfo, ModelInfo

SAMPLING_ONLY = ("temperature", "top_p", "top_k", "min_p", "seed")
ERROR_STYLE = "color: #d1242f;"


def _field_type(cls: type, name: str) -> str:
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))


def _decode_escapes(line: str) -> str:
    return line.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\t", "\t").replace("\x00", "\\")


def _encode_escapes(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


class _ErrorLabel(QLabel):
    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setStyleSheet(ERROR_STYLE)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()

    def show_error(self, text: str | None) -> None:
        self.setText(text or "")
        self.setVisible(bool(text))


class NumberEdit(QLineEdit):
    """A number field that never rewrites what was typed: out-of-range or malformed text stays as it is and the
    panel shows the error. Up/Down (and the mouse wheel over the focused field) step by ``step`` within the limits.

    Args:
        minimum, maximum: the declared limits (for stepping; the panel validates typed values).
        step: the Up/Down step.
        decimals: digits after the point when a value is set from code or by stepping; None for whole numbers.

    Signals:
        commit(): the user finished editing (Enter, focus out) or stepped: the panel reads :meth:`text`.
    """

    commit = Signal()

    def __init__(self, minimum: float, maximum: float, step: float, decimals: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._step, self._decimals = minimum, maximum, step, decimals
        pattern = r"[-+]?\d*" if decimals is None else r"[-+]?\d*[.,]?\d*([eE][-+]?\d*)?"
        self.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self))
        self.editingFinished.connect(self.commit)

    def minimum(self) -> float:
        return self._minimum

    def maximum(self) -> float:
        return self._maximum

    def singleStep(self) -> float:  # noqa: N802 - the spin-box name
        return self._step

    def decimals(self) -> int | None:
        return self._decimals

    def value(self) -> float | int | None:
        """The number typed, or None when the text is not a number (out-of-range numbers are returned as they
        are)."""
        text = self.text().strip().replace(",", ".")
        try:
            if self._decimals is None:
                return int(text)
            number = float(text)
        except ValueError:
            return None
        return number

    def format(self, value: float) -> str:
        """``value`` as shown: ``decimals`` digits after the point, or every digit it needs when it has more (a
        value from the settings file is shown as it is, never rounded)."""
        if self._decimals is None:
            return str(int(value))
        text = f"{value:.{self._decimals}f}"
        return text if float(text) == value else repr(float(value))

    def setValue(self, value: float) -> None:  # noqa: N802 - the spin-box name
        """Show ``value`` (formatted) and commit it, as a spin box's setValue would."""
        self.setText(self.format(value))
        self.commit.emit()

    def step_by(self, steps: int) -> None:
        current = self.value()
        if current is None:
            current = self._minimum
        target = min(self._maximum, max(self._minimum, current + steps * self._step))
        if self._decimals is not None:
            target = round(target, self._decimals)
        self.setValue(target)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.step_by(1 if key == Qt.Key.Key_Up else -1)
            event.accept()
            return
        if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.step_by(10 if key == Qt.Key.Key_PageUp else -10)
            event.accept()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if not self.hasFocus():  # scrolling the panel must not change a field under the pointer
            event.ignore()
            return
        delta = event.angleDelta().y()
        if delta:
            self.step_by(1 if delta > 0 else -1)
        event.accept()


def align_form_labels(root: QWidget) -> int:
    """Line up the labels and fields of every form under ``root`` (the model and decoding groups): labels
    right-aligned in one column of the same width, fields starting at the same x. Returns that width (px)."""
    forms = [w.layout() for w in [root, *root.findChildren(QWidget)] if isinstance(w.layout(), QFormLayout)]
    labels: list[QWidget] = []
    for form in forms:
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and item.widget() is not None:
                labels.append(item.widget())
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)
    return width


class SettingsPanel(QWidget):
    """Controls for decoding, system prompt and model.

    Args:
        settings: the settings to show (copied).

    Signals:
        decoding_changed(object): new DecodingSettings (valid), to use from the next reply on.
        system_prompt_changed(str): the new system prompt.
        load_requested(object): the user pressed Load/Reload; the ModelSettings to load.
        cancel_load_requested(): the user pressed Cancel while a model loads.
        model_edited(object): the model fields changed (valid ModelSettings), e.g. to ask for a memory estimate.
    """

    decoding_changed = Signal(object)
    system_prompt_changed = Signal(str)
    language_changed = Signal(str)
    load_requested = Signal(object)
    cancel_load_requested = Signal()
    model_edited = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._decoding = dataclasses.replace(settings.decoding)
        self._model = dataclasses.replace(settings.model)
        self._loaded: ModelInfo | None = None
        self._loading = False
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, _ErrorLabel] = {}
        self._invalid: dict[str, str] = {}  # decoding field -> why its shown text was refused

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setAccessibleName(self.tr("Settings"))
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self._build_model_group())
        column.addWidget(self._build_decoding_group())
        column.addWidget(self._build_prompt_group(settings.system_prompt))
        column.addWidget(self._build_interface_group(settings.appearance))
        column.addStretch(1)
        column.setSpacing(12)
        align_form_labels(body)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._prompt_timer = QTimer(self)
        self._prompt_timer.setSingleShot(True)
        self._prompt_timer.setInterval(400)
        self._prompt_timer.timeout.connect(self._emit_prompt)
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(500)
        self._estimate_timer.timeout.connect(self._emit_model_edited)
        self._update_sampling_enabled()
        self._update_load_button()

    # -- building ---------------------------------------------------------------------------------------------
    def _build_decoding_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Decoding (applies to the next reply)"))
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in dataclasses.fields(DecodingSettings):
            meta = f.metadata
            kind = _field_type(DecodingSettings, f.name)
            value = getattr(self._decoding, f.name)
            editor: QWidget
            if kind == "bool":
                editor = QCheckBox()
                editor.setChecked(bool(value))
                editor.toggled.connect(lambda checked, n=f.name: self._set_decoding(n, checked))
            elif kind == "float":
                editor = NumberEdit(float(meta["min"]), float(meta["max"]), float(meta.get("step") or 0.1),
                                    int(meta.get("decimals") or 2))
                editor.setText(editor.format(float(value)))
                editor.commit.connect(lambda n=f.name: self._commit_number(n))
            elif kind.startswith("int") and not meta.get("nullable"):
                editor = NumberEdit(int(meta["min"]), int(meta["max"]), int(meta.get("step") or 1), None)
                editor.setText(editor.format(int(value)))
                editor.commit.connect(lambda n=f.name: self._commit_number(n))
            elif kind.startswith("int"):
                editor = QLineEdit("" if value is None else str(value))
                editor.setPlaceholderText(self.tr("random"))
                editor.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,10}"), editor))
                editor.editingFinished.connect(lambda n=f.name: self._commit_nullable_int(n))
            elif kind.startswith("list"):
                editor = QPlainTextEdit("\n".join(_encode_escapes(v) for v in value))
                editor.setPlaceholderText(self.tr("one per line (\\n for a line break)"))
                editor.setTabChangesFocus(True)
                editor.setMaximumHeight(editor.fontMetrics().lineSpacing() * 5)
                editor.textChanged.connect(lambda n=f.name: self._commit_list(n))
            else:  # pragma: no cover - a new field type needs a control here
                raise TypeError(f"no control for decoding.{f.name} of type {kind}")
            self._add_row(form, f.name, meta, editor)
        return group

    def _add_row(self, form: QFormLayout, name: str, meta: Any, editor: QWidget) -> None:
        label = QLabel(f"&{setting_text(meta['label'])}:")
        label.setBuddy(editor)
        tip = setting_text(str(meta.get("help", "")))
        if meta.get("min") is not None and meta.get("max") is not None:
            tip += " " + self.tr("(from {low} to {high})").format(low=meta["min"], high=meta["max"])
        label.setToolTip(tip)
        editor.setToolTip(tip)
        editor.setAccessibleName(setting_text(str(meta["label"])))
        editor.setAccessibleDescription(tip)
        editor.setObjectName(f"setting_{name}")
        self._add_cell(form, label, editor, editor, name)

    def _add_cell(self, form: QFormLayout, label: QLabel, content: QWidget, editor: QWidget, key: str) -> None:
        """Add ``content`` with an error line under it as one form row; register ``editor`` under ``key``."""
        error = _ErrorLabel()
        cell = QWidget()
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.setSpacing(1)
        cell_layout.addWidget(content)
        cell_layout.addWidget(error)
        form.addRow(label, cell)
        self.editors[key] = editor
        self.errors[key] = error

    def _build_interface_group(self, appearance: AppearanceSettings) -> QGroupBox:
        """The interface language: the system's, or one of the shipped translations (applies at the next start)."""
        group = QGroupBox(self.tr("Interface"))
        form = QFormLayout(group)
        meta = field_spec(AppearanceSettings, "language")
        self.language_combo = QComboBox()
        for code in (SYSTEM, *available_languages()):
            self.language_combo.addItem(language_name(code), code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(appearance.language)))
        self._language_at_start = appearance.language
        label = QLabel(f"{setting_text(meta['label'])}:")
        label.setBuddy(self.language_combo)
        tip = setting_text(meta["help"])
        label.setToolTip(tip)
        self.language_combo.setToolTip(tip)
        self.language_combo.setAccessibleName(setting_text(meta["label"]))
        self.language_combo.setObjectName("setting_appearance_language")
        self.language_note = QLabel(self.tr("The new language is used from the next start."))
        self.language_note.setWordWrap(True)
        self.language_note.hide()
        self.language_combo.currentIndexChanged.connect(self._language_chosen)
        form.addRow(label, self.language_combo)
        form.addRow(self.language_note)
        return group

    def _language_chosen(self, _index: int) -> None:
        code = str(self.language_combo.currentData())
        self.language_note.setVisible(code != self._language_at_start)
        self.language_changed.emit(code)

    def _build_prompt_group(self, prompt: str) -> QGroupBox:
        group = QGroupBox(self.tr("System prompt"))
        layout = QVBoxLayout(group)
        self.prompt_edit = QPlainTextEdit(prompt)
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.setPlaceholderText(self.tr("None: the conversation alone is sent, as in the model's reference "
                                            "pipeline."))
        self.prompt_edit.setMaximumHeight(self.prompt_edit.fontMetrics().lineSpacing() * 6)
        tip = setting_text(str(field_spec(Settings, "system_prompt")["help"]))
        self.prompt_edit.setToolTip(tip)
        self.prompt_edit.setAccessibleName(self.tr("System prompt"))
        self.prompt_edit.textChanged.connect(self._prompt_timer_start)
        layout.addWidget(self.prompt_edit)
        return group

    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model"))
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.model_edit = QLineEdit(self._model.model)
        self.model_edit.setCursorPosition(0)  # a long id shows its start (the org), not its end
        self.model_edit.setPlaceholderText(self.tr("org/name or a local folder"))
        self.browse_button = QPushButton(self.tr("Browse…"))
        self.browse_button.setToolTip(self.tr("Pick a local model folder (with config.json, tokenizer and weights)"))
        self.browse_button.clicked.connect(self._browse)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.model_edit, 1)
        row_layout.addWidget(self.browse_button)
        self.model_edit.textEdited.connect(self._model_fields_edited)
        self._add_model_row(form, "model", row, self.model_edit)

        self.device_combo = QComboBox()
        self.device_combo.addItem(self.tr("Auto"), DEVICE_AUTO)
        if self._model.device != DEVICE_AUTO:
            self.device_combo.addItem(self._model.device, self._model.device)
            self.device_combo.setCurrentIndex(1)
        self.device_combo.currentIndexChanged.connect(self._model_fields_edited)
        self._add_model_row(form, "device", self.device_combo, self.device_combo)

        self.dtype_combo = QComboBox()
        for choice in field_spec(ModelSettings, "dtype")["choices"]:
            self.dtype_combo.addItem(choice, choice)
            self.dtype_combo.setItemData(self.dtype_combo.count() - 1, setting_text(PRECISION_NOTES.get(choice, "")),
                                         Qt.ItemDataRole.ToolTipRole)
        self.dtype_combo.setCurrentIndex(max(0, self.dtype_combo.findData(self._model.dtype)))
        self.dtype_combo.currentIndexChanged.connect(self._model_fields_edited)
        self._add_model_row(form, "dtype", self.dtype_combo, self.dtype_combo)

        self.trust_check = QCheckBox(setting_text(field_spec(ModelSettings, "trust_remote_code")["label"]))
        self.trust_check.setChecked(self._model.trust_remote_code)
        self.trust_check.setToolTip(setting_text(field_spec(ModelSettings, "trust_remote_code")["help"]))
        self.trust_check.toggled.connect(self._model_fields_edited)
        self.skip_check = QCheckBox(setting_text(field_spec(ModelSettings, "skip_memory_check")["label"]))
        self.skip_check.setChecked(self._model.skip_memory_check)
        self.skip_check.setToolTip(setting_text(field_spec(ModelSettings, "skip_memory_check")["help"]))
        self.skip_check.toggled.connect(self._model_fields_edited)
        self.compile_check = QCheckBox(setting_text(field_spec(ModelSettings, "compile_decode")["label"]))
        self.compile_check.setChecked(self._model.compile_decode)
        self.compile_check.setToolTip(setting_text(field_spec(ModelSettings, "compile_decode")["help"]))
        self.compile_check.toggled.connect(self._model_fields_edited)
        form.addRow(self.trust_check)
        form.addRow(self.skip_check)
        form.addRow(self.compile_check)

        self.estimate_label = QLabel("")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextFormat(Qt.TextFormat.PlainText)
        self.estimate_label.setObjectName("memoryEstimate")
        self.estimate_label.hide()
        form.addRow(self.estimate_label)
        self.quality_label = QLabel("")  # the loaded int8/int4 model's measured quality
        self.quality_label.setObjectName("precisionQuality")
        self.quality_label.setWordWrap(True)
        self.quality_label.setTextFormat(Qt.TextFormat.PlainText)
        self.quality_label.hide()
        form.addRow(self.quality_label)
        self.pending_label = QLabel("")
        self.pending_label.setWordWrap(True)
        self.pending_label.hide()
        form.addRow(self.pending_label)

        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.setObjectName("loadButton")
        self.load_button.clicked.connect(self._request_load)
        self.cancel_button = QPushButton(self.tr("Cancel loading"))
        self.cancel_button.clicked.connect(self.cancel_load_requested)
        self.cancel_button.hide()
        buttons = QWidget()
        buttons_layout = QHBoxLayout(buttons)
        buttons_layout.setContentsMargins(0, 0, 0, 0)
        buttons_layout.addWidget(self.load_button)
        buttons_layout.addWidget(self.cancel_button)
        buttons_layout.addStretch(1)
        form.addRow(buttons)
        return group

    def _add_model_row(self, form: QFormLayout, name: str, row: QWidget, editor: QWidget) -> None:
        meta = field_spec(ModelSettings, name)
        label = QLabel(f"{setting_text(meta['label'])}:")
        label.setBuddy(editor)
        label.setToolTip(setting_text(meta["help"]))
        editor.setToolTip(setting_text(meta["help"]))
        editor.setAccessibleName(setting_text(meta["label"]))
        editor.setObjectName(f"setting_model_{name}")
        self._add_cell(form, label, row, editor, f"model.{name}")

    # -- values -----------------------------------------------------------------------------------------------
    @property
    def decoding(self) -> DecodingSettings:
        return dataclasses.replace(self._decoding)

    @property
    def system_prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    def model_settings(self) -> ModelSettings | None:
        """The model fields as ModelSettings, or None (with the reason shown in place) when one is invalid."""
        text = self.model_edit.text().strip()
        error = None
        if not text:
            error = self.tr("Enter a Hugging Face Hub id (org/name) or pick a local folder.")
        elif text.startswith(("/", "~", ".")) or (len(text) > 1 and text[1] == ":"):
            try:
                path = Path(text).expanduser()
            except RuntimeError:  # "~user" for a user that does not exist: the text as it is
                path = Path(text)
            if not path.is_dir():
                error = self.tr("No folder at {path}.").format(path=path)
            elif not (path / "config.json").is_file():
                error = self.tr("{path} has no config.json: pick the folder that holds the model's files.").format(
                    path=path)
        self.errors["model.model"].show_error(error)
        if error:
            return None
        try:
            dtype = validate_value(ModelSettings, "dtype", self.dtype_combo.currentData(), prefix="model.")
        except SettingsError as exc:
            self.errors["model.dtype"].show_error(str(exc))
            return None
        self.errors["model.dtype"].show_error(None)
        return dataclasses.replace(self._model, model=text, device=str(self.device_combo.currentData()), dtype=dtype,
                                   trust_remote_code=self.trust_check.isChecked(),
                                   skip_memory_check=self.skip_check.isChecked(),
                                   compile_decode=self.compile_check.isChecked())  # keeps fields shown elsewhere

    # -- updates from the app ---------------------------------------------------------------------------------
    def set_devices(self, devices: list[DeviceInfo]) -> None:
        """Offer the devices the worker found (plus Auto), keeping the current choice."""
        current = self.device_combo.currentData()
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        self.device_combo.addItem(self.tr("Auto"), DEVICE_AUTO)
        for device in devices:
            self.device_combo.addItem(device.label(), device.id)
            index = self.device_combo.count() - 1
            if device.free_memory:
                self.device_combo.setItemData(index, self.tr("{device}: {size} free").format(
                    device=device.id, size=format_bytes(device.free_memory)),
                                              Qt.ItemDataRole.ToolTipRole)
        index = self.device_combo.findData(current)
        if index < 0 and current:
            self.device_combo.addItem(self.tr("{device} (not found)").format(device=current), current)
            index = self.device_combo.count() - 1
        self.device_combo.setCurrentIndex(max(0, index))
        self.device_combo.blockSignals(False)

    def set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.cancel_button.setVisible(loading)
        self._update_load_button()

    def set_loaded(self, info: ModelInfo | None, settings: ModelSettings | None = None) -> None:
        """A model was loaded with ``settings`` (or unloaded: None): Load turns into Reload."""
        self._loaded = info
        self.quality_label.setText(info.quality_text() if info is not None else "")
        self.quality_label.setVisible(bool(self.quality_label.text()))
        if settings is not None:
            self._model = dataclasses.replace(settings)
        self._update_load_button()

    def set_estimate(self, message: str, fits: bool | None) -> None:
        self.estimate_label.setText(message)
        self.estimate_label.setVisible(bool(message))
        self.estimate_label.setStyleSheet(ERROR_STYLE if fits is False else "")

    def show_error(self, key: str, message: str | None) -> None:
        """Show (or clear) an error under a field; ``key`` is a decoding field name or ``model.<name>``."""
        self.errors[key].show_error(message)

    # -- slots ------------------------------------------------------------------------------------------------
    def _set_decoding(self, name: str, value: Any) -> bool:
        try:
            decoding = replace_decoding(self._decoding, **{name: value})
        except SettingsError as exc:
            self._refuse(name, str(exc))
            return False
        self._invalid.pop(name, None)
        self.errors[name].show_error(None)
        if decoding == self._decoding:
            return True
        self._decoding = decoding
        if name == "do_sample":
            self._update_sampling_enabled()
        self.decoding_changed.emit(self.decoding)
        return True

    def _refuse(self, name: str, message: str) -> None:
        """Show why the field's text was refused; the text stays as typed and the last valid value stays in use
        until it is fixed (the window will not send meanwhile)."""
        message = translate_engine_text(message)
        self._invalid[name] = message
        self.errors[name].show_error(message)

    def _commit_number(self, name: str) -> None:
        editor = self.editors[name]
        assert isinstance(editor, NumberEdit)
        text = editor.text().strip()
        value = editor.value()
        meta = field_spec(DecodingSettings, name)
        if value is None:
            kind = "a number" if editor.decimals() is not None else "a whole number"
            typed = f", not {text!r}" if text else ""
            self._refuse(name, f"decoding.{name}: must be {kind} from {meta['min']} to {meta['max']}{typed}")
            return
        self._set_decoding(name, value)

    def _commit_nullable_int(self, name: str) -> None:
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        text = editor.text().strip()
        self._set_decoding(name, int(text) if text else None)

    def commit_fields(self) -> None:
        """Check every number field's text now (e.g. before a send: a field still being typed in has not
        reported the end of its editing yet)."""
        for name, editor in self.editors.items():
            if isinstance(editor, NumberEdit):
                self._commit_number(name)
            elif name == "seed" and isinstance(editor, QLineEdit):
                self._commit_nullable_int(name)

    def invalid_fields(self) -> list[tuple[str, str]]:
        """The decoding fields in use whose text was refused: (label, reason) pairs, in panel order. A field that
        does not apply now (disabled, e.g. the seed while sampling is off) is not listed."""
        out = []
        for name, editor in self.editors.items():
            if name in self._invalid and editor.isEnabled():
                out.append((str(field_spec(DecodingSettings, name)["label"]), self._invalid[name]))
        return out

    def focus_field(self, label: str) -> None:
        """Put the keyboard focus in the field with this label (to fix it)."""
        for name, editor in self.editors.items():
            if name in self._invalid and field_spec(DecodingSettings, name)["label"] == label:
                editor.setFocus()
                if isinstance(editor, QLineEdit):
                    editor.selectAll()
                return

    def _commit_list(self, name: str) -> None:
        editor = self.editors[name]
        assert isinstance(editor, QPlainTextEdit)
        lines = [_decode_escapes(line) for line in editor.toPlainText().split("\n") if line.strip()]
        self._set_decoding(name, lines)

    def _update_sampling_enabled(self) -> None:
        on = self._decoding.do_sample
        for name in SAMPLING_ONLY:
            if name in self.editors:
                self.editors[name].setEnabled(on)

    @Slot()
    def _prompt_timer_start(self) -> None:
        self._prompt_timer.start()

    @Slot()
    def _emit_prompt(self) -> None:
        self.system_prompt_changed.emit(self.system_prompt)

    def flush_pending(self) -> None:
        """Check the number fields and emit a pending system-prompt change now (before saving or sending)."""
        self.commit_fields()
        if self._prompt_timer.isActive():
            self._prompt_timer.stop()
            self._emit_prompt()

    @Slot()
    def _model_fields_edited(self, *_: Any) -> None:
        self._update_load_button()
        self._estimate_timer.start()

    @Slot()
    def _emit_model_edited(self) -> None:
        settings = self.model_settings()
        if settings is not None:
            self.model_edited.emit(settings)

    @Slot()
    def _browse(self) -> None:
        start = self.model_edit.text().strip()
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder",
                                                  start if start and Path(start).expanduser().is_dir() else "")
        if folder:
            self.model_edit.setText(folder)
            self._model_fields_edited()

    @Slot()
    def _request_load(self) -> None:
        settings = self.model_settings()
        if settings is not None:
            self.load_requested.emit(settings)

    def _update_load_button(self) -> None:
        current = self.model_settings() if hasattr(self, "errors") and "model.model" in self.errors else None
        loaded = self._loaded
        changed = loaded is None or current is None or current != self._model
        self.load_button.setText(self.tr("Reload") if loaded is not None and not changed else self.tr("Load"))
        self.load_button.setEnabled(not self._loading)
        if loaded is not None and changed and current is not None:
            self.pending_label.setText(self.tr("Changed: press Load to apply (the current model stays until then)."))
        else:
            self.pending_label.setText("")
        self.pending_label.setVisible(bool(self.pending_label.text()))
