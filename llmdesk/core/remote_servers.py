"""The list of remote servers (name, base URL, model) and their API keys.

The list is ``servers.json`` in the config folder. Keys never go there: they are kept in the system keyring through
the ``keyring`` library (service ``llmdesk``, user = the server's name). With no keyring available the caller is
told (:meth:`KeyStore.keyring_available`) and the key is kept for this session only, unless the user agrees to
``allow_file``: then it goes to ``api_keys.json`` in the config folder with file mode 0600. No Qt, no torch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llmdesk.core import paths
from llmdesk.core.atomic import atomic_write_text

log = logging.getLogger(__name__)

KEYRING_SERVICE = "llmdesk"
NAME_RE = re.compile(r"^[\w .@:-]{1,64}$")


class ServerListError(ValueError):
    """A server entry that cannot be saved; the message names the field and the problem."""


@dataclass(frozen=True)
class ServerEntry:
    """One remote server as the user saved it. ``key_in``: where its API key is ("none", "keyring", "file", or
    "session" for a key held in memory only)."""

    name: str
    base_url: str
    model: str = ""
    key_in: str = "none"

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ServerListError(f"name: 1 to 64 letters, digits, spaces or . @ : - _ (got {self.name!r})")
        if not re.match(r"^https?://[^\s/]+", self.base_url):
            raise ServerListError(f"base_url: must start with http:// or https:// and name a host (got "
                                  f"{self.base_url!r})")


def servers_path() -> Path:
    return paths.config_dir() / "servers.json"


def load_servers(path: Path | None = None) -> list[ServerEntry]:
    """The saved servers; a missing file is an empty list, a broken entry is skipped with a log warning."""
    path = path or servers_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return []
    out: list[ServerEntry] = []
    for item in data.get("servers", []) if isinstance(data, dict) else []:
        try:
            out.append(ServerEntry(**{k: str(v) for k, v in item.items() if k in ("name", "base_url", "model",
                                                                                  "key_in")}))
        except (TypeError, ServerListError) as exc:
            log.warning("skipping a server entry in %s: %s", path, exc)
    return out


def save_servers(entries: list[ServerEntry], path: Path | None = None) -> None:
    """Write the list atomically. Raises :class:`llmdesk.core.atomic.WriteError`."""
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ServerListError("name: two servers have the same name")
    atomic_write_text(path or servers_path(), json.dumps({"servers": [asdict(e) for e in entries]}, indent=2))


def find_server(name: str, path: Path | None = None) -> ServerEntry | None:
    return next((e for e in load_servers(path) if e.name == name), None)


class KeyStore:
    """API keys by server name: keyring first, then (only if the user agreed) a 0600 file, else this session.

    Args:
        folder: where ``api_keys.json`` goes (default: the config folder).
    """

    # Keys kept for this session only: shared by every KeyStore in the process (the window's dialog sets one, the
    # model thread's engine reads it), gone when the process ends.
    _session: dict[str, str] = {}

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.config_dir()

    @property
    def file(self) -> Path:
        return self.folder / "api_keys.json"

    @staticmethod
    def keyring_available() -> bool:
        """Whether a real system keyring is there (not keyring's "fail" or "null" backends)."""
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
        except Exception:  # noqa: BLE001 - no keyring, however it fails
            return False
        if isinstance(backend, fail.Keyring) or type(backend).__module__.startswith("keyring.backends.null"):
            return False
        return float(getattr(backend, "priority", 1) or 0) > 0

    def set(self, name: str, key: str, *, allow_file: bool = False) -> str:
        """Keep ``key`` for server ``name``; returns where: "keyring", "file" or "session"."""
        self.delete(name)
        if self.keyring_available():
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, name, key)
                return "keyring"
            except Exception as exc:  # noqa: BLE001 - fall through to the next place; the key is not logged
                log.warning("the keyring refused the key for %s: %s", name, type(exc).__name__)
        if allow_file:
            keys = self._file_keys()
            keys[name] = key
            self._write_file(keys)
            return "file"
        self._session[name] = key
        return "session"

    def get(self, name: str) -> str | None:
        if name in self._session:
            return self._session[name]
        if self.keyring_available():
            with contextlib.suppress(Exception):
                import keyring

                key = keyring.get_password(KEYRING_SERVICE, name)
                if key:
                    return key
        return self._file_keys().get(name)

    def delete(self, name: str) -> None:
        self._session.pop(name, None)
        if self.keyring_available():
            with contextlib.suppress(Exception):
                import keyring

                keyring.delete_password(KEYRING_SERVICE, name)
        keys = self._file_keys()
        if name in keys:
            del keys[name]
            self._write_file(keys)

    def _file_keys(self) -> dict[str, str]:
        try:
            data: Any = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, keys: dict[str, str]) -> None:
        atomic_write_text(self.file, json.dumps(keys))  # a mkstemp file: created with mode 0600
        os.chmod(self.file, 0o600)
