"""Model > Remote servers…: the list of OpenAI-compatible servers (name, base URL, model, API key), each checked with
a clear status, and "Use" to make the window talk to one (the model setting becomes ``remote:NAME``).

Checks run on a plain Python thread (network, never on the GUI thread) and report back through a queued signal.
API keys go to the system keyring; with none, the user is asked whether to keep the key in the config folder
(mode 0600) or for this session only.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, \
    QListWidget, QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget

from llmdesk.gui.i18n import tr
from llmdesk.core.remote_servers import KeyStore, ServerEntry, ServerListError, load_servers, save_servers

STATUS_WORDS = {"ok": QT_TRANSLATE_NOOP("RemoteServersDialog", "Ready"),
                "unreachable": QT_TRANSLATE_NOOP("RemoteServersDialog", "Unreachable"),
                "unauthorized": QT_TRANSLATE_NOOP("RemoteServersDialog", "API key refused (401)"),
                "not_found": QT_TRANSLATE_NOOP("RemoteServersDialog", "Not found (404): does the base URL end in /v1?"),
                "model_missing": QT_TRANSLATE_NOOP("RemoteServersDialog", "Model missing"),
                "no_models": QT_TRANSLATE_NOOP("RemoteServersDialog", "No models"),
                "bad_response": QT_TRANSLATE_NOOP("RemoteServersDialog", "Not an OpenAI-compatible answer")}


class RemoteServersDialog(QDialog):
    """Add, check, remove and pick remote servers.

    Signals:
        use_server(str): the user chose a server; carries its name (the window loads ``remote:NAME``).
        checked(str, object): a check finished: server name, :class:`llmdesk.engine.remote.EndpointStatus`.
    """

    use_server = Signal(str)
    checked = Signal(str, object)

    def __init__(self, parent: QWidget | None = None, keys: KeyStore | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Remote servers"))
        self.setObjectName("remoteServersDialog")
        self.keys = keys or KeyStore()
        self.servers: list[ServerEntry] = load_servers()
        self._threads: list[threading.Thread] = []

        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show_entry)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("lab vLLM"))
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText(self.tr("http://127.0.0.1:8000/v1"))
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.setMinimumWidth(320)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(self.tr("optional; kept in the system keyring"))
        self.status = QLabel("")
        self.status.setObjectName("remoteStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Base URL"), self.base_url)
        form.addRow(self.tr("Model"), self.model)
        form.addRow(self.tr("API key"), self.api_key)
        form.addRow(self.tr("Status"), self.status)

        self.check_button = QPushButton(self.tr("Check"))
        self.check_button.clicked.connect(self.check)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.remove)
        self.use_button = QPushButton(self.tr("Use in this window"))
        self.use_button.clicked.connect(self._use)
        row = QHBoxLayout()
        for button in (self.check_button, self.save_button, self.remove_button, self.use_button):
            row.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(close)
        self.checked.connect(self._on_checked)
        self._refresh()
        self.resize(560, 460)

    # -- actions -----------------------------------------------------------------------------------------------
    def check(self) -> None:
        """Check the server in the form (off the GUI thread); the status label shows the outcome."""
        from llmdesk.engine.remote import RemoteEndpoint, check_endpoint

        name = self.name.text().strip() or "server"
        key = self.api_key.text().strip() or self.keys.get(name)
        endpoint = RemoteEndpoint(name, self.base_url.text().strip(), self.model.currentText().strip(), api_key=key)
        self.status.setText(self.tr("Checking…"))
        self.check_button.setEnabled(False)

        def work() -> None:
            self.checked.emit(name, check_endpoint(endpoint))

        thread = threading.Thread(target=work, name="llmdesk-remote-check", daemon=True)
        self._threads.append(thread)
        thread.start()

    def save(self) -> bool:
        """Save the server in the form (its key to the keyring, or as the user chooses); False on a bad entry."""
        name = self.name.text().strip()
        key = self.api_key.text().strip()
        where = next((e.key_in for e in self.servers if e.name == name), "none")
        try:
            ServerEntry(name, self.base_url.text().strip(), self.model.currentText().strip())
        except ServerListError as exc:
            self.status.setText(f"Not saved: {exc}")
            return False
        if key:
            allow_file = False
            if not self.keys.keyring_available():
                allow_file = self.ask_store_in_file()
            where = self.keys.set(name, key, allow_file=allow_file)
            self.api_key.clear()
        entry = ServerEntry(name, self.base_url.text().strip(), self.model.currentText().strip(), where)
        self.servers = [e for e in self.servers if e.name != name] + [entry]
        save_servers(self.servers)
        self._refresh(select=name)
        place = {"keyring": "the system keyring", "file": "the config folder (mode 0600)",
                 "session": "memory, for this session only", "none": "—"}[where]
        self.status.setText(f"Saved. API key: {place}.")
        return True

    def remove(self) -> None:
        name = self.name.text().strip()
        self.keys.delete(name)
        self.servers = [e for e in self.servers if e.name != name]
        save_servers(self.servers)
        self._refresh()
        self.status.setText(f"Removed {name}.")

    def ask_store_in_file(self) -> bool:
        """No system keyring: ask whether to keep the key in the config folder (else for this session only)."""
        answer = QMessageBox.question(
            self, "No system keyring",
            "No system keyring is available to keep the API key safe.\n\nKeep it in llmdesk's config folder, in a "
            "file only you can read (mode 0600)? Otherwise it is kept for this session only.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # -- helpers -------------------------------------------------------------------------------------------------
    def _use(self) -> None:
        if self.save():
            self.use_server.emit(self.name.text().strip())
            self.accept()

    def _on_checked(self, name: str, status: Any) -> None:
        self.check_button.setEnabled(True)
        current = self.model.currentText()
        if status.models:
            self.model.clear()
            self.model.addItems(list(status.models))
            self.model.setCurrentText(current if current in status.models else status.models[0])
        words = STATUS_WORDS.get(status.kind, status.kind)
        self.status.setText(f"{words}. {status.message}" if status.kind != "ok" else status.message)
        self.status.setProperty("ok", status.ok)

    def _refresh(self, select: str | None = None) -> None:
        self.list.clear()
        for entry in self.servers:
            item = QListWidgetItem(f"{entry.name} — {entry.base_url} — {entry.model or '(first listed)'}")
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            self.list.addItem(item)
            if entry.name == select:
                self.list.setCurrentItem(item)

    def _show_entry(self, row: int) -> None:
        if not 0 <= row < len(self.servers):
            return
        entry = self.servers[row]
        self.name.setText(entry.name)
        self.base_url.setText(entry.base_url)
        self.model.setCurrentText(entry.model)
        self.api_key.clear()
        self.api_key.setPlaceholderText("(saved)" if entry.key_in != "none" else "optional; kept in the system keyring")


def install_remote_servers(window: Any) -> None:
    """Model > Remote servers…; "Use in this window" loads ``remote:NAME`` for this session."""
    from PySide6.QtGui import QAction

    from llmdesk.core.settings import ModelSettings

    action = QAction(tr("&Remote servers…"), window)
    action.setStatusTip(tr("OpenAI-compatible servers (vLLM, SGLang, llama-server, Ollama, ...) as engines"))

    def open_dialog() -> None:
        dialog = RemoteServersDialog(window)
        dialog.use_server.connect(lambda name: window.load_model(ModelSettings(model=f"remote:{name}")))
        window.remote_servers_dialog = dialog
        dialog.open()

    action.triggered.connect(open_dialog)
    window.model_menu.addAction(action)
    window.remote_servers_action = action
