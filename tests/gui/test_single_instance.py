"""One profile, one owner: a second ``llmdesk`` hands over to the window already open on the profile, and command-
line work (export, import) runs while that window streams a reply without marking the reply interrupted.

The process tests start real ``llmdesk`` processes: the first is a window (``tests/support/window_child.py``: the real
``llmdesk`` main with the scripted engine), the later ones are plain ``python -m llmdesk``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmdesk.core import paths

from tests.support.window_process import ROOT, Window, env


def llmdesk(*argv: str, cwd: Path = ROOT, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmdesk", *argv], cwd=cwd, env=env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def window_proc():
    made: list[Window] = []

    def start(*argv: str, **extra_env: str) -> Window:
        made.append(Window(*argv, **extra_env))
        return made[-1]

    yield start
    for w in made:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.communicate()


@pytest.mark.slow
def test_a_second_launch_hands_over_to_the_open_window(window_proc, tmp_path: Path):
    first = window_proc("--model", "first/model", "--device", "cpu")
    first.wait_for("LOADED", "first/model")

    t0 = time.monotonic()
    second = llmdesk("--model", "second/model")
    took = time.monotonic() - t0
    assert second.returncode == 0, second.stderr
    assert "already open for this profile" in second.stderr and "--model second/model" in second.stderr
    assert f"(process {first.proc.pid})" in second.stderr
    assert json.loads(first.wait_for("HANDOVER")) == {"model": "second/model"}
    first.wait_for("LOADED", "second/model")  # the open window took the option and loaded that model

    # A local folder named relative to the second launch's working folder reaches the window as a full path.
    folder = tmp_path / "my model"
    folder.mkdir()
    third = llmdesk("--model", "my model", "--dtype", "float32", cwd=tmp_path)
    assert third.returncode == 0, third.stderr
    first.wait_for("LOADED", str(folder))
    assert json.loads(first.find("HANDOVER")[1]) == {"model": str(folder), "dtype": "float32"}

    # No flags: the window only comes to the front; nothing is reloaded.
    assert llmdesk().returncode == 0
    deadline = time.monotonic() + 30
    while len(first.find("HANDOVER")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(first.find("HANDOVER")[2]) == {}
    assert first.find("LOADED") == ["first/model", "second/model", str(folder)]
    assert first.proc.poll() is None  # still the one window

    code, err = first.stop()
    assert code == 0 and "Traceback" not in err, err
    # The profile is free again: the next launch opens its own window.
    own = llmdesk("--measure-startup")
    assert own.returncode == 0 and "window shown" in own.stdout, own.stderr
    print(f"hand-over took {took:.2f} s (process start to exit, on this machine)")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_window_killed_leaves_no_stale_owner(window_proc):
    first = window_proc("--model", "first/model")
    first.wait_for("LOADED", "first/model")
    socket_info = json.loads((paths.data_dir() / "window.json").read_text())
    assert socket_info["pid"] == first.proc.pid
    first.proc.kill()
    first.proc.communicate()
    if os.name == "posix":
        assert Path(socket_info["server"]).exists()  # the socket file the dead window left behind
    # Nobody answers on the stale socket: the next launch becomes the owner and opens its window.
    later = window_proc("--model", "later/model")
    later.wait_for("LOADED", "later/model")
    assert json.loads((paths.data_dir() / "window.json").read_text())["pid"] == later.proc.pid
    # ... and it answers a hand-over.
    again = llmdesk("--model", "third/model")
    assert again.returncode == 0, again.stderr
    later.wait_for("LOADED", "third/model")
    code, err = later.stop()
    assert code == 0, err


def reply_row(message_id: str) -> tuple[str | None, dict]:
    """The reply's stop reason and stored meta, read straight from the database (read-only)."""
    db = paths.database_path()
    with sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True) as conn:
        stop, meta = conn.execute("SELECT stop_reason, meta FROM messages WHERE id = ?", (message_id,)).fetchone()
    return stop, json.loads(meta)


@pytest.mark.slow
def test_export_and_import_while_the_window_streams_leave_the_reply_alone(window_proc, tmp_path: Path):
    # About 12 s of reply: 480 pieces at 40 a second (under the default limit of 500 new tokens).
    first = window_proc("--model", "first/model", LLMDESK_CHILD_PROMPT="Tell me a long story",
                        LLMDESK_CHILD_TOKENS="480", LLMDESK_CHILD_RATE="40")
    conv_id, reply_id = first.wait_for("STREAMING").split()

    t_export = time.monotonic()
    out = tmp_path / "all.json"
    exported = llmdesk("export", "--all", "--format", "json", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert not first.find("FINISHED"), "the reply ended before the export ran; make it longer"
    # What the export opened did not close the reply as cut off: it is still being written.
    stop, meta = reply_row(reply_id)
    assert stop is None and "interrupted" not in meta and "error" not in meta
    data = json.loads(out.read_text())
    saved = next(m for c in data["conversations"] if c["id"] == conv_id for m in c["messages"] if m["id"] == reply_id)
    assert saved["stop_reason"] is None and "interrupted" not in saved["meta"] and "writer" not in saved["meta"]

    source = tmp_path / "chat.jsonl"
    source.write_text(json.dumps({"messages": [{"role": "user", "content": "imported question"},
                                               {"role": "assistant", "content": "imported answer"}]}) + "\n")
    imported = llmdesk("import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert not first.find("FINISHED"), "the reply ended before the import ran; make it longer"
    print(f"export + import took {time.monotonic() - t_export:.2f} s while the reply streamed")
    assert reply_row(reply_id)[0] is None

    assert first.wait_for("FINISHED").split() == [reply_id, "eos"]  # all 480 pieces
    stop, meta = reply_row(reply_id)
    assert stop == "eos" and "interrupted" not in meta and "error" not in meta and "writer" not in meta
    assert meta["stats"]["new_tokens"] == 480
    # The window noticed the imported conversation (its list was reloaded with both conversations).
    first.wait_for("LISTED", "2", timeout=30)
    code, err = first.stop()
    assert code == 0 and "Traceback" not in err, err
    assert reply_row(reply_id)[0] == "eos"


# -- in-process pieces ------------------------------------------------------------------------------------------

def test_server_names_follow_the_data_folder(tmp_path: Path):
    from llmdesk.gui.single_instance import server_name

    a, b = tmp_path / "a", tmp_path / "b"
    assert server_name(a) == server_name(tmp_path / "x" / ".." / "a")
    assert server_name(a) != server_name(b)
    assert server_name(a).startswith("llmdesk-") and len(server_name(a)) == 24


@pytest.mark.parametrize("line, message", [
    (b"not json", "not JSON"),
    (b'{"llmdesk": 2, "options": {}}', "not an llmdesk hand-over"),
    (b'["llmdesk"]', "not an llmdesk hand-over"),
    (b'{"llmdesk": 1, "options": ["--model"]}', "not a mapping"),
    (b'{"llmdesk": 1, "options": {"system_prompt": "x"}}', "unknown option 'system_prompt'"),
    (b'{"llmdesk": 1, "options": {"model": 3}}', "option 'model' must be text"),
])
def test_bad_requests_are_refused_with_the_reason(line: bytes, message: str):
    from llmdesk.gui.single_instance import parse_request

    with pytest.raises(ValueError, match=message):
        parse_request(line)
    assert parse_request(b'{"llmdesk": 1, "pid": 5, "options": {"model": "m", "dtype": "bfloat16"}}') == \
        {"model": "m", "dtype": "bfloat16"}


HAND_OVER = r"""
import json, sys
from pathlib import Path
from llmdesk.gui.single_instance import ProfileLock, hand_over
lock = ProfileLock(Path(sys.argv[1]))
assert not lock.acquire()
print(json.dumps(hand_over(lock, json.loads(sys.argv[2]), timeout_s=20).__dict__))
"""


def test_the_lock_has_one_holder_and_a_hand_over_reaches_the_server(qtbot, tmp_path: Path):
    from llmdesk.gui.single_instance import InstanceServer, ProfileLock

    owner = ProfileLock(tmp_path / "profile")
    assert owner.acquire() and owner.held
    later = ProfileLock(tmp_path / "profile")
    assert not later.acquire() and not later.held
    server = InstanceServer(owner)
    assert server.listen()
    received: list[dict] = []
    server.options_received.connect(received.append)
    # The sender blocks in Qt calls that hold the GIL, so it runs in a process of its own while this event loop
    # serves it.
    for options in ({"model": "m"}, {}):
        sender = subprocess.Popen([sys.executable, "-c", HAND_OVER, str(tmp_path / "profile"), json.dumps(options)],
                                  stdout=subprocess.PIPE, text=True, env=env())
        qtbot.waitUntil(lambda s=sender: s.poll() is not None, timeout=60000)
        result = json.loads(sender.stdout.read())
        assert result == {"ok": True, "owner_pid": os.getpid(), "error": None, "owner_gone": False}
    assert received == [{"model": "m"}, {}]
    server.close()
    owner.release()
    assert not (tmp_path / "profile" / "window.json").exists()
    assert later.acquire()  # free again
    later.release()


def test_a_launch_waits_for_an_owner_that_is_still_starting(qtbot, tmp_path: Path):
    from PySide6.QtCore import QTimer

    from llmdesk.gui.single_instance import InstanceServer, ProfileLock

    owner = ProfileLock(tmp_path)
    assert owner.acquire()
    (tmp_path / "window.json").write_text('{"pid": 1, "server": "llmdesk-test-left-by-a-crash"}')  # stale
    sender = subprocess.Popen([sys.executable, "-c", HAND_OVER, str(tmp_path), '{"device": "cpu"}'],
                              stdout=subprocess.PIPE, text=True, env=env())
    server = InstanceServer(owner)
    received: list[dict] = []
    server.options_received.connect(received.append)
    QTimer.singleShot(1500, server.listen)  # the window is still being built when the launch comes
    qtbot.waitUntil(lambda: sender.poll() is not None, timeout=60000)
    assert json.loads(sender.stdout.read())["ok"]
    assert received == [{"device": "cpu"}]
    server.close()
    owner.release()


def test_a_hand_over_to_an_owner_that_ends_takes_the_profile(tmp_path: Path):
    from llmdesk.gui.single_instance import ProfileLock, hand_over

    owner = ProfileLock(tmp_path)
    assert owner.acquire()  # holds the lock but never listens (it is still starting) ...
    threading.Timer(0.5, owner.release).start()  # ... and then quits
    later = ProfileLock(tmp_path)
    result = hand_over(later, {}, timeout_s=20)
    assert result.owner_gone and not result.ok and later.held
    later.release()


def test_a_hand_over_to_an_owner_that_never_listens_fails_with_a_reason(tmp_path: Path):
    from llmdesk.gui.single_instance import ProfileLock, hand_over

    owner = ProfileLock(tmp_path)
    assert owner.acquire()
    owner.publish("llmdesk-test-nobody-listens")
    result = hand_over(ProfileLock(tmp_path), {"model": "m"}, timeout_s=0.5)
    assert not result.ok and not result.owner_gone and result.error == "it does not answer"
    assert result.owner_pid == os.getpid()
    owner.release()


def scripted_window(qtbot, *, start: bool = True):
    from llmdesk.core.settings import Settings
    from llmdesk.gui.app import build_window
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.chat.worker import EngineBackend

    engine = ScriptedEngine(reply="Hi.")
    settings = Settings()
    settings.model.model = "scripted/model"
    window = build_window(settings, save=None, remember_geometry=False,
                          backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                list_devices=engine.list_devices))
    qtbot.addWidget(window)
    window.show()
    if start:
        window.start()
        qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=5000)
    return window, engine


def test_launch_options_reload_only_a_different_model(qtbot):
    window, engine = scripted_window(qtbot)
    window.apply_launch_options({"model": "scripted/model"})
    window.apply_launch_options({})
    assert engine.calls == ["load:scripted/model"]
    with qtbot.waitSignal(window.controller.model_loaded, timeout=5000):
        window.apply_launch_options({"model": "other/model", "device": "cpu"})
    assert window.controller.model_info.model_id == "other/model"
    assert window.settings.model.model == "scripted/model"  # for this session only, like a start-up flag
    window.close()


def test_launch_options_before_the_engine_is_up_replace_the_model_to_load(qtbot):
    window, engine = scripted_window(qtbot, start=False)
    window.apply_launch_options({"model": "other/model"})
    window.start()
    qtbot.waitUntil(lambda: window.controller.model_info is not None, timeout=5000)
    assert engine.calls == ["load:other/model"]
    window.close()


def test_the_window_lists_conversations_another_process_added(qtbot):
    from llmdesk.core.store import ConversationStore

    window, _engine = scripted_window(qtbot)
    coordinator = window.conversations
    current = coordinator.current_id
    assert window.sidebar.model.rowCount() == 1
    assert not coordinator.check_external_changes()
    with ConversationStore() as other:  # e.g. `llmdesk import`, a separate connection
        other.create_conversation("From elsewhere")
    assert coordinator.check_external_changes()
    assert window.sidebar.model.rowCount() == 2
    assert window.sidebar.current_conversation_id() == current  # the selection stays on what is shown
    window.close()


def test_opening_a_conversation_leaves_a_reply_another_process_writes(qtbot, tmp_path: Path):
    from tests.core.test_store_writers import CHILD as WRITER

    from llmdesk.core.store import ConversationStore

    window, _engine = scripted_window(qtbot)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(paths.database_path())], stdout=subprocess.PIPE,
                            text=True, env=env())
    try:
        reply_id = proc.stdout.readline().strip()
        assert reply_id
        coordinator = window.conversations
        with ConversationStore() as probe:
            conv_id = probe.conversation_of(reply_id)
        assert coordinator.open_conversation(conv_id)
        assert window.controller.conversation.messages[reply_id].stop_reason is None
        assert reply_row(reply_id)[0] is None
    finally:
        proc.kill()
        proc.wait(10)
    window.close()
