"""The interface language: translations up to date with the code, the language chosen from the system or the
settings, numbers and dates in the locale, engine messages translated at the GUI boundary, and no English left
in the Korean interface."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import (QAbstractButton, QComboBox, QGroupBox, QLabel, QLineEdit, QListWidget, QMenu,
                               QPlainTextEdit, QTabWidget, QTextEdit, QWidget)

from llmdesk.core import resources
from llmdesk.core.settings import LANGUAGES, AppearanceSettings, Settings, SettingsError, settings_from_dict
from llmdesk.engine import download as dl
from llmdesk.engine.devices import MemoryEstimate
from llmdesk.engine.errors import EngineError
from llmdesk.gui import i18n
from llmdesk.gui.engine_text import TEMPLATES, describe_estimate, translate_engine_text

# --------------------------------------------------------------------------------------------------------------
# Helpers: switching the language for one test, and finding English in a widget tree
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def korean(qapp) -> Iterator[str]:
    """The Korean interface for one test; English (and the locale that was the default) again after it."""
    before = QLocale()
    language = i18n.install_translation("ko", qapp)
    yield language
    i18n.install_translation("en", qapp)
    QLocale.setDefault(before)


#: Words that stay as they are in the Korean interface: product and format names, technical identifiers and
#: units a Korean user reads in Latin letters too.
ALLOWED_WORDS = {
    "llmdesk", "Hugging", "Face", "Hub", "ID", "JSON", "JSONL", "Markdown", "HTML", "PDF", "OpenAI", "ShareGPT",
    "ChatGPT", "Open", "WebUI", "GGUF", "ONNX", "CUDA", "MPS", "Apple", "CPU", "GPU", "GPUs", "Python", "Phi",
    "KiB", "MiB", "GiB", "TiB", "MB", "GB", "tok", "auto", "balanced", "bfloat16", "float16", "float32", "int8",
    "int4", "config", "json", "tokenizer", "model", "safetensors", "pytorch_model", "bin", "Top", "Min", "top_p",
    "top_k", "min_p", "max_new_tokens", "system", "HF_HOME", "HF_HUB_OFFLINE", "hf", "auth", "login", "Instruct",
    "instruct", "chat", "LM", "save_pretrained", "macOS", "accelerate", "transformers", "zip", "jsonl", "txt", "md",
    "html", "pdf", "Ctrl", "Shift", "Enter", "Esc", "Del", "Alt", "Tab", "PgUp", "PgDown", "jpg", "png", "org",
    "Del", "Backspace", "KV", "ms", "logits", "cpu", "cuda", "mps", "Top-p", "Top-k", "Min-p", "top-p", "top-k",
    "min-p", "Phi-3", "Phi-3-mini", "localhost", "API", "URL", "vLLM", "SGLang", "llama-server", "Ollama", "Space",
    "F2", "Alt", "Left", "Right", "Delete", "Home", "End",
    "English",  # each language is named in its own language in the language choice "softmax", "torch", "compile", "int8", "int4",
}


def english_words(text: str) -> list[str]:
    """Latin-letter words in ``text`` that are not allowed to stay English: everything but :data:`ALLOWED_WORDS`,
    model ids (org/name), paths, file names and single letters (``%n``, shortcut letters like ``(&E)``)."""
    text = re.sub(r"&(?=\w)", "", text)  # mnemonic markers
    text = re.sub(r"`[^`]*`", " ", text)  # code: commands, identifiers
    text = re.sub(r"\b\w+ForCausalLM\b", " ", text)  # model architectures
    text = re.sub(r"\S*[/\\]\S*", " ", text)  # paths, model ids, org/name
    text = re.sub(r"\S*[A-Za-z0-9]\.[A-Za-z]\S*", " ", text)  # file names (settings.json.corrupt-…)
    text = re.sub(r"\*\.\w+", " ", text)  # file patterns
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]{2,}", text)
    return [w for w in words if w not in ALLOWED_WORDS and not re.fullmatch(r"[A-Za-z]\d*|\d+\w*", w)]


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """Every text a person can see or hear in ``root`` and its children: labels, buttons, placeholders, combo
    items, list items, group titles, tabs, tooltips, status tips, accessible names and descriptions, window titles,
    and the actions of every menu and widget. Pairs of (where, text)."""
    out: list[tuple[str, str]] = []

    def add(where: str, text: str | None) -> None:
        if text and text.strip():
            out.append((where, text))

    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        name = f"{type(w).__name__}({w.objectName()})"
        add(f"{name}.toolTip", w.toolTip())
        add(f"{name}.statusTip", w.statusTip())
        add(f"{name}.whatsThis", w.whatsThis())
        add(f"{name}.accessibleName", w.accessibleName())
        add(f"{name}.accessibleDescription", w.accessibleDescription())
        if w.isWindow():
            add(f"{name}.windowTitle", w.windowTitle())
        if isinstance(w, QLabel):
            add(f"{name}.text", w.text())
        if isinstance(w, QAbstractButton):
            add(f"{name}.text", w.text())
        if isinstance(w, (QLineEdit, QPlainTextEdit, QTextEdit)):
            add(f"{name}.placeholderText", w.placeholderText())
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                add(f"{name}.item{i}", w.itemText(i))
                add(f"{name}.item{i}.toolTip", w.itemData(i, 3))  # Qt.ToolTipRole
        if isinstance(w, QListWidget):
            for i in range(w.count()):
                add(f"{name}.item{i}", w.item(i).text())
        if isinstance(w, QGroupBox):
            add(f"{name}.title", w.title())
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                add(f"{name}.tab{i}", w.tabText(i))
                add(f"{name}.tab{i}.toolTip", w.tabToolTip(i))
        if isinstance(w, QMenu):
            add(f"{name}.title", w.title())
        for action in w.actions():
            if action.isSeparator():
                continue
            add(f"{name}.action.text", action.text())
            add(f"{name}.action.toolTip", action.toolTip() if action.toolTip() != action.text().replace("&", "")
                else "")
            add(f"{name}.action.statusTip", action.statusTip())
            if action.menu() is not None:
                add(f"{name}.action.menu.title", action.menu().title())
    return out


def english_left(root: QWidget, ignore: tuple[str, ...] = ()) -> list[str]:
    """The texts in ``root`` with English words left in them, as "where: text [words]"."""
    problems = []
    for where, text in shown_texts(root):
        if any(text == i or text.startswith(i) for i in ignore):
            continue
        words = english_words(text)
        if words:
            problems.append(f"{where}: {text!r} {words}")
    return problems


def test_english_words_finds_english_and_allows_names() -> None:
    assert english_words("Load the model") == ["Load", "the"]
    assert english_words("microsoft/Phi-3-mini-4k-instruct 7.1 GiB") == []
    assert english_words("모델 불러오기(&L)") == []
    assert english_words("Hugging Face 캐시 (/tmp/hf/hub)") == []


# --------------------------------------------------------------------------------------------------------------
# The translation files
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pyside6-lupdate") is None and not (Path(__import__("sys").executable).parent /
                                                                      "pyside6-lupdate").exists(),
                    reason="pyside6-lupdate (PySide6's tool) is not installed")
def test_translations_are_up_to_date_with_the_code() -> None:
    """lupdate over the GUI sources changes nothing in the .ts files, every string has a finished Korean
    translation, and each committed .qm is what lrelease makes of its .ts (run
    ``python -m llmdesk.gui.dev.translations update`` to fix)."""
    from llmdesk.gui.dev import translations

    assert translations.check() == []


def test_settings_text_lists_every_settings_label_and_help() -> None:
    from llmdesk.gui import settings_text
    from llmdesk.gui.dev import translations

    assert settings_text.SETTINGS_TEXT == translations.settings_strings()
    assert "Temperature" in settings_text.SETTINGS_TEXT and "Language" in settings_text.SETTINGS_TEXT


def test_korean_ships_and_is_a_language_choice() -> None:
    assert "ko" in resources.translation_languages()
    assert resources.translation_path("ko").stat().st_size > 10_000
    assert LANGUAGES[:2] == ("system", "en") and "ko" in LANGUAGES
    assert i18n.available_languages() == ["en", *resources.translation_languages()]


def test_language_setting_is_validated_and_defaults_to_the_system() -> None:
    assert Settings().appearance.language == "system"
    assert settings_from_dict({"appearance": {"language": "ko"}}).appearance.language == "ko"
    with pytest.raises(SettingsError, match="appearance.language: must be one of system, en, ko"):
        settings_from_dict({"appearance": {"language": "xx"}})
    assert AppearanceSettings().language == "system"


# --------------------------------------------------------------------------------------------------------------
# Choosing and installing the language
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("choice", "system", "expected"), [
    ("system", "ko_KR", "ko"),
    ("system", "en_GB", "en"),
    ("system", "de_DE", "en"),  # no German translation: English
    ("system", "C", "en"),
    ("en", "ko_KR", "en"),  # the setting wins over the system
    ("ko", "en_US", "ko"),
    ("fr", "fr_FR", "en"),  # a language that is not shipped
])
def test_resolve_language(choice: str, system: str, expected: str) -> None:
    assert i18n.resolve_language(choice, QLocale(system)) == expected


def test_install_korean_then_english(qapp) -> None:
    before = QLocale()
    try:
        assert i18n.install_translation("system", qapp, system=QLocale("ko_KR")) == "ko"
        assert i18n.current_language() == "ko"
        assert QCoreApplication.translate("DownloadPanel", "Download") == "다운로드"
        assert QLocale().name() == "ko_KR"
        # Qt's own strings (standard buttons) come from qtbase_ko when Qt ships it
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") in ("취소", "Cancel")
        assert i18n.install_translation("en", qapp, system=QLocale("ko_KR")) == "en"
        assert QCoreApplication.translate("DownloadPanel", "Download") == "Download"
        assert QLocale().language() == QLocale.Language.English
    finally:
        i18n.install_translation("en", qapp)
        QLocale.setDefault(before)


def test_make_application_installs_the_language_from_the_settings(qapp) -> None:
    from PySide6.QtWidgets import QStyleFactory

    from llmdesk.gui.app import make_application

    before = QLocale()
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    try:
        assert make_application(language="ko") is qapp
        assert i18n.current_language() == "ko"
        assert QCoreApplication.translate("ModelPicker", "Load") == "불러오기"
        make_application()  # no language given: what is installed stays
        assert i18n.current_language() == "ko"
    finally:
        i18n.install_translation("en", qapp)
        QLocale.setDefault(before)
        qapp.setStyle(QStyleFactory.create(style))  # the other tests run with the style they started with
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
    assert QCoreApplication.translate("ModelPicker", "Load") == "Load"


def test_english_plural_forms(qapp, qtbot) -> None:
    """English, the source language, gets its plural forms from llmdesk_en.qm: "1 file", "2 files"."""
    from llmdesk.gui.models.download_panel import DownloadPanel

    i18n.install_translation("en", qapp)
    panel = DownloadPanel()
    qtbot.addWidget(panel)
    try:
        def avail(n: int) -> dl.ModelAvailability:
            files = tuple(dl.RemoteFile(f"f{i}", 10) for i in range(n))
            return dl.ModelAvailability("org/m", "needs_download", None, files=files, total_bytes=10 * n,
                                        missing_bytes=10 * n, cache_dir=Path("/c"))
        assert "(1 file)" in panel.describe_availability(avail(1))
        assert "(3 files)" in panel.describe_availability(avail(3))
        i18n.install_translation("ko", qapp)
        assert "파일 3개" in panel.describe_availability(avail(3))
    finally:
        panel.shutdown()
        i18n.install_translation("en", qapp)


def test_numbers_dates_and_sizes_follow_the_locale(qapp) -> None:
    before = QLocale()
    when = time.mktime((2026, 3, 5, 14, 7, 0, 0, 0, -1))
    try:
        QLocale.setDefault(QLocale("de_DE"))
        assert i18n.format_number(1234567) == "1.234.567"
        assert i18n.format_bytes(1536) == "1,5 KiB"
        QLocale.setDefault(QLocale("en_US"))
        assert i18n.format_number(1234567) == "1,234,567"
        assert i18n.format_bytes(1536) == "1.5 KiB"
        assert i18n.format_month_day(when) == "Mar 5"
        assert i18n.format_duration(131) == "2 min 11 s"
        QLocale.setDefault(QLocale("C"))  # no locale chosen: en_US formats, not C's ungrouped digits
        assert i18n.format_number(1234567) == "1,234,567"
        i18n.install_translation("ko", qapp)
        assert i18n.format_month_day(when) == "3월 5일"
        assert i18n.format_duration(131) == "2분 11초"
        assert i18n.format_date(when) == "26. 3. 5."
        assert i18n.format_weekday(when) == "목"
    finally:
        i18n.install_translation("en", qapp)
        QLocale.setDefault(before)


def test_language_names(korean) -> None:
    assert i18n.language_name("ko") == "한국어"
    assert i18n.language_name("en") == "English"
    assert i18n.language_name("system") == "시스템 언어"


# --------------------------------------------------------------------------------------------------------------
# Engine messages at the GUI boundary
# --------------------------------------------------------------------------------------------------------------


def _engine_error(call) -> EngineError:
    with pytest.raises(EngineError) as info:
        call()
    return info.value


def test_engine_errors_are_translated(korean, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    exc = _engine_error(lambda: dl.check_model(str(missing)))
    message, hint = exc.args[0], exc.hint
    assert translate_engine_text(message) == f"{missing} 폴더가 없습니다."
    assert translate_engine_text(hint) == "존재하는 모델 폴더를 선택하세요."
    # the message and hint joined, as str(EngineError) gives them
    assert translate_engine_text(str(exc)) == f"{missing} 폴더가 없습니다. 존재하는 모델 폴더를 선택하세요."
    exc = _engine_error(lambda: dl.check_model(""))
    assert english_words(translate_engine_text(str(exc))) == []
    exc = _engine_error(lambda: dl.check_model("x::y"))
    assert english_words(translate_engine_text(str(exc))) == []
    (tmp_path / "empty").mkdir()
    exc = _engine_error(lambda: dl.check_model(str(tmp_path / "empty")))
    assert english_words(translate_engine_text(str(exc))) == []


def test_unknown_engine_text_is_shown_as_it_is(korean) -> None:
    assert translate_engine_text("CUDA error: device-side assert") == "CUDA error: device-side assert"
    assert translate_engine_text("") == ""


def test_every_engine_template_has_fields_its_translation_uses(korean) -> None:
    """A translation may reorder the fields but not invent or drop one (format() would fail or lose a value)."""
    for template in TEMPLATES:
        fields = set(re.findall(r"\{(\w+)\}", template))
        translated = QCoreApplication.translate("engine", template)
        assert set(re.findall(r"\{(\w+)\}", translated)) == fields, template
        assert translated != template or not english_words(template), template


def test_memory_estimate_in_korean(korean) -> None:
    estimate = MemoryEstimate(2 * 2**30, 2**29, 3 * 2**30, None, "cpu", "bfloat16", True, "Needs about …")
    text = describe_estimate(estimate)
    assert text.startswith("cpu에서 bfloat16로 약 3.0 GiB 필요") and "알 수 없음" in text and "충분함" in text
    # the estimate quoted inside the "will not fit" error is translated too
    english = ("'org/m' will not fit: Needs about 9.0 GiB on cpu in float32 (8.0 GiB of weights, 0.2 GiB of cache "
               "for a full context); 4.0 GiB free: does NOT fit.")
    assert english_words(translate_engine_text(english)) == []


# --------------------------------------------------------------------------------------------------------------
# Widgets in Korean
# --------------------------------------------------------------------------------------------------------------


def test_model_picker_in_korean(korean, qtbot, tmp_path: Path) -> None:
    from llmdesk.gui.models.model_picker import ModelPickerDialog

    dialog = ModelPickerDialog()
    qtbot.addWidget(dialog)
    try:
        dialog.picker.model_edit.setText(str(tmp_path / "nowhere"))
        dialog.picker._check_now()
        qtbot.waitUntil(lambda: dialog.picker.panel.state == "failed", timeout=10_000)
        assert english_left(dialog) == []
    finally:
        dialog.picker.shutdown()


def test_download_panel_states_in_korean(korean, qtbot, tmp_path: Path) -> None:
    from llmdesk.gui.models.first_run import FirstRunFrame
    from llmdesk.gui.models.download_panel import DownloadPanel

    frame = FirstRunFrame()
    qtbot.addWidget(frame)
    panel = DownloadPanel()
    frame.set_panel(panel)
    try:
        files = (dl.RemoteFile("model.safetensors", 5 * 2**20), dl.RemoteFile("config.json", 900))
        avail = dl.ModelAvailability("org/m", "needs_download", None, files=files, total_bytes=5 * 2**20 + 900,
                                     missing_bytes=5 * 2**20 + 900, cache_dir=tmp_path)
        panel._check_rid = 7
        panel._on_checked(7, avail)
        for state in ("needs_download", "downloading", "cancelled", "offline", "failed", "checking"):
            frame.set_heading(state)
            panel._set_state(state)
            assert english_left(frame) == [], state
        panel._download_rid = 8
        panel._on_progress(8, dl.DownloadProgress("model.safetensors", 1, 2, 2**20, 5 * 2**20, 2**19, 8.0, 0))
        assert english_left(frame) == []
        assert "남음" in panel.detail_label.text()
    finally:
        panel.shutdown()


def test_export_dialog_in_korean(korean, qtbot) -> None:
    from llmdesk.gui.export.export_dialog import ExportDialog

    dialog = ExportDialog(current_title="Trip to Busan", selected_count=2, total_count=12_345,
                          settings=None)
    qtbot.addWidget(dialog)
    assert english_left(dialog, ignore=("현재 대화 (Trip to Busan)",)) == []
    assert "12,345" in dialog.scope_buttons.button(2).text()


def test_import_plan_and_report_in_korean_and_english(korean, qapp, tmp_path: Path) -> None:
    from llmdesk.core.conversation import Conversation, Message
    from llmdesk.core.importer import ImportPlan, ImportReport, ParsedImport
    from llmdesk.gui.export.export_dialog import ConversationTransfer

    conversations = []
    for k in range(3):
        conv = Conversation(title=f"c{k}")
        conv.add(Message("user", "hi"))
        conversations.append(conv)
    parsed = ParsedImport("chatgpt", conversations, notes=[])
    report = ImportReport("chatgpt", imported=["a", "b"], copied=["c"], skipped=["d"])
    plan = ImportPlan(parsed, conversations, report)
    transfer = ConversationTransfer(store=None)
    text = transfer.describe_plan(plan)
    assert text == ("인식한 형식: ChatGPT 데이터 내보내기 (conversations.json).\n대화 3개를 추가합니다 (메시지 3개). 그중 1개는 "
                    "사본으로 추가합니다: 다른 버전이 이미 목록에 있습니다.\n목록에 이미 있는 변경되지 않은 대화 1개는 건너뜁니다.")
    assert english_words(transfer.describe_report(report)) == []
    i18n.install_translation("en", qapp)
    # English gets its plural forms: the same sentences as core's own describe()/summary()
    assert transfer.describe_plan(plan) == plan.describe()
    assert transfer.describe_report(report) == report.summary()


def test_stop_reasons_and_settings_warnings_in_korean(korean, tmp_path: Path) -> None:
    from llmdesk.core.conversation import StopReason
    from llmdesk.core.settings import load_settings

    assert translate_engine_text(StopReason.LENGTH.label) == "토큰 한도에서 멈춤"
    assert translate_engine_text(StopReason.CANCELLED.label) == "중지됨"
    path = tmp_path / "settings.json"
    path.write_text('{"schema_version": 3, "decoding": {"temperature": 9, "bogus": 1}}', encoding="utf-8")
    warnings = load_settings(path).warnings
    assert len(warnings) == 3
    for warning in warnings:
        assert english_words(translate_engine_text(warning)) == [], warning


# --------------------------------------------------------------------------------------------------------------
# The main window in Korean
# --------------------------------------------------------------------------------------------------------------


def korean_window(qtbot, tmp_path: Path, *, rate: float = 0.0):
    from llmdesk.core.settings import Settings
    from llmdesk.core.store import ConversationStore
    from llmdesk.engine.types import DeviceInfo
    from llmdesk.gui.app import build_window
    from llmdesk.gui.chat.worker import EngineBackend
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine

    engine = ScriptedEngine(reply="안녕하세요! **한국어** 답변입니다.\n\n```python\nprint('hi')\n```\n", rate=rate,
                            devices=[DeviceInfo("cpu", "CPU", 16 * 2**30, 8 * 2**30)])
    settings = Settings()
    settings.model.model = "scripted/model"
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    window = build_window(settings, store=store, save=None, remember_geometry=False,
                          backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                list_devices=engine.list_devices))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=10_000)
    return window, store


def test_main_window_has_no_english_left(korean, qtbot, tmp_path: Path) -> None:
    """Menus, buttons, settings labels, tooltips, accessible names, dock titles and status messages of the main
    window, after a reply and with the settings panel open, are all Korean (model names, units and llmdesk
    aside)."""
    window, store = korean_window(qtbot, tmp_path)
    try:
        with qtbot.waitSignal(window.controller.reply_finished, timeout=10_000):
            window.send("파이썬에서 CSV 파일을 읽으려면?")
        window.settings_dock.show()
        qtbot.wait(50)
        problems = english_left(window)
        problems += [f"status bar: {m!r}" for m in [window.statusBar().currentMessage()] if english_words(m)]
        assert problems == [], "\n".join(problems)
    finally:
        window.close()
        store.close()


def test_main_window_while_replying_has_no_english_left(korean, qtbot, tmp_path: Path) -> None:
    window, store = korean_window(qtbot, tmp_path, rate=30)
    try:
        window.send("천천히 답해 주세요")
        qtbot.waitUntil(lambda: window.controller.busy, timeout=5000)
        qtbot.wait(100)
        problems = english_left(window)
        with qtbot.waitSignal(window.controller.reply_finished, timeout=10_000):
            window.controller.stop()
        qtbot.wait(50)
        problems += english_left(window)
        assert problems == [], "\n".join(problems)
    finally:
        window.close()
        store.close()


def test_conversation_list_times_in_korean(korean) -> None:
    from llmdesk.gui.conversations.conversation_list import activity_label

    now = time.mktime((2026, 3, 12, 15, 0, 0, 0, 0, -1))
    assert activity_label(now - 3600, now) == "오후 2:00"
    assert activity_label(now - 2 * 86400, now) == "화"
    assert activity_label(now - 10 * 86400, now) == "3월 2일"
    assert activity_label(now - 400 * 86400, now) == "25. 2. 5."
