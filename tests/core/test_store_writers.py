"""Crash recovery touches only replies whose writer is gone: a reply another running process is writing is left
alone when the database is opened (``llmdesk export`` while the window streams), one whose process died is closed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from llmdesk.core.conversation import Message
from llmdesk.core.store import INTERRUPTED_ERROR, WRITER_KEY, ConversationStore, ReplyCheckpointer

ROOT = Path(__file__).resolve().parents[2]


def start_reply(store: ConversationStore) -> tuple[str, Message]:
    conv = store.create_conversation()
    user = Message("user", "Tell me a story")
    store.add_message(conv.id, user)
    reply = Message("assistant", "", parent_id=user.id, meta={"model": "m"})
    store.add_message(conv.id, reply)
    return conv.id, reply


def raw_meta(db: Path, message_id: str) -> dict:
    with sqlite3.connect(db) as conn:
        return json.loads(conn.execute("SELECT meta FROM messages WHERE id = ?", (message_id,)).fetchone()[0])


def test_a_reply_being_written_survives_another_store_opening(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    writer = ConversationStore(db)
    conv_id, reply = start_reply(writer)
    cp = ReplyCheckpointer(writer, reply.id, interval_s=0)
    cp.append("Once upon")
    token = raw_meta(db, reply.id)[WRITER_KEY]
    assert token.startswith(f"{os.getpid()}-")
    with ConversationStore(db) as reader:  # what `llmdesk export` does while the window streams
        seen = reader.get_message(reply.id)
        assert seen.stop_reason is None and "error" not in seen.meta
        assert WRITER_KEY not in seen.meta  # bookkeeping stays inside the store
        assert reader.is_written_elsewhere(reply.id)
    assert not writer.is_written_elsewhere(reply.id)  # its own reply
    cp.append(" a time")
    cp.finish("eos", {"model": "m", "stop_reason": "eos"})
    with ConversationStore(db) as reader:
        done = reader.get_message(reply.id)
        assert (done.content, done.stop_reason, done.meta) == ("Once upon a time", "eos",
                                                               {"model": "m", "stop_reason": "eos"})
        assert not reader.is_written_elsewhere(reply.id)
    assert WRITER_KEY not in raw_meta(db, reply.id)
    writer.close()


def test_a_reply_left_unfinished_by_a_closed_store_is_closed_at_the_next_open(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    writer = ConversationStore(db)
    _conv_id, reply = start_reply(writer)
    writer.update_message(reply.id, content="partial")
    writer.close()  # its lock goes with it
    assert not any((tmp_path / "c.sqlite3-writers").iterdir())
    with ConversationStore(db) as store:
        cut = store.get_message(reply.id)
        assert cut.stop_reason == "error" and cut.meta["error"] == INTERRUPTED_ERROR and cut.meta["interrupted"]
        assert cut.content == "partial" and cut.meta["model"] == "m"
    assert WRITER_KEY not in raw_meta(db, reply.id)


def test_a_reused_process_id_does_not_keep_a_dead_reply_open(tmp_path: Path):
    """The token names a process that runs (this one) but nobody holds its lock: the writer is gone."""
    db = tmp_path / "c.sqlite3"
    with ConversationStore(db) as store:
        _conv_id, reply = start_reply(store)
    token = f"{os.getpid()}-0badf00d"
    folder = tmp_path / "c.sqlite3-writers"
    folder.mkdir(exist_ok=True)
    (folder / f"{token}.lock").write_text("")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE messages SET stop_reason = NULL, meta = ? WHERE id = ?",
                     (json.dumps({WRITER_KEY: token}), reply.id))
    with ConversationStore(db) as store:
        assert store.get_message(reply.id).stop_reason == "error"
    assert not (folder / f"{token}.lock").exists()  # the dead writer's file is cleaned up


@pytest.mark.parametrize("meta", [{}, {WRITER_KEY: "not a token/../x"}, {WRITER_KEY: 12}])
def test_replies_without_a_valid_writer_are_closed(tmp_path: Path, meta: dict):
    """Databases written before writers were recorded, and odd values, count as cut off."""
    db = tmp_path / "c.sqlite3"
    with ConversationStore(db) as store:
        _conv_id, reply = start_reply(store)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE messages SET meta = ? WHERE id = ?", (json.dumps(meta), reply.id))
    with ConversationStore(db) as store:
        assert store.get_message(reply.id).stop_reason == "error"


def test_meta_saved_mid_reply_keeps_the_writer_and_a_stop_reason_drops_it(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    with ConversationStore(db) as store:
        _conv_id, reply = start_reply(store)
        store.update_message(reply.id, meta={"model": "other", WRITER_KEY: "1-00000000"})
        assert raw_meta(db, reply.id)[WRITER_KEY] == store._writers.token
        assert store.get_message(reply.id).meta == {"model": "other"}
        store.update_message(reply.id, stop_reason="cancelled")
        assert raw_meta(db, reply.id) == {"model": "other"}


CHILD = r"""
import sys, time
from llmdesk.core.conversation import Message
from llmdesk.core.store import ConversationStore, ReplyCheckpointer
store = ConversationStore(sys.argv[1])
conv = store.create_conversation()
user = Message("user", "hi")
store.add_message(conv.id, user)
reply = Message("assistant", "", parent_id=user.id)
store.add_message(conv.id, reply)
ReplyCheckpointer(store, reply.id, interval_s=0).append("streaming")
print(reply.id, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_another_process_writing_keeps_its_reply_until_it_is_killed(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        reply_id = proc.stdout.readline().strip()
        assert reply_id, "the child did not start its reply"
        for _ in range(2):  # opening twice (two exports in a row) changes nothing either
            with ConversationStore(db) as store:
                live = store.get_message(reply_id)
                assert (live.content, live.stop_reason) == ("streaming", None)
                assert store.is_written_elsewhere(reply_id)
    finally:
        proc.kill()
        proc.wait(10)
    with ConversationStore(db) as store:
        assert not store.is_written_elsewhere(reply_id)
        cut = store.get_message(reply_id)
        assert (cut.content, cut.stop_reason, cut.meta["error"]) == ("streaming", "error", INTERRUPTED_ERROR)
    assert list((tmp_path / "c.sqlite3-writers").iterdir()) == []


def test_changes_from_another_connection_are_noticed(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    events = []
    with ConversationStore(db) as window:
        unsubscribe = window.subscribe(events.append)
        assert not window.changed_elsewhere()  # the first call takes note
        window.create_conversation()  # its own change
        assert not window.changed_elsewhere()
        with ConversationStore(db) as cli:
            cli.create_conversation()
        assert window.changed_elsewhere()
        assert not window.changed_elsewhere()
        assert [e.kind for e in events] == ["created", "reset"]
        assert window.conversation_count() == 2
        unsubscribe()


def test_lock_files_of_writers_that_ended_are_removed_at_open(tmp_path: Path):
    db = tmp_path / "c.sqlite3"
    folder = tmp_path / "c.sqlite3-writers"
    with ConversationStore(db) as store:
        start_reply(store)
        store.close()
    folder.mkdir(exist_ok=True)
    (folder / "99999999-deadbeef.lock").write_text("")  # a crashed writer's, its replies long closed
    (folder / "notes.txt").write_text("not ours")
    live = ConversationStore(db)
    _conv, reply = start_reply(live)  # holds its lock
    with ConversationStore(db):
        pass
    assert sorted(p.name for p in folder.iterdir()) == [f"{live._writers.token}.lock", "notes.txt"]
    assert live.get_message(reply.id).stop_reason is None
    live.close()
