"""The saved server list and where API keys go: the keyring, a 0600 file only when the user agrees, else memory."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from llmdesk.core.remote_servers import KeyStore, ServerEntry, ServerListError, load_servers, save_servers, \
    servers_path

SECRET = "sk-live-abcdef0123456789"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def _empty_session() -> Iterator[None]:
    KeyStore._session.clear()
    yield
    KeyStore._session.clear()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_server_list_round_trip_holds_no_key(memory_keyring: MemoryKeyring) -> None:
    entries = [ServerEntry("lab vLLM", "http://127.0.0.1:8000/v1", "meta-llama/Llama-3.1-70B", "keyring"),
               ServerEntry("llama", "http://127.0.0.1:8080/v1")]
    save_servers(entries)
    KeyStore().set("lab vLLM", SECRET)
    assert load_servers() == entries
    assert SECRET not in servers_path().read_text()


def test_bad_entries_name_the_field() -> None:
    with pytest.raises(ServerListError, match="base_url"):
        ServerEntry("x", "127.0.0.1:8000/v1")
    with pytest.raises(ServerListError, match="name"):
        ServerEntry("", "http://127.0.0.1/v1")
    with pytest.raises(ServerListError, match="same name"):
        save_servers([ServerEntry("a", "http://h/v1"), ServerEntry("a", "http://g/v1")])


def test_key_goes_to_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    assert store.keyring_available()
    assert store.set("lab", SECRET) == "keyring"
    assert memory_keyring.store[("llmdesk", "lab")] == SECRET
    assert KeyStore().get("lab") == SECRET  # a new session finds it
    assert not store.file.exists()
    store.delete("lab")
    assert KeyStore().get("lab") is None


def test_without_keyring_the_key_lasts_for_the_session_only(no_keyring: None) -> None:
    store = KeyStore()
    assert not store.keyring_available()
    assert store.set("lab", SECRET) == "session"
    assert store.get("lab") == SECRET and KeyStore().get("lab") == SECRET  # the whole process sees it ...
    assert not store.file.exists()
    KeyStore._session.clear()  # ... and a new process (an empty session) does not
    assert KeyStore().get("lab") is None


def test_without_keyring_a_file_with_mode_0600_when_the_user_agrees(no_keyring: None) -> None:
    store = KeyStore()
    assert store.set("lab", SECRET, allow_file=True) == "file"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert json.loads(store.file.read_text()) == {"lab": SECRET}
    assert KeyStore().get("lab") == SECRET
    store.delete("lab")
    assert KeyStore().get("lab") is None
