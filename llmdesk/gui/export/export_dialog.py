"""File → Export… and File → Import…: a small dialog and the helper the main window calls.

The main window owns one :class:`ConversationTransfer` and puts its :meth:`ConversationTransfer.make_actions` in
the File menu (or calls :meth:`ConversationTransfer.export_interactive` with the conversation on show and the ones
selected in the list, and :meth:`ConversationTransfer.import_interactive`).
The last folder and format are remembered through QSettings. Errors are shown in a message box that names the
problem (the unwritable path, the line of the import file that is wrong); a failed export leaves no partial file
and a refused import imports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from llmdesk import APP_NAME
from llmdesk.core.atomic import WriteError
from llmdesk.core.conversation import Conversation
from llmdesk.core.export import FORMATS, ExportError, Rendered, format_for_path, write_export
from llmdesk.core.importer import (
    ImportFormatError,
    ImportPlan,
    ImportReport,
    plan_import,
    read_import_file,
    save_plan,
)
from llmdesk.core.store import StoreError
from llmdesk.gui.i18n import format_number

SETTINGS_FOLDER = "export/last_folder"
SETTINGS_FORMAT = "export/last_format"
SETTINGS_IMPORT_FOLDER = "import/last_folder"
SCOPES = ("current", "selected", "all")
IMPORT_FILTER = QT_TRANSLATE_NOOP("ConversationTransfer", "Conversations (*.json *.jsonl *.zip);;llmdesk JSON (*.json);;"
                                  "JSONL (*.jsonl);;ChatGPT data export (*.zip conversations.json);;All files (*)")
#: The import formats' names from core's importer, for lupdate (shown through :func:`import_format_name`).
IMPORT_FORMAT_NAMES = [
    QT_TRANSLATE_NOOP("ConversationTransfer", "llmdesk JSON export"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "OpenAI chat JSONL (fine-tuning format)"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "OpenAI chat examples (a JSON list)"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "ShareGPT JSONL"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "ShareGPT (a JSON list)"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "ChatGPT data export (conversations.json)"),
    QT_TRANSLATE_NOOP("ConversationTransfer", "Open WebUI chat export"),
]
#: The export formats' names from core's registry, for lupdate (shown through :func:`format_label`).
FORMAT_LABELS = [QT_TRANSLATE_NOOP("ExportDialog", "Markdown"), QT_TRANSLATE_NOOP("ExportDialog", "Plain text"),
                 QT_TRANSLATE_NOOP("ExportDialog", "llmdesk JSON (every branch, lossless)"),
                 QT_TRANSLATE_NOOP("ExportDialog", "OpenAI chat JSONL"),
                 QT_TRANSLATE_NOOP("ExportDialog", "ShareGPT JSONL")]


def app_settings() -> QSettings:
    """The QSettings the export and import dialogs remember their folder and format in."""
    return QSettings(APP_NAME, APP_NAME)


def file_filter(fmt: str) -> str:
    ext, _label = FORMATS[fmt]
    return f"{format_label(fmt)} (*{ext})"


def format_label(fmt: str) -> str:
    """An export format's name in the interface language."""
    return QCoreApplication.translate("ExportDialog", FORMATS[fmt][1])


def safe_file_name(title: str) -> str:
    """A file name from a conversation title: no path separators or characters Windows refuses."""
    cleaned = "".join(" " if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in title)
    cleaned = " ".join(cleaned.split()).strip(" .")
    return cleaned[:80] or "conversation"


def _elide(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def write_conversations(conversations: Sequence[Conversation], fmt: str, path: str | Path) -> Rendered:
    """Export in any format, PDF included, through the export registry; returns what was written (its warnings).

    Raises:
        ExportError: unknown format or nothing to export.
        WriteError: the file could not be written; no partial file is left.
    """
    return write_export(conversations, fmt, path)


class ExportDialog(QDialog):
    """Asks what to export (the conversation on show, the selected ones, or all), in which format, and where.

    Args:
        current_title: the title of the conversation on show, or None when there is none.
        selected_count: how many conversations are selected in the list.
        total_count: how many conversations there are.
        settings: where the last folder and format are remembered (default: :func:`app_settings`).
    """

    def __init__(self, parent: QWidget | None = None, *, current_title: str | None, selected_count: int,
                 total_count: int, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export conversations"))
        self.setMinimumWidth(560)
        self._settings = settings if settings is not None else app_settings()
        self._current_title = current_title

        self.scope_buttons = QButtonGroup(self)
        scope_box = QVBoxLayout()
        labels = {
            "current": self.tr("This conversation ({title})").format(title=_elide(current_title)) if current_title
            else self.tr("This conversation"),
            "selected": self.tr("Selected conversations ({count})").format(count=format_number(selected_count)),
            "all": self.tr("All conversations ({count})").format(count=format_number(total_count)),
        }
        enabled = {"current": current_title is not None, "selected": selected_count > 0, "all": total_count > 0}
        for k, scope in enumerate(SCOPES):
            button = QRadioButton(labels[scope])
            button.setObjectName(f"scope_{scope}")
            button.setEnabled(enabled[scope])
            self.scope_buttons.addButton(button, k)
            scope_box.addWidget(button)
        first = next((k for k, s in enumerate(SCOPES) if enabled[s]), None)
        if first is not None:
            self.scope_buttons.button(first).setChecked(True)

        self.format_combo = QComboBox()
        for fmt, (ext, _label) in FORMATS.items():
            self.format_combo.addItem(f"{format_label(fmt)} ({ext})", fmt)
        last = str(self._settings.value(SETTINGS_FORMAT, "md"))
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(last)))
        self.format_combo.setToolTip(self.tr("JSON keeps everything (every branch and each reply's settings) and can "
                                             "be imported back; the others hold the messages on show."))

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("File to write"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b42318;")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow(self.tr("Export"), scope_box)
        form.addRow(self.tr("Format"), self.format_combo)
        form.addRow(self.tr("File"), path_row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Export"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

        self.scope_buttons.idClicked.connect(lambda _id: self._suggest_path())
        self.format_combo.currentIndexChanged.connect(lambda _i: self._follow_format())
        self._suggest_path()

    # -- what was chosen --------------------------------------------------------------------------------------------
    def scope(self) -> str:
        checked = self.scope_buttons.checkedId()
        return SCOPES[checked] if checked >= 0 else "current"

    def set_scope(self, scope: str) -> None:
        self.scope_buttons.button(SCOPES.index(scope)).setChecked(True)
        self._suggest_path()

    def export_format(self) -> str:
        return str(self.format_combo.currentData())

    def set_export_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def last_folder(self) -> Path:
        folder = Path(str(self._settings.value(SETTINGS_FOLDER, "") or Path.home()))
        return folder if folder.is_dir() else Path.home()

    # -- behaviour --------------------------------------------------------------------------------------------------
    def _suggest_path(self) -> None:
        base = safe_file_name(self._current_title or "conversation") if self.scope() == "current" else \
            "conversations"
        self.path_edit.setText(str(self.last_folder() / (base + FORMATS[self.export_format()][0])))

    def _follow_format(self) -> None:
        """Keep the file's extension in step with the chosen format."""
        text = self.path_edit.text().strip()
        if not text:
            self._suggest_path()
            return
        path = Path(text)
        ext = FORMATS[self.export_format()][0]
        if format_for_path(path) is not None or not path.suffix:
            self.path_edit.setText(str(path.with_suffix(ext)))

    def _browse(self) -> None:
        fmt = self.export_format()
        chosen, _filter = QFileDialog.getSaveFileName(self, self.tr("Export to"), self.path_edit.text(),
                                                     file_filter(fmt))
        if chosen:
            path = Path(chosen)
            if not path.suffix:
                path = path.with_suffix(FORMATS[fmt][0])
            self.path_edit.setText(str(path))

    def accept(self) -> None:
        text = self.path_edit.text().strip()
        problem = None
        if self.scope_buttons.checkedId() < 0:
            problem = self.tr("There is nothing to export.")
        elif not text:
            problem = self.tr("Choose a file to write.")
        elif self.path().is_dir():
            problem = self.tr("{path} is a folder; choose a file name.").format(path=self.path())
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        self._settings.setValue(SETTINGS_FOLDER, str(self.path().parent))
        self._settings.setValue(SETTINGS_FORMAT, self.export_format())
        super().accept()


class ConversationTransfer(QObject):
    """Export and import for the main window: runs the dialogs, does the work, reports problems.

    Args:
        store: the conversation store (``list_conversations``, ``load_conversation``, ``save_conversation``).
        parent: the window that owns the dialogs.

    Signals:
        imported(list): the ids of the conversations an import saved (for the list to select one).
        exported(str): the path an export was written to.
    """

    imported = Signal(list)
    exported = Signal(str)

    def __init__(self, store, parent: QWidget | None = None, *, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._window = parent
        self._settings = settings if settings is not None else app_settings()

    def make_actions(self, current_id: Callable[[], str | None],
                     selected_ids: Callable[[], Sequence[str]] = list) -> tuple[QAction, QAction]:
        """File-menu actions "Export…" (Ctrl+Shift+E) and "Import…" (Ctrl+Shift+I), for
        ``ChatWindow.insert_file_action``. ``current_id`` and ``selected_ids`` are asked when Export… is chosen."""
        export_action = QAction(self.tr("&Export…"), self._window or self)
        export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        export_action.setStatusTip(self.tr("Save conversations as Markdown, HTML, PDF, text, JSON or JSONL"))
        export_action.triggered.connect(lambda: self.export_interactive(current_id(), list(selected_ids())))
        import_action = QAction(self.tr("&Import…"), self._window or self)
        import_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        import_action.setStatusTip(self.tr("Add conversations from an llmdesk JSON export, ChatGPT's "
                                           "conversations.json, Open WebUI's export, or OpenAI / ShareGPT JSONL"))
        import_action.triggered.connect(self.import_interactive)
        return export_action, import_action

    # -- export -----------------------------------------------------------------------------------------------------
    def export_interactive(self, current_id: str | None, selected_ids: Sequence[str] = ()) -> Path | None:
        """File → Export…: ask, then write. Returns the path written, or None (cancelled or failed, said why)."""
        summaries = self._store.list_conversations()
        titles = {s.id: s.title for s in summaries}
        dialog = ExportDialog(self._window, current_title=titles.get(current_id) if current_id else None,
                              selected_count=len(selected_ids), total_count=len(summaries),
                              settings=self._settings)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            scope, fmt, path = dialog.scope(), dialog.export_format(), dialog.path()
        finally:
            dialog.deleteLater()
        ids = {"current": [current_id] if current_id else [], "selected": list(selected_ids),
               "all": [s.id for s in summaries]}[scope]
        try:
            rendered = self.export_to(ids, fmt, path)
        except (ExportError, WriteError, StoreError, KeyError, OSError) as exc:
            text = self.tr("No conversation with the id {id}").format(id=exc) if isinstance(exc, KeyError) else str(exc)
            self._warn(self.tr("Export failed"), text + "\n\n" + self.tr("Nothing was written."))
            return None
        if rendered.warnings:
            self._warn(self.tr("Exported, with a problem"),
                       self.tr("{path} was written.").format(path=path) + "\n\n" + "\n\n".join(rendered.warnings))
        return path

    def export_to(self, ids: Sequence[str], fmt: str, path: str | Path) -> Rendered:
        """Write the conversations ``ids`` as ``fmt`` to ``path`` (atomically); returns what was written, with its
        warnings. Raises like :func:`write_conversations`, and KeyError for an unknown id."""
        conversations = [self._store.load_conversation(i) for i in ids]
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            rendered = write_conversations(conversations, fmt, path)
        finally:
            QApplication.restoreOverrideCursor()
        self.exported.emit(str(path))
        return rendered

    # -- import -----------------------------------------------------------------------------------------------------
    def import_interactive(self) -> ImportReport | None:
        """File → Import…: pick a file, say which format it is in and how many conversations and messages it will
        add, and import it when the user agrees; then say what happened. Returns the report, or None."""
        start = str(self._settings.value(SETTINGS_IMPORT_FOLDER, "") or
                    self._settings.value(SETTINGS_FOLDER, "") or Path.home())
        chosen, _filter = QFileDialog.getOpenFileName(self._window, self.tr("Import conversations"), start,
                                                     self.tr(IMPORT_FILTER))
        if not chosen:
            return None
        self._settings.setValue(SETTINGS_IMPORT_FOLDER, str(Path(chosen).parent))
        try:
            plan = self.plan_from(chosen)
        except ImportFormatError as exc:
            self._warn(self.tr("Import refused"), f"{exc}\n\n" + self.tr("Nothing was imported."))
            return None
        except (StoreError, OSError) as exc:
            self._warn(self.tr("Import failed"), f"{exc}\n\n" + self.tr("Nothing was imported."))
            return None
        if not plan.to_save:
            self._inform(self.tr("Import"), self.describe_plan(plan) + "\n\n" + self.tr("Nothing to import."))
            return plan.report
        if not self._confirm(self.tr("Import conversations"), f"{Path(chosen).name}\n\n{self.describe_plan(plan)}"):
            return None
        try:
            report = self.save(plan)
        except (StoreError, ValueError, OSError) as exc:  # the store refused: it saved none of them
            self._warn(self.tr("Import failed"), f"{exc}\n\n" + self.tr("Nothing was imported."))
            return None
        self._inform(self.tr("Import"), self.describe_report(report) + "\n\n" + "\n".join(report.messages[:20]) +
                     ("\n…" if len(report.messages) > 20 else ""))
        return report

    def plan_from(self, path: str | Path) -> ImportPlan:
        """Read and check a file and work out what importing it would add (nothing is saved yet). Raises
        ImportFormatError naming the line or field that is wrong, or the store's error."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return plan_import(self._store, read_import_file(path))
        finally:
            QApplication.restoreOverrideCursor()

    def save(self, plan: ImportPlan) -> ImportReport:
        """Save a plan from :meth:`plan_from` (all or nothing) and announce the ids saved."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = save_plan(self._store, plan)
        finally:
            QApplication.restoreOverrideCursor()
        self.imported.emit(report.imported + report.copied)
        return report

    def import_from(self, path: str | Path) -> ImportReport:
        """Read, check and import a file without asking. Raises ImportFormatError (nothing imported) or the store's
        error."""
        return self.save(self.plan_from(path))

    def describe_plan(self, plan: ImportPlan) -> str:
        """What an import would add, in the interface language (:meth:`ImportPlan.describe` in English)."""
        name = QCoreApplication.translate("ConversationTransfer", plan.parsed.format_name)
        n = len(plan.to_save)
        text = self.tr("Recognised: {format}.").format(format=name) + "\n" + self.tr(
            "It will add %n conversation(s)", "", n) + " " + self.tr("with %n message(s).", "", plan.message_count)
        if plan.report.copied:
            text += " " + self.tr("%n of them as copies: a different version is already in the list.", "",
                                  len(plan.report.copied))
        if plan.report.skipped:
            text += "\n" + self.tr("%n conversation(s) already in the list, unchanged, will be skipped.", "",
                                   len(plan.report.skipped))
        if plan.parsed.notes:
            text += "\n\n" + "\n".join(self.tr("Note: {note}").format(note=line) for line in plan.parsed.notes)
        return text

    def describe_report(self, report: ImportReport) -> str:
        """What an import did, in the interface language (:meth:`ImportReport.summary` in English)."""
        text = self.tr("Imported %n conversation(s)", "", len(report.imported) + len(report.copied))
        if report.copied:
            text += " " + self.tr("(%n as copies of ones already in the list)", "", len(report.copied))
        if report.skipped:
            text += self.tr("; skipped %n already in the list", "", len(report.skipped))
        text += "."
        if report.notes:
            text += "\n" + "\n".join(self.tr("Note: {note}").format(note=line) for line in report.notes)
        return text

    # -- messages (one place, so tests can watch them) --------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self._window, title, text)

    def _inform(self, title: str, text: str) -> None:
        QMessageBox.information(self._window, title, text)

    def _confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self._window)
        import_button = box.addButton(self.tr("Import"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(import_button)
        try:
            box.exec()
            return box.clickedButton() is import_button
        finally:
            box.deleteLater()
