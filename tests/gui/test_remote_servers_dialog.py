"""Model > Remote servers…: check (with a clear status for each failure), save with the key in the keyring or, with
no keyring, only where the user agrees; "Use in this window" connects the window to the server."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

from llmdesk.core.remote_servers import KeyStore, load_servers
from llmdesk.gui.models.remote_servers_dialog import RemoteServersDialog
from tests.support.fake_openai import MODEL, SECRET, FakeServer


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    KeyStore._session.clear()
    yield
    keyring.set_keyring(before)
    KeyStore._session.clear()


def _check(qtbot, dialog: RemoteServersDialog, url: str, model: str = "", key: str = "") -> str:
    dialog.name.setText("lab")
    dialog.base_url.setText(url)
    dialog.model.setCurrentText(model)
    dialog.api_key.setText(key)
    with qtbot.waitSignal(dialog.checked, timeout=20_000):
        dialog.check()
    qtbot.waitUntil(lambda: dialog.check_button.isEnabled(), timeout=5_000)
    return dialog.status.text()


def test_check_reports_each_failure_clearly(qtbot, fake: FakeServer, no_keyring) -> None:
    dialog = RemoteServersDialog()
    qtbot.addWidget(dialog)
    assert _check(qtbot, dialog, fake.url("ok")) == f"lab: ready ({MODEL})."
    assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [MODEL]
    assert _check(qtbot, dialog, fake.url("ok"), "other").startswith("Model missing")
    assert "end in /v1" in _check(qtbot, dialog, fake.url("nomodels"))
    text = _check(qtbot, dialog, fake.url("auth"), key="sk-wrong-123456")
    assert text.startswith("API key refused (401)") and "sk-wrong-123456" not in text
    assert "ready" in _check(qtbot, dialog, fake.url("auth"), key=SECRET)
    assert _check(qtbot, dialog, "http://127.0.0.1:9/v1").startswith("Unreachable")


def test_without_keyring_the_key_stays_in_memory_unless_the_user_agrees(qtbot, fake: FakeServer, no_keyring,
                                                                        monkeypatch) -> None:
    dialog = RemoteServersDialog()
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "ask_store_in_file", lambda: False)
    dialog.name.setText("lab")
    dialog.base_url.setText(fake.url("auth"))
    dialog.model.setCurrentText(MODEL)
    dialog.api_key.setText(SECRET)
    assert dialog.save()
    assert "session only" in dialog.status.text()
    assert load_servers()[0].key_in == "session"
    assert KeyStore().get("lab") == SECRET and not KeyStore().file.exists()

    monkeypatch.setattr(dialog, "ask_store_in_file", lambda: True)
    dialog.api_key.setText(SECRET)
    assert dialog.save()
    file = KeyStore().file
    assert stat.S_IMODE(file.stat().st_mode) == 0o600 and json.loads(file.read_text()) == {"lab": SECRET}
    assert SECRET not in (file.parent / "servers.json").read_text()


def test_bad_entry_is_not_saved(qtbot, no_keyring) -> None:
    dialog = RemoteServersDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("lab")
    dialog.base_url.setText("localhost:8000")
    assert not dialog.save() and "base_url" in dialog.status.text()
    assert load_servers() == []
