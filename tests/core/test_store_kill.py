"""Killing the process while a reply streams into the store: a real subprocess, SIGKILL, then reopen."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmdesk.core.store import INTERRUPTED_ERROR, ConversationStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

# The child streams "w0 w1 w2 ..." into a reply through a ReplyCheckpointer, printing what it generated and what
# it saved, until it is killed.
CHILD = r"""
import sys, time
from llmdesk.core.conversation import Message
from llmdesk.core.store import ConversationStore, ReplyCheckpointer

db, interval, pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
store = ConversationStore(db)
conv = store.create_conversation()
user = Message("user", "Tell me a long story")
store.add_message(conv.id, user)
reply = Message("assistant", "", parent_id=user.id)
store.add_message(conv.id, reply)
print("START", conv.id, reply.id, flush=True)
cp = ReplyCheckpointer(store, reply.id, interval_s=interval)
i = 0
last_report = 0.0
while True:
    if cp.append(f"w{i} "):
        print("SAVED", len(cp.text), flush=True)
    i += 1
    now = time.monotonic()
    if now - last_report >= 0.05:
        print("GEN", len(cp.text), flush=True)
        last_report = now
    if pause:
        time.sleep(pause)
"""


def expected_prefix(text: str) -> bool:
    """True when ``text`` is exactly "w0 w1 ... wN " for some N (or empty)."""
    words = text.split(" ")
    return words[-1] == "" and all(w == f"w{i}" for i, w in enumerate(words[:-1]))


class Child:
    def __init__(self, db: Path, interval: float, pause: float) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(interval), str(pause)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            words = line.split()
            if line.endswith("\n") and len(words) >= 2:  # the kill can cut the last line short
                self.lines.append((time.monotonic(), words))

    def wait_for(self, predicate, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(f"child exited early: {self.proc.stderr.read()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("child did not get going in time")
            time.sleep(0.01)

    def saves(self) -> list[int]:
        return [int(words[1]) for _, words in list(self.lines) if words[0] == "SAVED"]

    def kill(self) -> float:
        os.kill(self.proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        self.proc.wait(10)
        self._reader.join(10)
        assert self.proc.returncode == -signal.SIGKILL
        return killed_at

    def ids(self) -> tuple[str, str]:
        words = next(words for _, words in self.lines if words[0] == "START")
        return words[1], words[2]


def check_reopened(db: Path, conv_id: str, reply_id: str, min_len: int) -> str:
    with ConversationStore(db) as store:
        assert store.notice is None
        assert store.integrity_check() == ["ok"]
        conv = store.load_conversation(conv_id)
        user, reply = conv.path()
        assert user.content == "Tell me a long story"
        assert reply.id == reply_id
        assert expected_prefix(reply.content), reply.content[-80:]
        assert len(reply.content) >= min_len
        assert reply.stop_reason == "error" and reply.meta["error"] == INTERRUPTED_ERROR
        return reply.content


def test_sigkill_while_streaming_loses_at_most_the_last_interval(tmp_path: Path):
    db = tmp_path / "kill.sqlite3"
    interval = 1.0
    child = Child(db, interval=interval, pause=0.002)
    child.wait_for(lambda: len(child.saves()) >= 2)
    time.sleep(random.uniform(0.3, 0.9))
    killed_at = child.kill()
    conv_id, reply_id = child.ids()
    # everything generated more than one interval (plus scheduling slack) before the kill must be saved
    slack = 0.75  # scheduling and pipe latency on a loaded machine
    generated_before = [int(w[1]) for t, w in child.lines if w[0] == "GEN" and t <= killed_at - interval - slack]
    must_have = max([0, *child.saves(), *generated_before])
    check_reopened(db, conv_id, reply_id, must_have)


def test_repeated_sigkill_mid_write_never_corrupts(tmp_path: Path):
    db = tmp_path / "kill.sqlite3"
    rng = random.Random(1234)
    for _round in range(4):
        # interval 0: a transaction for every piece, so the kill lands inside writes
        child = Child(db, interval=0.0, pause=0.0)
        child.wait_for(lambda c=child: len(c.saves()) >= 20)
        time.sleep(rng.uniform(0.0, 0.15))
        child.kill()
        conv_id, reply_id = child.ids()
        check_reopened(db, conv_id, reply_id, max(child.saves()))
    with ConversationStore(db) as store:
        assert store.conversation_count() == 4
        assert store.search("w1")  # the search index survived the kills too
        assert store.integrity_check() == ["ok"]
