"""The conversation store: every conversation, with all its branches, in one SQLite database.

The database lives at :func:`llmdesk.core.paths.database_path` (under ``platformdirs.user_data_path("llmdesk")``).
It runs in WAL mode with ``synchronous=FULL`` and foreign keys on; every change is one transaction, so killing the
process at any moment leaves the database intact and holding everything committed before the kill. A streaming
reply is written through :class:`ReplyCheckpointer`: a save whenever the unsaved text is a second old (so a kill
loses at most the last second), and a last one with the stop reason and meta when the reply ends.

The schema is versioned with ``PRAGMA user_version`` and upgraded by the steps in :data:`MIGRATIONS`. Full-text
search uses an FTS5 index that triggers keep in sync; it finds words in any script, also inside Korean words and
Chinese and Japanese sentences (see :mod:`llmdesk.core.search_text`); hits come newest first. Opening a database of
an older schema rebuilds the index, reporting progress to the ``progress`` callback.

A database that cannot be read (not SQLite, damaged, from a newer llmdesk) is moved aside, together with its
``-wal`` and ``-shm`` files, under a new name; a fresh database is started and :attr:`ConversationStore.notice`
says what happened and where the old file went. The damaged file and its ``-wal`` are never written, overwritten
or deleted (the ``-shm``, SQLite's shared-memory index of the WAL that holds no data of its own, is updated by
the read-only check like by any reader, and moved along). Opening checks the header, schema version and schema
through a read-only connection, plus a full ``quick_check`` when the file is small or was not closed cleanly
(see :meth:`ConversationStore._needs_full_check`). A database another program keeps locked is reported with
:class:`StoreError` and left where it is.

Plain Python: no Qt, no torch. The list model in :mod:`llmdesk.gui.conversations.conversation_list` follows the store's changes
through :meth:`ConversationStore.subscribe`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Self

from llmdesk.core import paths, search_text
from llmdesk.core.conversation import ROLES, Conversation, Message
from llmdesk.core.store.records import ConversationSummary, SearchHit, StoreError, StoreEvent
from llmdesk.core.store.recovery import SQLITE_HEADER, _is_busy, _move_aside, _sidecars
from llmdesk.core.store.schema import MIGRATIONS, SCHEMA_VERSION, ProgressCallback, _migrate_2_to_3, register_functions
from llmdesk.core.writers import ReplyWriters

DEFAULT_TITLE = "New chat"
TITLE_MAX_CHARS = 60
FULL_CHECK_MAX_BYTES = 16 * 2**20  # databases up to this size get a full quick_check at every start
INTERRUPTED_ERROR = "llmdesk stopped before this reply finished; the text shown is what had been saved."
# In a streaming reply's stored meta: the token of the process writing it (llmdesk.core.writers), until it ends.
WRITER_KEY = "writer"

# Snippet markers: the hit is between HIT_START and HIT_END.
HIT_START = search_text.HIT_START
HIT_END = search_text.HIT_END



def auto_title(text: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """A conversation title made from the first user message: its first line, whitespace collapsed, cut at a word
    boundary with an ellipsis when longer than ``max_chars``; ``DEFAULT_TITLE`` when the text is blank."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    if not line:
        return DEFAULT_TITLE
    if len(line) <= max_chars:
        return line
    cut = line[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


fts_query = search_text.match_query  # what the user typed as an FTS5 query over the search index



def _summary_from_row(row: sqlite3.Row) -> ConversationSummary:
    return ConversationSummary(row["id"], row["title"], row["updated_at"], row["message_count"],
                               bool(row["title_is_auto"]))


def _meta_from_text(text: str | None) -> dict[str, Any]:
    try:
        meta = json.loads(text) if text else {}
    except ValueError:
        return {"unreadable_meta": text}
    return meta if isinstance(meta, dict) else {"value": meta}


def _message_from_row(row: sqlite3.Row) -> Message:
    meta = _meta_from_text(row["meta"])
    meta.pop(WRITER_KEY, None)  # the store's own bookkeeping (see ReplyWriters), not part of the message
    return Message(role=row["role"], content=row["content"], parent_id=row["parent_id"], id=row["id"],
                   created_at=row["created_at"], stop_reason=row["stop_reason"], meta=meta)


_SUMMARY_COLUMNS = "id, title, title_is_auto, updated_at, message_count"


class ConversationStore:
    """Conversations and their messages in SQLite.

    Use it from one thread (the GUI thread); each method is one transaction. Listeners registered with
    :meth:`subscribe` hear about changes that show in the conversation list.

    Args:
        path: the database file; default :func:`llmdesk.core.paths.database_path`.
        busy_timeout_s: how long to wait for another program that holds the database locked.
        progress: called as ``progress(done, total)`` (messages) while opening an older database rebuilds the search
            index (about 35 s per 100,000 messages on a busy 2-core machine). Not called otherwise.

    Attributes:
        path: the database file in use.
        notice: None, or a message for the user: the old database could not be read and was moved aside (the
            message names the new location); the app goes on with a fresh database.
        moved_aside: where the unreadable database was moved, or None.

    Raises:
        StoreError: the folder cannot be created, another program keeps the database locked (the file is left
            alone), or no database can be opened or created at all.
    """

    def __init__(self, path: Path | str | None = None, *, busy_timeout_s: float = 5.0,
                 progress: ProgressCallback | None = None) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self.busy_timeout_s = busy_timeout_s
        self._progress = progress
        self.notice: str | None = None
        self.moved_aside: Path | None = None
        self._listeners: list[Callable[[], Callable[[StoreEvent], None] | None]] = []
        self.journal_mode = ""
        self._data_version: int | None = None
        self._writers = ReplyWriters(self.path.with_name(self.path.name + "-writers"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the conversation database {self.path.parent}: "
                             f"{exc.strerror or exc}") from exc
        problem = self._check_existing(full=self._needs_full_check())
        if problem is None:
            try:
                self._conn = self._open()
                return
            except sqlite3.DatabaseError as exc:
                if _is_busy(exc):
                    raise self._busy_error(exc) from exc
                problem = ("damaged", f"it cannot be opened ({exc})")
        label, reason = problem
        self._set_aside(label, reason)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot create a new conversation database at {self.path}: {exc}") from exc

    # -- opening ----------------------------------------------------------------------------------------------
    @property
    def _check_marker(self) -> Path:
        return self.path.with_name(self.path.name + ".needs-check")

    def _needs_full_check(self) -> bool:
        """A full ``quick_check`` reads the whole file (about a second for 160 MB on a slow machine), so it runs
        when the file is small (up to :data:`FULL_CHECK_MAX_BYTES`, a few tens of milliseconds) or when there is
        reason to doubt it: a ``-wal`` file left behind (llmdesk did not close cleanly, or another instance has it
        open), or a marker left when an error said the file is damaged. Otherwise damage shows when a damaged
        page is read: the error asks for a restart, which then runs the full check."""
        try:
            if self.path.stat().st_size <= FULL_CHECK_MAX_BYTES or self._check_marker.exists():
                return True
            wal = self.path.with_name(self.path.name + "-wal")
            return wal.exists() and wal.stat().st_size > 0
        except OSError:
            return True

    def _check_existing(self, *, full: bool) -> tuple[str, str] | None:
        """Look at an existing database without changing it, through a read-only connection: the header, the
        schema version and the schema; with ``full`` also ``PRAGMA quick_check`` over every page.
        Returns None when it is usable, else (label for the moved-aside name, reason for the user)."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            return "unreadable", f"it cannot be read ({exc.strerror or exc})"
        if not head:
            return None  # an empty file is an empty database
        if head != SQLITE_HEADER:
            return "damaged", "it is not an SQLite database"
        conn = None
        existed = {p for p in _sidecars(self.path) if p.exists()}
        try:
            conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None,
                                   timeout=self.busy_timeout_s)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                return "newer", (f"it was written by a newer llmdesk (database schema {version}; this version reads "
                                 f"up to {SCHEMA_VERSION})")
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if version == 0 and names:
                return "foreign", "it is an SQLite database, but not one written by llmdesk"
            if version > 0 and not {"conversations", "messages"} <= names:
                return "damaged", "its tables are missing"
            if full:
                result = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
                if result != ["ok"]:
                    return "damaged", "it is damaged (" + "; ".join(result) + ")"
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise self._busy_error(exc) from exc
            return "damaged", f"it cannot be read ({exc})"
        finally:
            if conn is not None:
                conn.close()
            # A read-only connection to a WAL database leaves an empty -wal and a -shm behind: remove the ones
            # this check created (never a file that was there before).
            wal = self.path.with_name(self.path.name + "-wal")
            if wal not in existed and wal.exists() and wal.stat().st_size == 0:
                for p in _sidecars(self.path):
                    if p not in existed:
                        with contextlib.suppress(OSError):
                            p.unlink()
        return None

    def _busy_error(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"The conversation database {self.path} is in use by another program ({exc}); close it "
                          "(or the other llmdesk) and try again. The file was left as it is.")

    def _set_aside(self, label: str, reason: str) -> None:
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self._conn.close()
        try:
            aside = _move_aside(self.path, label)
        except OSError as exc:
            raise StoreError(f"The conversation database {self.path} cannot be used: {reason}. It could not be "
                             f"moved aside ({exc.strerror or exc}); move or remove it and start llmdesk again.") from exc
        self.moved_aside = aside
        self.notice = (f"The conversation database could not be used: {reason}. It was moved to {aside} (with its "
                       f"-wal and -shm files, if any) and a new, empty database was started. Nothing was deleted.")

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_s)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            # WAL can fail on file systems without shared memory (some network shares); the rollback journal
            # that remains is just as safe, only slower.
            self.journal_mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            conn.execute("PRAGMA synchronous = FULL")
            register_functions(conn)
            self._conn = conn
            self._migrate()
            self._close_interrupted_replies()
            with contextlib.suppress(OSError):
                self._check_marker.unlink(missing_ok=True)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"database schema {version} is newer than this llmdesk's {SCHEMA_VERSION}")
        while version < SCHEMA_VERSION:
            with self._transaction():
                step = MIGRATIONS[version]
                if step is _migrate_2_to_3:
                    step(self._conn, self._progress)
                else:
                    step(self._conn)
                version += 1
                self._conn.execute(f"PRAGMA user_version = {version}")

    def _close_interrupted_replies(self) -> None:
        """Replies still marked as streaming whose writer is gone were cut off (llmdesk killed, crashed, power
        lost): give them the stop reason "error" and say so in their meta. A reply that another running process
        (the window, while ``llmdesk export`` opens the database) is still writing is left alone: its writer's
        lock (:class:`~llmdesk.core.writers.ReplyWriters`) is still held."""
        self._writers.remove_dead()  # lock files left by writers that ended without closing their store
        unfinished = "SELECT seq, meta FROM messages WHERE role = 'assistant' AND stop_reason IS NULL"
        if not self._conn.execute(unfinished + " LIMIT 1").fetchall():
            return
        # Under the write lock: a writer takes its lock before it adds a reply carrying its token, so every reply
        # read here whose writer still runs shows a held lock.
        with self._transaction():
            for row in self._conn.execute(unfinished).fetchall():
                meta = _meta_from_text(row["meta"])
                if self._writers.is_alive(meta.get(WRITER_KEY)):
                    continue
                meta.pop(WRITER_KEY, None)
                meta.setdefault("error", INTERRUPTED_ERROR)
                meta["interrupted"] = True
                self._conn.execute("UPDATE messages SET stop_reason = 'error', meta = ? WHERE seq = ?",
                                   (json.dumps(meta, ensure_ascii=False), row["seq"]))

    def is_written_elsewhere(self, message_id: str) -> bool:
        """True when the reply is still streaming and another running process is writing it (so it must not be
        closed as cut off); False for a finished reply, one this store writes, or one whose writer is gone.
        Raises KeyError for an unknown message."""
        with self._errors("read a message"):
            row = self._connection().execute("SELECT stop_reason, meta FROM messages WHERE id = ?",
                                             (message_id,)).fetchone()
        if row is None:
            raise KeyError(message_id)
        token = _meta_from_text(row["meta"]).get(WRITER_KEY)
        if row["stop_reason"] is not None or token is None or token == self._writers.token:
            return False
        return self._writers.is_alive(token)

    def changed_elsewhere(self) -> bool:
        """True when another connection (``llmdesk import`` while the window is open, say) committed a change since
        the last call; listeners then get a "reset" event. The first call only takes note. Cheap: no table is
        read (``PRAGMA data_version``)."""
        with self._errors("check the database for changes"):
            version = self._connection().execute("PRAGMA data_version").fetchone()[0]
        changed = self._data_version is not None and version != self._data_version
        self._data_version = version
        if changed:
            self._emit("reset")
        return changed

    # -- plumbing ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self, "_conn", None)
        if conn is None:
            raise StoreError("the conversation store is closed")
        return conn

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn SQLite errors into StoreError with a message that says what failed."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"cannot {action}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            hint = ""
            text = str(exc).lower()
            if "malformed" in text or "not a database" in text or "disk i/o" in text or "corrupt" in text:
                hint = (" The database file may be damaged; restart llmdesk to check it (a damaged file is moved "
                        "aside, never deleted, and a new one is started).")
                with contextlib.suppress(OSError):
                    self._check_marker.touch()
            elif "locked" in text or "busy" in text:
                hint = " Another program (or another llmdesk window) is holding the database; try again."
            elif "full" in text:
                hint = " The disk is full."
            raise StoreError(f"cannot {action} in {self.path}: {exc}.{hint}") from exc

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after each committed change that shows in the conversation list.

        A bound method is held weakly (it stops being called once its object is gone). Returns a function that
        unsubscribes.
        """
        ref: Callable[[], Callable[[StoreEvent], None] | None]
        if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
            ref = weakref.WeakMethod(callback)
        else:
            ref = lambda: callback
        self._listeners.append(ref)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(ref)

        return unsubscribe

    def _emit(self, kind: str, conversation_id: str | None = None) -> None:
        event = StoreEvent(kind, conversation_id)
        for ref in list(self._listeners):
            callback = ref()
            if callback is None:
                with contextlib.suppress(ValueError):
                    self._listeners.remove(ref)
                continue
            callback(event)

    def close(self) -> None:
        """Close the database (a clean close folds the WAL back into the file). Safe to call twice."""
        conn = getattr(self, "_conn", None)
        if conn is not None:
            self._conn = None  # type: ignore[assignment]
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA optimize")
            conn.close()
        self._writers.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------------------------
    def list_conversations(self, *, limit: int | None = None,
                           after: ConversationSummary | None = None) -> list[ConversationSummary]:
        """Conversations, newest activity first, read through the activity index (no message is read).

        Args:
            limit: at most this many (default: all).
            after: start after this row of an earlier page (keyset paging: rows that moved to the top since are
                not repeated).
        """
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM conversations"
        args: list[Any] = []
        if after is not None:
            sql += " WHERE (updated_at, id) < (?, ?)"
            args += [after.updated_at, after.id]
        sql += " ORDER BY updated_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(0, int(limit)))
        with self._errors("list the conversations"):
            rows = self._connection().execute(sql, args).fetchall()
        return [_summary_from_row(r) for r in rows]

    def summary(self, conversation_id: str) -> ConversationSummary:
        """One conversation's list row. Raises KeyError if there is no such conversation."""
        with self._errors("read a conversation"):
            row = self._connection().execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise KeyError(conversation_id)
        return _summary_from_row(row)

    def conversation_count(self) -> int:
        with self._errors("count the conversations"):
            return self._connection().execute("SELECT count(*) FROM conversations").fetchone()[0]

    def load_conversation(self, conversation_id: str) -> Conversation:
        """The conversation with all its branches. Raises KeyError if there is no such conversation."""
        with self._errors("load a conversation"):
            conn = self._connection()
            row = conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise KeyError(conversation_id)
            rows = conn.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, seq",
                                (conversation_id,)).fetchall()
        messages = {r["id"]: _message_from_row(r) for r in rows}
        leaf = row["current_leaf_id"]
        if leaf not in messages:
            leaf = rows[-1]["id"] if rows else None
        return Conversation(title=row["title"], id=row["id"], title_is_auto=bool(row["title_is_auto"]),
                            created_at=row["created_at"], updated_at=row["updated_at"], current_leaf_id=leaf,
                            messages=messages)

    def get_message(self, message_id: str) -> Message:
        """One message. Raises KeyError if there is no such message."""
        with self._errors("read a message"):
            row = self._connection().execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise KeyError(message_id)
        return _message_from_row(row)

    def conversation_of(self, message_id: str) -> str:
        """The id of the conversation that holds a message. Raises KeyError if there is no such message."""
        with self._errors("read a message"):
            row = self._connection().execute("SELECT conversation_id FROM messages WHERE id = ?",
                                             (message_id,)).fetchone()
        if row is None:
            raise KeyError(message_id)
        return row[0]

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages that hold every word of ``query``, most recently written first (newest first keeps a search fast
        however many messages match).

        A word in Chinese, Japanese, Korean or Thai is found anywhere in the text, also inside a longer word or a
        sentence without spaces, from one character up; a word in another script is found from the start of a
        word, case- and accent-insensitively, the last word (two letters or more) as a prefix while it is typed.
        Punctuation and FTS operators in ``query`` are taken as plain text (see
        :func:`llmdesk.core.search_text.match_query`). Snippets mark each hit with ``\\x02`` ... ``\\x03``;
        their offsets count code points.
        """
        match = search_text.match_query(query)
        if match is None or limit <= 0:
            return []
        with self._errors("search the conversations"):
            rows = self._connection().execute(
                """
                SELECT m.conversation_id, m.id, c.title, m.role, m.created_at, m.content
                FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) AS f
                JOIN messages m ON m.seq = f.rowid
                JOIN conversations c ON c.id = m.conversation_id
                ORDER BY f.rowid DESC
                """, (match, limit)).fetchall()
        return [SearchHit(r[0], r[1], r[2], r[3], search_text.make_snippet(r[5], query), r[4]) for r in rows]

    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check plus the search index's; ``["ok"]`` when all is well."""
        with self._errors("check the database"):
            conn = self._connection()
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            try:
                conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                result = [r for r in result if r != "ok"] + [f"search index: {exc}"]
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                result = [r for r in result if r != "ok"] + [f"{len(fk)} broken references"]
        return result

    # -- writing ----------------------------------------------------------------------------------------------
    def create_conversation(self, title: str = DEFAULT_TITLE) -> Conversation:
        """A new, empty conversation, saved. Its title stays automatic (set from the first user message) unless
        a title other than the default is given."""
        conv = Conversation(title=title, title_is_auto=(title == DEFAULT_TITLE))
        with self._errors("create a conversation"), self._transaction() as conn:
            self._insert_conversation_row(conn, conv)
        self._emit("created", conv.id)
        return conv

    def _insert_conversation_row(self, conn: sqlite3.Connection, conv: Conversation) -> None:
        conn.execute(
            "INSERT INTO conversations (id, title, title_is_auto, created_at, updated_at, current_leaf_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (conv.id, conv.title, int(conv.title_is_auto), conv.created_at, conv.updated_at, conv.current_leaf_id))

    @staticmethod
    def _validate_message(message: Message) -> None:
        if message.role not in ROLES:
            raise ValueError(f"message {message.id}: role must be one of {', '.join(ROLES)}, not {message.role!r}")
        if not isinstance(message.content, str):
            raise TypeError(f"message {message.id}: content must be text, not {type(message.content).__name__}")

    @staticmethod
    def _insert_message_row(conn: sqlite3.Connection, conversation_id: str, m: Message,
                            writer: str | None = None) -> None:
        meta = dict(m.meta or {})
        meta.pop(WRITER_KEY, None)
        if writer is not None:
            meta[WRITER_KEY] = writer
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, stop_reason, meta) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (m.id, conversation_id, m.parent_id, m.role, m.content, m.created_at, m.stop_reason,
             json.dumps(meta, ensure_ascii=False, default=str)))

    def add_message(self, conversation_id: str, message: Message, *, make_current: bool = True) -> None:
        """Save a new message (the user's message on send; an assistant reply as it starts, then written through
        :meth:`update_message` or a :class:`ReplyCheckpointer`). An assistant message without a stop reason is a
        reply being written: it is marked as this process's until a stop reason is saved, so that another process
        opening the database meanwhile does not take it for a reply cut off by a crash.

        With ``make_current`` the message becomes the conversation's shown leaf. The first user message of a
        conversation whose title is still automatic becomes its title.

        Raises:
            KeyError: no such conversation.
            ValueError: a bad role, or the parent is not a message of this conversation.
            TypeError: the content is not text.
            StoreError: the message id exists already, or the database failed.
        """
        self._validate_message(message)
        writer = None
        if message.role == "assistant" and message.stop_reason is None:
            try:
                writer = self._writers.claim()
            except OSError:
                writer = None  # no lock folder: the reply is saved all the same, only unguarded
        with self._errors("save a message"), self._transaction() as conn:
            row = conn.execute("SELECT title_is_auto, updated_at FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
            if row is None:
                raise KeyError(conversation_id)
            if message.parent_id is not None:
                parent = conn.execute("SELECT conversation_id FROM messages WHERE id = ?",
                                      (message.parent_id,)).fetchone()
                if parent is None or parent[0] != conversation_id:
                    raise ValueError(f"parent {message.parent_id} is not a message of conversation {conversation_id}")
            if message.role == "user" and row["title_is_auto"]:
                has_user = conn.execute(
                    "SELECT 1 FROM messages WHERE conversation_id = ? AND role = 'user' LIMIT 1",
                    (conversation_id,)).fetchone()
                if has_user is None:
                    conn.execute("UPDATE conversations SET title = ? WHERE id = ?",
                                 (auto_title(message.content), conversation_id))
            self._insert_message_row(conn, conversation_id, message, writer)
            updated = max(row["updated_at"], message.created_at, time.time())
            if make_current:
                conn.execute("UPDATE conversations SET current_leaf_id = ?, updated_at = ? WHERE id = ?",
                             (message.id, updated, conversation_id))
            else:
                conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (updated, conversation_id))
        self._emit("updated", conversation_id)

    def update_message(self, message_id: str, *, content: str | None = None, stop_reason: str | None = None,
                       meta: dict | None = None) -> None:
        """Change a saved message: its text (a streaming checkpoint or an edit in place), its stop reason, its meta
        (replaced as a whole). Giving a stop reason counts as activity (the conversation moves to the top), and
        ends the reply: it is no longer marked as being written.

        Raises:
            KeyError: no such message.
            StoreError: the database failed.
        """
        sets: list[str] = []
        args: list[Any] = []
        if content is not None:
            if not isinstance(content, str):
                raise TypeError(f"message {message_id}: content must be text, not {type(content).__name__}")
            sets.append("content = ?")
            args.append(content)
        if stop_reason is not None:
            sets.append("stop_reason = ?")
            args.append(stop_reason)
        conversation_id = None
        with self._errors("save a message"), self._transaction() as conn:
            row = conn.execute("SELECT conversation_id, meta FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise KeyError(message_id)
            if meta is not None or stop_reason is not None:
                old_meta = _meta_from_text(row["meta"])
                writer = old_meta.get(WRITER_KEY) if stop_reason is None else None
                new_meta = dict(meta if meta is not None else old_meta)
                new_meta.pop(WRITER_KEY, None)
                if writer is not None:
                    new_meta[WRITER_KEY] = writer
                if new_meta != old_meta:
                    sets.append("meta = ?")
                    args.append(json.dumps(new_meta, ensure_ascii=False, default=str))
            if sets:
                conn.execute(f"UPDATE messages SET {', '.join(sets)} WHERE id = ?", (*args, message_id))
            if stop_reason is not None:
                conversation_id = row[0]
                conn.execute("UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?",
                             (time.time(), conversation_id))
        if conversation_id is not None:
            self._emit("updated", conversation_id)

    def set_current_leaf(self, conversation_id: str, leaf_id: str) -> None:
        """Remember which branch is shown. Raises KeyError for an unknown conversation, ValueError when the
        message is not in it."""
        with self._errors("save the shown branch"), self._transaction() as conn:
            row = conn.execute("SELECT conversation_id FROM messages WHERE id = ?", (leaf_id,)).fetchone()
            if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone() is None:
                raise KeyError(conversation_id)
            if row is None or row[0] != conversation_id:
                raise ValueError(f"message {leaf_id} is not in conversation {conversation_id}")
            conn.execute("UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf_id, conversation_id))

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        """Give a conversation a title of the user's choosing (it is then no longer set automatically).
        A blank title is refused with ValueError; KeyError for an unknown conversation."""
        title = " ".join(title.split())
        if not title:
            raise ValueError("a conversation title cannot be empty")
        with self._errors("rename a conversation"), self._transaction() as conn:
            cur = conn.execute("UPDATE conversations SET title = ?, title_is_auto = 0 WHERE id = ?",
                               (title, conversation_id))
            if cur.rowcount == 0:
                raise KeyError(conversation_id)
        self._emit("updated", conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation and all its messages. KeyError for an unknown conversation. (The sidebar keeps
        a copy for undo and puts it back with :meth:`save_conversation`.)"""
        with self._errors("delete a conversation"), self._transaction() as conn:
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if cur.rowcount == 0:
                raise KeyError(conversation_id)
        self._emit("deleted", conversation_id)

    def save_conversation(self, conversation: Conversation) -> None:
        """Insert a whole conversation, or replace the one with the same id (all its messages and branches).

        Raises:
            ValueError: the conversation is not a valid tree (a parent outside it, a bad role, a cycle, a shown
                leaf that is not one of its messages).
            StoreError: one of its message ids already belongs to another conversation, or the database failed.
        """
        existed = self._save_many([conversation])
        self._emit("updated" if existed else "created", conversation.id)

    def save_conversations(self, conversations: Iterable[Conversation]) -> int:
        """Save many conversations in one transaction (an import); all or none are saved. Listeners get one
        "reset" event. Returns how many were saved. Raises like :meth:`save_conversation`."""
        convs = list(conversations)
        self._save_many(convs)
        if convs:
            self._emit("reset")
        return len(convs)

    def _save_many(self, conversations: list[Conversation]) -> bool:
        for conv in conversations:
            self._validate_conversation(conv)
        existed = False
        with self._errors("save a conversation"), self._transaction() as conn:
            for conv in conversations:
                if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conv.id,)).fetchone():
                    existed = True
                    conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conv.id,))
                    conn.execute("DELETE FROM conversations WHERE id = ?", (conv.id,))
                self._insert_conversation_row(conn, conv)
                for m in _topological(conv):
                    self._insert_message_row(conn, conv.id, m)
        return existed

    def _validate_conversation(self, conv: Conversation) -> None:
        for key, m in conv.messages.items():
            if key != m.id:
                raise ValueError(f"conversation {conv.id}: message stored under {key} has id {m.id}")
            self._validate_message(m)
            if m.parent_id is not None and m.parent_id not in conv.messages:
                raise ValueError(f"conversation {conv.id}: message {m.id} has parent {m.parent_id}, which is not in "
                                 "the conversation")
        if conv.current_leaf_id is not None and conv.current_leaf_id not in conv.messages:
            raise ValueError(f"conversation {conv.id}: the shown message {conv.current_leaf_id} is not in it")
        if not isinstance(conv.title, str) or not conv.title.strip():
            raise ValueError(f"conversation {conv.id}: the title cannot be empty")


def _topological(conv: Conversation) -> list[Message]:
    """Messages with every parent before its children; ValueError on a cycle."""
    out: list[Message] = []
    done: set[str] = set()
    for m in sorted(conv.messages.values(), key=lambda m: m.created_at):
        chain: list[Message] = []
        node: Message | None = m
        seen: set[str] = set()
        while node is not None and node.id not in done:
            if node.id in seen:
                raise ValueError(f"conversation {conv.id}: message {node.id} is its own ancestor")
            seen.add(node.id)
            chain.append(node)
            node = conv.messages.get(node.parent_id) if node.parent_id is not None else None
        for n in reversed(chain):
            done.add(n.id)
            out.append(n)
    return out
