"""File → Export… and File → Import…: the dialog remembers folder and format; errors are shown, nothing half-done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from llmdesk.core.export import to_json
from llmdesk.core.importer import parse_import
from llmdesk.core.store import ConversationStore
from llmdesk.gui.export import export_dialog
from llmdesk.gui.export.export_dialog import ConversationTransfer, ExportDialog, safe_file_name
from tests.support.export_samples import branched_conversation, simple_conversation


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "qsettings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def store(tmp_path: Path):
    s = ConversationStore(tmp_path / "db.sqlite3")
    s.save_conversation(branched_conversation())
    s.save_conversation(simple_conversation())
    yield s
    s.close()


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append(("warning", title, text)))
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: shown.append(("info", title, text)))
    monkeypatch.setattr(ConversationTransfer, "_confirm",
                        lambda _self, title, text: shown.append(("confirm", title, text)) or True)
    return shown


def test_dialog_remembers_the_last_folder_and_format(qtbot, tmp_path: Path, settings: QSettings) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    dialog = ExportDialog(current_title="My / chat: notes", selected_count=0, total_count=3, settings=settings)
    qtbot.addWidget(dialog)
    assert dialog.scope() == "current"
    assert not dialog.findChild(type(dialog.scope_buttons.button(0)), "scope_selected").isEnabled()
    dialog.set_export_format("html")
    dialog.path_edit.setText(str(folder / "chat.html"))
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings.value(export_dialog.SETTINGS_FOLDER) == str(folder)
    assert settings.value(export_dialog.SETTINGS_FORMAT) == "html"

    again = ExportDialog(current_title="My / chat: notes", selected_count=0, total_count=3, settings=settings)
    qtbot.addWidget(again)
    assert again.export_format() == "html"
    assert again.path() == folder / "My chat notes.html"
    again.set_scope("all")
    assert again.path() == folder / "conversations.html"


def test_dialog_keeps_the_extension_in_step_with_the_format(qtbot, tmp_path: Path, settings: QSettings) -> None:
    dialog = ExportDialog(current_title="t", selected_count=2, total_count=3, settings=settings)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "notes.md"))
    dialog.set_export_format("pdf")
    assert dialog.path() == tmp_path / "notes.pdf"
    dialog.set_export_format("sharegpt-jsonl")
    assert dialog.path() == tmp_path / "notes.jsonl"


def test_dialog_refuses_an_empty_path_or_a_folder(qtbot, tmp_path: Path, settings: QSettings) -> None:
    dialog = ExportDialog(current_title="t", selected_count=0, total_count=1, settings=settings)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText("  ")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.text() == "Choose a file to write."
    dialog.path_edit.setText(str(tmp_path))
    dialog.accept()
    assert "is a folder" in dialog.error_label.text()
    assert settings.value(export_dialog.SETTINGS_FOLDER) is None


def _accept_with(monkeypatch: pytest.MonkeyPatch, scope: str, fmt: str, path: Path) -> None:
    def fake_exec(dialog: ExportDialog) -> int:
        dialog.set_scope(scope)
        dialog.set_export_format(fmt)
        dialog.path_edit.setText(str(path))
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)


def test_export_interactive_writes_the_chosen_conversations(qtbot, tmp_path: Path, store, settings,
                                                            monkeypatch: pytest.MonkeyPatch, messages) -> None:
    transfer = ConversationTransfer(store, settings=settings)
    out = tmp_path / "all.json"
    _accept_with(monkeypatch, "all", "json", out)
    with qtbot.waitSignal(transfer.exported) as blocker:
        assert transfer.export_interactive(branched_conversation().id) == out
    assert blocker.args == [str(out)]
    assert sorted(c.id for c in parse_import(out.read_text()).conversations) == \
        sorted([branched_conversation().id, simple_conversation().id])

    pdf = tmp_path / "one.pdf"
    _accept_with(monkeypatch, "current", "pdf", pdf)
    assert transfer.export_interactive(simple_conversation().id) == pdf
    assert pdf.read_bytes().startswith(b"%PDF")
    assert messages == []


def test_export_failure_is_shown_and_leaves_no_file(qtbot, tmp_path: Path, store, settings,
                                                   monkeypatch: pytest.MonkeyPatch, messages) -> None:
    transfer = ConversationTransfer(store, settings=settings)
    blocker_file = tmp_path / "not-a-folder"
    blocker_file.write_text("")
    _accept_with(monkeypatch, "current", "md", blocker_file / "chat.md")
    assert transfer.export_interactive(simple_conversation().id) is None
    assert len(messages) == 1 and messages[0][:2] == ("warning", "Export failed")
    assert "cannot write" in messages[0][2] and "Nothing was written." in messages[0][2]


def test_import_interactive_imports_and_says_what_it_did(qtbot, tmp_path: Path, settings, messages,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in" / "chats.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "imported question"},
                                             {"role": "assistant", "content": "imported answer"}]}) + "\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with ConversationStore(tmp_path / "fresh.sqlite3") as fresh:
        transfer = ConversationTransfer(fresh, settings=settings)
        with qtbot.waitSignal(transfer.imported) as blocker:
            report = transfer.import_interactive()
        assert report is not None and len(report.imported) == 1
        assert blocker.args == [report.imported]
        conv = fresh.load_conversation(report.imported[0])
        assert [m.content for m in conv.path()] == ["imported question", "imported answer"]
    assert messages[0][0] == "confirm"
    assert "Recognised: OpenAI chat JSONL (fine-tuning format).\nIt will add 1 conversation with 2 messages." \
        in messages[0][2]
    assert messages[1][0] == "info" and "Imported 1 conversation." in messages[1][2]
    assert settings.value(export_dialog.SETTINGS_IMPORT_FOLDER) == str(path.parent)


def test_import_interactive_refuses_a_bad_file_and_imports_nothing(qtbot, tmp_path: Path, store, settings,
                                                                  messages, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(to_json([simple_conversation(title="new one", cid="9" * 32)]))
    doc["conversations"][0]["messages"][1]["role"] = "robot"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, indent=1))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    before = len(store.list_conversations())
    assert ConversationTransfer(store, settings=settings).import_interactive() is None
    assert len(store.list_conversations()) == before
    assert messages[0][:2] == ("warning", "Import refused")
    assert "conversations[0].messages[1].role: must be one of system, user, assistant, not 'robot'" in messages[0][2]


def test_safe_file_name() -> None:
    assert safe_file_name('a/b\\c:d*e?"f<g>h|i\n') == "a b c d e f g h i"
    assert safe_file_name("...") == "conversation"


def test_file_menu_actions_call_export_and_import(qtbot, store, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []
    transfer = ConversationTransfer(store, settings=settings)
    monkeypatch.setattr(transfer, "export_interactive", lambda cid, sel: calls.append(("export", cid, sel)))
    monkeypatch.setattr(transfer, "import_interactive", lambda: calls.append(("import",)))
    export_action, import_action = transfer.make_actions(lambda: "c1", lambda: ["c1", "c2"])
    assert export_action.text() == "&Export…" and import_action.text() == "&Import…"
    assert export_action.shortcut().toString() == "Ctrl+Shift+E"
    export_action.trigger()
    import_action.trigger()
    assert calls == [("export", "c1", ["c1", "c2"]), ("import",)]


def test_export_warnings_are_shown_after_the_file_is_written(qtbot, tmp_path: Path, store, settings,
                                                             monkeypatch: pytest.MonkeyPatch, messages) -> None:
    from llmdesk.core.export import registry

    def render(conversations, options):
        return registry.Rendered(b"%PDF-stand-in", ("No installed font has Egyptian characters.",))

    monkeypatch.setitem(registry._WRITERS, "pdf", registry.Writer("pdf", render, text=False))
    transfer = ConversationTransfer(store, settings=settings)
    out = tmp_path / "one.pdf"
    _accept_with(monkeypatch, "current", "pdf", out)
    assert transfer.export_interactive(simple_conversation().id) == out
    assert out.read_bytes() == b"%PDF-stand-in"
    assert len(messages) == 1 and messages[0][:2] == ("warning", "Exported, with a problem")
    assert "No installed font has Egyptian characters." in messages[0][2] and str(out) in messages[0][2]
