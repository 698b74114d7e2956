"""One window per profile: a second ``llmdesk`` on the same profile hands over to the window already open.

Two windows on one profile would each miss the other's conversations, answering in one conversation from both
would make silent branches, and settings saved by one would be lost by the other. So the first window owns the
profile (its data folder) and a later launch only passes its options (``--model``, ``--device``, ``--dtype``) to
it and brings it to the front.

* Ownership is a lock file, ``<data folder>/window.lock``, held with :mod:`filelock` for the window's lifetime.
  The operating system drops it when the process ends in any way, so a crash never leaves a profile locked.
* The channel is a :class:`QLocalServer` (a Unix socket or a Windows named pipe) named after a hash of the data
  folder, readable by the user only. A socket file left by a crashed window is removed
  (:meth:`QLocalServer.removeServer`) by the next owner, which knows nobody answers on it because it got the lock.
* The owner also writes ``<data folder>/window.json`` (its process id and the socket's full name), so a launch
  with another temporary folder (``TMPDIR``) still finds the socket.

Protocol: the new launch sends one line of JSON, ``{"llmdesk": 1, "pid": N, "options": {...}}``; the owner
answers one line, ``{"ok": true, "pid": M}`` (or ``{"ok": false, "error": "..."}``) and applies the options.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from llmdesk.core.atomic import atomic_write_text

log = logging.getLogger(__name__)

PROTOCOL = 1
MAX_MESSAGE_BYTES = 64 * 1024
OPTION_NAMES = ("model", "device", "dtype")


def server_name(data_dir: Path) -> str:
    """The local socket's name for a profile: ``llmdesk-`` and a hash of its data folder (16 hex digits)."""
    key = os.path.normcase(str(Path(data_dir).expanduser().resolve()))
    return "llmdesk-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class HandOverResult:
    """What a hand-over did.

    Attributes:
        ok: the owner took the options.
        owner_pid: the owner's process id, when known.
        error: why it failed (for the user), or None.
        owner_gone: the owner ended meanwhile and the lock is now this process's: open the window here.
    """

    ok: bool
    owner_pid: int | None = None
    error: str | None = None
    owner_gone: bool = False


class ProfileLock:
    """The lock that makes a window the owner of a profile.

    Args:
        data_dir: the profile's data folder (created if needed).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.lock_path = self.data_dir / "window.lock"
        self.info_path = self.data_dir / "window.json"
        self.name = server_name(self.data_dir)
        self._lock: FileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self) -> bool:
        """Take the lock without waiting. True: this process owns the profile (also when the lock cannot be made
        at all, say on a read-only folder: the window then opens unguarded, as before). False: another running
        window owns it."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.lock_path, thread_local=False)
            lock.acquire(timeout=0)
        except Timeout:
            return False
        except OSError as exc:
            log.warning("cannot lock the profile (%s): another window could open on it", exc)
            return True
        self._lock = lock
        return True

    def publish(self, full_server_name: str) -> None:
        """Write ``window.json`` so later launches find this window's socket (best effort)."""
        try:
            atomic_write_text(self.info_path, json.dumps({"pid": os.getpid(), "server": full_server_name}))
        except OSError as exc:
            log.warning("cannot write %s: %s", self.info_path, exc)

    def owner_info(self) -> dict[str, Any]:
        """What the owner published (``pid``, ``server``), or {}."""
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def release(self) -> None:
        """Give the profile up (safe to call twice)."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if self.owner_info().get("pid") == os.getpid():
            with contextlib.suppress(OSError):
                self.info_path.unlink()
        with contextlib.suppress(OSError):
            lock.release()


def hand_over(lock: ProfileLock, options: dict[str, str], *, timeout_s: float = 20.0) -> HandOverResult:
    """Send ``options`` to the window that owns ``lock``'s profile (it may still be starting: connecting is retried
    until ``timeout_s``; if it ends meanwhile, ``lock`` is taken and the result says ``owner_gone``). No event loop
    is needed.

    Returns:
        The result; ``error`` says what went wrong when ``ok`` is False.
    """
    deadline = time.monotonic() + timeout_s
    message = json.dumps({"llmdesk": PROTOCOL, "pid": os.getpid(), "options": options}).encode("utf-8") + b"\n"
    socket = QLocalSocket()
    owner_pid: int | None = None
    while True:
        info = lock.owner_info()
        owner_pid = info.get("pid") if isinstance(info.get("pid"), int) else None
        names = [str(info["server"])] if isinstance(info.get("server"), str) else []
        names.append(lock.name)
        for name in dict.fromkeys(names):
            socket.connectToServer(name)
            if socket.waitForConnected(500):
                break
            socket.abort()
        if socket.state() == QLocalSocket.LocalSocketState.ConnectedState:
            break
        if lock.acquire():
            return HandOverResult(False, owner_pid, None, owner_gone=True)
        if time.monotonic() > deadline:
            return HandOverResult(False, owner_pid, "it does not answer")
        time.sleep(0.1)  # the owner took the lock but is not listening yet
    socket.write(message)
    if not socket.waitForBytesWritten(2000):
        return HandOverResult(False, owner_pid, f"could not send to it: {socket.errorString()}")
    answer = b""
    while not answer.endswith(b"\n"):
        if socket.bytesAvailable():  # the answer may have come in while the request was being written
            answer += bytes(socket.readAll().data())
            continue
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not socket.waitForReadyRead(max(1, left_ms)):
            return HandOverResult(False, owner_pid, "it took the request but did not answer")
    socket.disconnectFromServer()
    try:
        reply = json.loads(answer)
    except ValueError:
        return HandOverResult(False, owner_pid, "its answer was unreadable")
    pid = reply.get("pid") if isinstance(reply.get("pid"), int) else owner_pid
    if not reply.get("ok"):
        return HandOverResult(False, pid, str(reply.get("error") or "it refused the request"))
    return HandOverResult(True, pid)


def claim_profile(data_dir: Path, overrides: dict[str, str]) -> tuple[ProfileLock, int | None]:
    """Take the profile for a new window, or hand this launch's flags to the window that has it.

    Args:
        data_dir: the profile's data folder.
        overrides: the launch's ``model``/``device``/``dtype`` flags (a ``model`` that names a local folder is sent
            as a full path, since the open window has another working folder).

    Returns:
        (the lock, None): this process owns the profile; open the window, and release the lock when it closes.
        (the lock, exit code): handed over (0; a line on stderr says to which process) or the owner did not answer
        (1, with the reason on stderr); do not open a window.
    """
    lock = ProfileLock(data_dir)
    if lock.acquire():
        return lock, None
    options = dict(overrides)
    model = options.get("model")
    if model and os.path.isdir(os.path.expanduser(model)):
        options["model"] = os.path.abspath(os.path.expanduser(model))
    result = hand_over(lock, options)
    if result.owner_gone:
        return lock, None
    owner = f" (process {result.owner_pid})" if result.owner_pid else ""
    if not result.ok:
        print(f"llmdesk: a window is already open for this profile{owner}, but {result.error}. Close it (or end "
              f"that process) and start llmdesk again; the profile's data folder is {lock.data_dir}.",
              file=sys.stderr)
        return lock, 1
    passed = " ".join(f"--{k} {v}" for k, v in options.items())
    print(f"llmdesk: already open for this profile{owner}; brought its window to the front"
          + (f" and passed it {passed}" if passed else ""), file=sys.stderr)
    return lock, 0


class InstanceServer(QObject):
    """Listens for later launches on the owner's side and emits their options.

    Signals:
        options_received(dict): a later launch handed over; its options (``model``, ``device``, ``dtype``, only
            those it was given), already checked to be strings.
    """

    options_received = Signal(dict)

    def __init__(self, lock: ProfileLock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lock = lock
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Listen on the profile's name; a socket left by a crashed owner is removed first (only the lock holder
        calls this, so nobody else is answering on it). Returns whether it listens."""
        QLocalServer.removeServer(self.lock.name)
        if not self.server.listen(self.lock.name):
            log.warning("cannot listen for other launches on %s: %s", self.lock.name, self.server.errorString())
            return False
        self.lock.publish(self.server.fullServerName())
        return True

    def close(self) -> None:
        self.server.close()

    @Slot()
    def _on_new_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            if socket.bytesAvailable():  # the request came with the connection: no readyRead will follow
                self._on_ready_read(socket)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        with contextlib.suppress(RuntimeError):  # already deleted with the server
            socket.deleteLater()

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE_BYTES:
                self._answer(socket, {"ok": False, "error": "the request is too long"})
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            options = parse_request(line)
        except ValueError as exc:
            self._answer(socket, {"ok": False, "error": str(exc)})
            return
        self._answer(socket, {"ok": True, "pid": os.getpid()})
        self.options_received.emit(options)

    def _answer(self, socket: QLocalSocket, reply: dict[str, Any]) -> None:
        self._buffers.pop(socket, None)
        socket.write(json.dumps(reply).encode("utf-8") + b"\n")
        socket.flush()
        socket.disconnectFromServer()


def parse_request(line: bytes) -> dict[str, str]:
    """The options in one request line.

    Raises:
        ValueError: not JSON, another protocol version, or options that are not text.
    """
    try:
        request = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"the request is not JSON ({exc})") from exc
    if not isinstance(request, dict) or request.get("llmdesk") != PROTOCOL:
        raise ValueError(f"the request is not an llmdesk hand-over (protocol {PROTOCOL})")
    options = request.get("options") or {}
    if not isinstance(options, dict):
        raise ValueError("the request's options are not a mapping")
    out: dict[str, str] = {}
    for name, value in options.items():
        if name not in OPTION_NAMES:
            raise ValueError(f"unknown option {name!r}")
        if not isinstance(value, str):
            raise ValueError(f"option {name!r} must be text")
        out[name] = value
    return out
