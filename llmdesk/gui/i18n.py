"""The interface language: which translation to load, loading it, and locale-aware numbers and dates.

Every user-visible string in the GUI goes through Qt's translation system: ``self.tr(text)`` in methods (with a
count, ``self.tr("%n file(s)", "", n)``: lupdate then asks for plural forms), :func:`tr` from this module in
module-level functions, ``QT_TRANSLATE_NOOP(context, text)`` to mark texts kept in tables and
``QCoreApplication.translate(context, text)`` to show them. Fields in texts are Python ``{name}`` fields filled with
``.format()`` after translation, so translators can move them.

The translations are Qt Linguist files, ``resources/translations/llmdesk_<code>.ts``, compiled to ``.qm`` by
``python -m llmdesk.gui.dev.translations update`` (pyside6-lupdate + pyside6-lrelease); a test fails when a
compiled file is out of date with its source or with the code. English is the source language; its file holds only
the plural forms ("1 file", "2 files"). Adding a language is adding its ``.ts`` file (and
running that command): :func:`llmdesk.core.resources.translation_languages` finds it, and it becomes a choice in
the settings.

Settings field labels and help texts are declared in :mod:`llmdesk.core.settings` (plain Python, no Qt): the GUI
translates them where it shows them, with :func:`setting_text`; :mod:`llmdesk.gui.settings_text` lists them for
lupdate.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLibraryInfo, QLocale, QTranslator

from llmdesk.core import resources

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SYSTEM = "system"

_installed: list[QTranslator] = []
_language = SOURCE_LANGUAGE


def available_languages() -> list[str]:
    """English (the source language) and every shipped translation, e.g. ``["en", "ko"]``."""
    return [SOURCE_LANGUAGE, *resources.translation_languages()]


def resolve_language(choice: str, system: QLocale | None = None) -> str:
    """The language to show for a settings choice: ``choice`` itself when it is shipped, for ``"system"`` the
    first of the system's UI languages that is (``ko-KR`` finds ``ko``), else English.

    Args:
        choice: ``"system"`` or a language code.
        system: the system locale (default ``QLocale.system()``); a test passes another.
    """
    languages = available_languages()
    if choice != SYSTEM:
        return choice if choice in languages else SOURCE_LANGUAGE
    locale = system if system is not None else QLocale.system()
    for tag in locale.uiLanguages():
        code = tag.replace("-", "_")
        for candidate in (code, code.split("_")[0]):
            if candidate in languages:
                return candidate
    return SOURCE_LANGUAGE


def install_translation(choice: str, app: QCoreApplication | None = None,
                        system: QLocale | None = None) -> str:
    """Load the interface language for the settings choice ``choice`` into ``app`` (default: the running one):
    llmdesk's translation and Qt's own (standard buttons and dialogs) when the language is not English, and the
    default :class:`QLocale` for numbers and dates. Replaces a language installed before. Returns the language
    code in use; a translation that cannot be loaded is logged and English is used.
    """
    global _language
    app = app or QCoreApplication.instance()
    assert app is not None, "create the QApplication first"
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    system_locale = system if system is not None else QLocale.system()
    language = resolve_language(choice, system_locale)
    ours = QTranslator(app)
    try:
        # English is the source language: its file holds only the plural forms ("1 file", "2 files")
        loaded = ours.load(str(resources.translation_path(language)))
    except FileNotFoundError:
        loaded = False
    if not loaded and language != SOURCE_LANGUAGE:
        log.warning("the %s translation could not be loaded; the interface stays in English", language)
        language = SOURCE_LANGUAGE
        with contextlib.suppress(FileNotFoundError):
            loaded = ours.load(str(resources.translation_path(language)))
    if loaded:
        app.installTranslator(ours)
        _installed.append(ours)
    if language != SOURCE_LANGUAGE:
        qt = QTranslator(app)
        if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
    if QLocale(language).language() == system_locale.language():
        QLocale.setDefault(system_locale)  # the user's own formats (en_GB dates stay en_GB)
    else:
        QLocale.setDefault(QLocale(language))
    _language = language
    return language


def current_language() -> str:
    """The language code of the interface now (``"en"`` when no translation is installed)."""
    return _language


def language_name(code: str) -> str:
    """How a language choice is shown: the language's own name (``"한국어"``), or "System language"."""
    if code == SYSTEM:
        return QCoreApplication.translate("i18n", "System language")
    if code == SOURCE_LANGUAGE:
        return "English"  # not "American English": the interface has one English
    name = QLocale(code).nativeLanguageName()
    return name[:1].upper() + name[1:] if name else code


def ui_locale() -> QLocale:
    """The locale numbers and dates are shown in: the default locale, with en_US formats for the bare "C"/POSIX
    locale (no locale chosen)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale


def format_number(value: float, decimals: int = 0) -> str:
    """``value`` with the locale's digit grouping and decimal point, e.g. 12,345.6 (en) or 12.345,6 (de)."""
    if decimals == 0:
        return ui_locale().toString(int(round(value)))
    return ui_locale().toString(float(value), "f", decimals)


def format_date(timestamp: float, *, long: bool = False) -> str:
    """A Unix time's local date in the locale's short (or long) format."""
    date = QDateTime.fromSecsSinceEpoch(int(timestamp)).date()
    kind = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    return ui_locale().toString(date, kind)


def format_date_time(timestamp: float) -> str:
    """A Unix time's local date and time in the locale's short format."""
    return ui_locale().toString(QDateTime.fromSecsSinceEpoch(int(timestamp)), QLocale.FormatType.ShortFormat)


def format_time(timestamp: float) -> str:
    """A Unix time's local time of day (hours and minutes) in the locale's format."""
    return ui_locale().toString(QDateTime.fromSecsSinceEpoch(int(timestamp)).time(), QLocale.FormatType.ShortFormat)


def format_weekday(timestamp: float) -> str:
    """A Unix time's day of the week, abbreviated in the locale's language."""
    date = QDateTime.fromSecsSinceEpoch(int(timestamp)).date()
    return ui_locale().dayName(date.dayOfWeek(), QLocale.FormatType.ShortFormat)


def format_month_day(timestamp: float) -> str:
    """A Unix time's day and month without the year ("Mar 5"; "3월 5일" in Korean). Qt has no locale format for
    this, so the pattern is a translatable string (a QLocale date pattern)."""
    date: QDate = QDateTime.fromSecsSinceEpoch(int(timestamp)).date()
    # Translators: a QDate pattern for a day and month without the year (MMM = short month name, d = day).
    return ui_locale().toString(date, QCoreApplication.translate("i18n", "MMM d"))


def tr(text: str, disambiguation: str = "", n: int = -1) -> str:
    """Translate a text in a module-level function (outside any class; methods use ``self.tr``). lupdate files a
    bare ``tr(...)`` call outside a class under the empty context, and reads ``tr(text, "", n)`` as a text with
    plural forms, so this looks it up there: ``tr("%n token(s)", "", n)``."""
    return QCoreApplication.translate("", text, disambiguation or None, n)


def setting_text(text: str) -> str:
    """A settings field's label, help or choice text from :mod:`llmdesk.core.settings`, translated (context
    ``"settings"``); the text itself when there is no translation."""
    return QCoreApplication.translate("settings", text) if text else text


def format_bytes(count: float) -> str:
    """A size in binary units with the locale's decimal point: ``1536`` -> ``1.5 KiB`` (``1,5 KiB`` in German)."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{int(value)} B" if unit == "B" else f"{format_number(value, 1)} {unit}"
        value /= 1024
    return f"{format_number(value, 1)} TiB"


def format_duration(seconds: float) -> str:
    """A duration for people: ``131`` -> ``2 min 11 s`` (``2분 11초`` in Korean)."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return QCoreApplication.translate("i18n", "{s} s").format(s=s)
    if s < 3600:
        return QCoreApplication.translate("i18n", "{m} min {s} s").format(m=s // 60, s=s % 60)
    return QCoreApplication.translate("i18n", "{h} h {m} min").format(h=s // 3600, m=s % 3600 // 60)
