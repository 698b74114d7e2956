"""``llmdesk search`` from the terminal, and the progress shown while an upgrade rebuilds the search index."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from llmdesk.__main__ import main
from llmdesk.core import paths
from llmdesk.core.store import MIGRATIONS

CASES = Path("/work/shared/cases")
if not CASES.exists():
    CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"


def test_search_prints_conversation_message_and_marked_snippet(capsys: pytest.CaptureFixture[str]):
    assert main(["import", str(CASES / "korean-midword-search.jsonl")]) == 0
    capsys.readouterr()
    assert main(["search", "베딩"]) == 0
    out = capsys.readouterr().out
    assert "임[베딩]은" in out and "user," in out and "1 hit" in out
    assert main(["search", "코더", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (hit,) = doc["hits"]
    assert hit["role"] == "assistant" and hit["conversation_title"].startswith("자연어처리는")
    assert [hit["snippet"][s:e] for s, e in hit["hits"]] == ["코더", "코더"]  # 인코더 and 디코더
    assert len(hit["message_id"]) == 32 and len(hit["conversation_id"]) == 32


def test_search_without_hits_says_so(capsys: pytest.CaptureFixture[str]):
    assert main(["search", "nothing", "here"]) == 1
    assert "No message holds “nothing here”" in capsys.readouterr().err
    assert main(["search", "nothing", "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"query": "nothing", "hits": []}
    assert main(["search", "x", "--limit", "0"]) == 2


def _version_2_database(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', 1, 2)")
    conn.executemany("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES (?, 'c1', 'user', ?, ?)",
                     [(f"m{k}", f"자연어처리 {k}", k) for k in range(n)])
    conn.execute("COMMIT")
    conn.close()


def test_cli_upgrade_prints_progress(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("llmdesk.core.store.schema.REINDEX_BATCH", 4)
    _version_2_database(paths.database_path(), 10)
    assert main(["search", "처리", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["hits"]) == 10
    assert "updating the search index: 10 of 10 messages" in captured.err


def test_window_upgrade_shows_a_progress_dialog(qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from PySide6.QtWidgets import QProgressDialog

    from llmdesk.gui import app

    values: list[int] = []
    original = QProgressDialog.setValue
    monkeypatch.setattr(QProgressDialog, "setValue", lambda self, v: (values.append(v), original(self, v))[1])
    monkeypatch.setattr("llmdesk.core.store.schema.REINDEX_BATCH", 5)
    monkeypatch.setattr(app, "UPGRADE_DIALOG_MIN_MESSAGES", 10)
    db = tmp_path / "v2.sqlite3"
    _version_2_database(db, 12)
    store, notice = app.open_store(db)
    try:
        assert notice is None and store is not None and len(store.search("처리")) == 12
    finally:
        store.close()
    assert values == [0, 5, 10, 12]
    values.clear()
    small = tmp_path / "small.sqlite3"
    _version_2_database(small, 3)
    store, _ = app.open_store(small)
    store.close()
    assert values == []  # a quick upgrade shows nothing
