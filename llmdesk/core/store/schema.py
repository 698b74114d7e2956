"""The database schema and the steps that upgrade an older database (``PRAGMA user_version``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from llmdesk.core import search_text
from llmdesk.core.store.records import StoreError

# -- schema -----------------------------------------------------------------------------------------------------

_SCHEMA_V1 = """
CREATE TABLE conversations (
    id              TEXT PRIMARY KEY NOT NULL,
    title           TEXT NOT NULL,
    title_is_auto   INTEGER NOT NULL DEFAULT 1,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    current_leaf_id TEXT,
    message_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_by_activity ON conversations (updated_at, id);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id       TEXT REFERENCES messages (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content         TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    stop_reason     TEXT,
    meta            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_unfinished ON messages (seq) WHERE role = 'assistant' AND stop_reason IS NULL;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
END;
"""

_SCHEMA_V2 = """
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a schema script statement by statement inside the caller's transaction (``executescript`` would
    commit first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise StoreError(f"incomplete schema statement: {statement.strip()[:80]}")


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    """Tables for conversations and messages, with the message counter kept by triggers."""
    _run_script(conn, _SCHEMA_V1)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Full-text search: an FTS5 index over the message text, kept in sync by triggers, built from what exists."""
    _run_script(conn, _SCHEMA_V2)


# Version 3: the search index finds any part of Chinese, Japanese, Korean and Thai text (see
# llmdesk.core.search_text). It is contentless: it holds llmdesk_index_text(content), a function each connection
# registers (ConversationStore._open), and snippets are made in Python from messages.content.
_SCHEMA_V3 = f"""
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
DROP TABLE IF EXISTS messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = '', tokenize = "{search_text.TOKENIZER}", prefix = '{search_text.PREFIX_INDEX}'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.seq, llmdesk_index_text(new.content));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.seq, llmdesk_index_text(old.content));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.seq, llmdesk_index_text(old.content));
    INSERT INTO messages_fts (rowid, body) VALUES (new.seq, llmdesk_index_text(new.content));
END;
"""

REINDEX_BATCH = 2000  # messages indexed between two progress reports

# Called as progress(done, total) while a migration rebuilds the search index (messages indexed so far, of total).
ProgressCallback = Callable[[int, int], None]


def register_functions(conn: sqlite3.Connection) -> None:
    """Give a connection the SQL function the search triggers call; every connection that writes messages needs it."""
    conn.create_function("llmdesk_index_text", 1, search_text.index_text, deterministic=True)


def _migrate_2_to_3(conn: sqlite3.Connection, progress: ProgressCallback | None = None) -> None:
    """Rebuild the search index so that it finds any part of CJK and Thai text, reporting progress."""
    _run_script(conn, _SCHEMA_V3)
    total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    done = 0
    last = 0
    if progress is not None and total:
        progress(0, total)
    while True:
        upto = conn.execute("SELECT max(seq) FROM (SELECT seq FROM messages WHERE seq > ? ORDER BY seq LIMIT ?)",
                            (last, REINDEX_BATCH)).fetchone()[0]
        if upto is None:
            break
        cur = conn.execute("INSERT INTO messages_fts (rowid, body) SELECT seq, llmdesk_index_text(content) "
                           "FROM messages WHERE seq > ? AND seq <= ?", (last, upto))
        done += max(cur.rowcount, 0)
        last = upto
        if progress is not None:
            progress(min(done, total), total)


# MIGRATIONS[n] upgrades a database at user_version n to n + 1; a step may take a progress callback.
MIGRATIONS: list[Callable[..., None]] = [_migrate_0_to_1, _migrate_1_to_2, _migrate_2_to_3]
SCHEMA_VERSION = len(MIGRATIONS)
