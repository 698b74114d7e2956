"""The conversation store: persistence, schema migrations, search, damaged files, streaming checkpoints."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from llmdesk.core import paths
from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.settings import DecodingSettings
from llmdesk.core.store import (
    INTERRUPTED_ERROR,
    MIGRATIONS,
    SCHEMA_VERSION,
    ConversationStore,
    ReplyCheckpointer,
    StoreError,
    StoreEvent,
    auto_title,
    fts_query,
    reply_meta,
)
from llmdesk.engine.types import GenerationStats, ModelInfo


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "conversations.sqlite3"


@pytest.fixture
def store(db: Path):
    s = ConversationStore(db)
    yield s
    s.close()


def chat(store: ConversationStore, user_text: str, reply_text: str, conv: Conversation | None = None,
         t: float | None = None) -> tuple[Conversation, Message, Message]:
    conv = conv or store.create_conversation()
    parent = conv.current_leaf_id
    kw = {} if t is None else {"created_at": t}
    user = conv.add(Message("user", user_text, parent_id=parent, **kw))
    store.add_message(conv.id, user)
    reply = conv.add(Message("assistant", reply_text, parent_id=user.id, stop_reason="eos",
                             **({} if t is None else {"created_at": t + 1})))
    store.add_message(conv.id, reply)
    return conv, user, reply


# -- persistence ------------------------------------------------------------------------------------------------

def test_default_path_is_under_the_user_data_dir():
    with ConversationStore() as s:
        assert s.path == paths.database_path()
        assert s.path.exists()
        assert s.notice is None


def test_persists_across_restart_with_branches_meta_and_leaf(db: Path):
    s = ConversationStore(db)
    conv, user, reply = chat(s, "What is the capital of France?", "Paris.")
    alt = conv.add(Message("assistant", "It is Paris.", parent_id=user.id, stop_reason="length",
                           meta={"model": "m", "seed": 7, "stats": {"new_tokens": 3}}))
    s.add_message(conv.id, alt, make_current=False)
    s.set_current_leaf(conv.id, reply.id)
    s.close()

    s2 = ConversationStore(db)
    try:
        back = s2.load_conversation(conv.id)
        assert back.current_leaf_id == reply.id
        assert set(back.messages) == {user.id, reply.id, alt.id}
        assert back.messages[alt.id].meta == {"model": "m", "seed": 7, "stats": {"new_tokens": 3}}
        assert back.messages[alt.id].stop_reason == "length"
        assert [m.content for m in back.path()] == ["What is the capital of France?", "Paris."]
        assert [m.id for m in back.siblings(reply.id)] == [reply.id, alt.id]
        assert back.title == "What is the capital of France?"
        assert back.messages[user.id].created_at == pytest.approx(user.created_at)
        assert s2.integrity_check() == ["ok"]
    finally:
        s2.close()


def test_pragmas_wal_foreign_keys_and_schema_version(store: ConversationStore):
    conn = store._connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)


def test_list_query_uses_the_activity_index(store: ConversationStore):
    plan = store._connection().execute(
        "EXPLAIN QUERY PLAN SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 10").fetchall()
    text = " ".join(str(r[-1]) for r in plan)
    assert "conversations_by_activity" in text and "TEMP B-TREE" not in text


def test_migration_from_version_1_builds_the_search_index(db: Path):
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', 1, 2)")
    conn.execute("INSERT INTO messages (id, conversation_id, role, content, created_at) "
                 "VALUES ('m1', 'c1', 'user', 'an aardvark from version one', 1)")
    conn.execute("COMMIT")
    conn.close()

    with ConversationStore(db) as s:
        assert s.notice is None
        assert s._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        hits = s.search("aardvark")
        assert [(h.conversation_id, h.message_id) for h in hits] == [("c1", "m1")]
        assert s.list_conversations()[0].message_count == 1
        assert s.integrity_check() == ["ok"]


# -- messages, titles, activity ---------------------------------------------------------------------------------

def test_auto_title_from_first_user_message_until_renamed(store: ConversationStore):
    conv = store.create_conversation()
    assert store.summary(conv.id).title == "New chat"
    store.add_message(conv.id, Message("user", "\n  How do   I sort a list in Python?\nThanks"))
    assert store.summary(conv.id).title == "How do I sort a list in Python?"
    store.add_message(conv.id, Message("user", "Second question"))
    assert store.summary(conv.id).title == "How do I sort a list in Python?"
    store.rename_conversation(conv.id, "  Sorting  ")
    s = store.summary(conv.id)
    assert (s.title, s.title_is_auto) == ("Sorting", False)
    other = store.create_conversation()
    store.rename_conversation(other.id, "Mine")
    store.add_message(other.id, Message("user", "first words"))
    assert store.summary(other.id).title == "Mine"


def test_auto_title_shortens_at_a_word():
    title = auto_title("word " * 40)
    assert len(title) <= 60 and title.endswith("…") and not title[:-1].endswith(" ")
    assert auto_title("   \n  ") == "New chat"


def test_newest_activity_first_and_message_counts(store: ConversationStore):
    a, _, _ = chat(store, "a", "A", t=1000.0)
    b, _, _ = chat(store, "b", "B", t=2000.0)
    order = [s.id for s in store.list_conversations()]
    assert order.index(b.id) < order.index(a.id)
    chat(store, "again", "A2", conv=a)
    summaries = store.list_conversations()
    assert summaries[0].id == a.id and summaries[0].message_count == 4


def test_keyset_pages_cover_every_conversation_once(store: ConversationStore):
    ids = {chat(store, f"q{i}", f"r{i}", t=1000.0 + (i % 3))[0].id for i in range(23)}
    seen: list[str] = []
    after = None
    while True:
        page = store.list_conversations(limit=5, after=after)
        if not page:
            break
        seen += [s.id for s in page]
        after = page[-1]
    assert len(seen) == 23 and set(seen) == ids
    assert seen == [s.id for s in store.list_conversations()]


def test_update_message_checkpoints_text_and_finish_moves_conversation_up(store: ConversationStore):
    conv, user, _ = chat(store, "q", "r", t=1000.0)
    reply = Message("assistant", "", parent_id=user.id, created_at=1001.0)
    store.add_message(conv.id, reply)
    store.update_message(reply.id, content="partial")
    m = store.get_message(reply.id)
    assert (m.content, m.stop_reason) == ("partial", None)
    store.update_message(reply.id, content="partial and done", stop_reason="cancelled", meta={"seed": 1})
    m = store.get_message(reply.id)
    assert (m.content, m.stop_reason, m.meta) == ("partial and done", "cancelled", {"seed": 1})
    assert store.search("done")[0].message_id == reply.id
    with pytest.raises(KeyError):
        store.update_message("nope", content="x")


def test_rejects_bad_input_with_clear_errors(store: ConversationStore):
    conv = store.create_conversation()
    other = store.create_conversation()
    m = Message("user", "hi")
    store.add_message(conv.id, m)
    with pytest.raises(KeyError):
        store.add_message("missing", Message("user", "x"))
    with pytest.raises(ValueError, match="role"):
        store.add_message(conv.id, Message("robot", "x"))
    with pytest.raises(ValueError, match="not a message of conversation"):
        store.add_message(other.id, Message("assistant", "x", parent_id=m.id))
    with pytest.raises(StoreError, match="UNIQUE"):
        store.add_message(conv.id, Message("user", "dup", id=m.id))
    with pytest.raises(ValueError, match="empty"):
        store.rename_conversation(conv.id, "   ")
    with pytest.raises(KeyError):
        store.rename_conversation("missing", "x")
    with pytest.raises(ValueError, match="not in conversation"):
        store.set_current_leaf(other.id, m.id)
    with pytest.raises(KeyError):
        store.load_conversation("missing")
    with pytest.raises(KeyError):
        store.delete_conversation("missing")
    assert store.load_conversation(conv.id).messages[m.id].content == "hi"


def test_delete_removes_messages_and_search_entries(store: ConversationStore):
    conv, _, _ = chat(store, "unique zebra question", "zebra answer")
    keep, _, _ = chat(store, "zebra elsewhere", "ok")
    store.delete_conversation(conv.id)
    assert [h.conversation_id for h in store.search("zebra")] == [keep.id]
    assert [s.id for s in store.list_conversations()] == [keep.id]
    assert store._connection().execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    assert store.integrity_check() == ["ok"]


def test_save_conversation_inserts_and_replaces_whole_tree(store: ConversationStore):
    conv = Conversation(title="Imported", title_is_auto=False)
    root = conv.add(Message("system", "be brief", created_at=10.0))
    u = conv.add(Message("user", "hello importer", parent_id=root.id, created_at=11.0))
    a1 = conv.add(Message("assistant", "one", parent_id=u.id, created_at=12.0))
    conv.add(Message("assistant", "two", parent_id=u.id, created_at=13.0))
    conv.current_leaf_id = a1.id
    store.save_conversation(conv)
    back = store.load_conversation(conv.id)
    assert back.current_leaf_id == a1.id and len(back.messages) == 4 and back.title == "Imported"
    # replace: drop one branch, change text
    del conv.messages[a1.id]
    conv.current_leaf_id = u.id
    conv.messages[u.id].content = "hello again"
    store.save_conversation(conv)
    back = store.load_conversation(conv.id)
    assert len(back.messages) == 3 and back.messages[u.id].content == "hello again"
    assert store.search("importer") == [] and len(store.search("again")) == 1
    assert store.summary(conv.id).message_count == 3


def test_save_conversation_validates_the_tree(store: ConversationStore):
    bad = Conversation()
    bad.messages["x"] = Message("user", "orphan", parent_id="nowhere", id="x")
    with pytest.raises(ValueError, match="not in the conversation"):
        store.save_conversation(bad)
    loop = Conversation()
    loop.messages["a"] = Message("user", "a", parent_id="b", id="a")
    loop.messages["b"] = Message("assistant", "b", parent_id="a", id="b")
    with pytest.raises(ValueError, match="own ancestor"):
        store.save_conversation(loop)
    taken, u, _ = chat(store, "q", "r")
    thief = Conversation()
    thief.add(Message("user", "steal", id=u.id))
    with pytest.raises(StoreError):
        store.save_conversation(thief)
    assert store.conversation_count() == 1
    assert store.load_conversation(taken.id).messages[u.id].content == "q"


def test_save_conversations_is_all_or_nothing(store: ConversationStore):
    good = Conversation(title="good")
    good.add(Message("user", "fine"))
    bad = Conversation(title="bad")
    bad.add(Message("user", "dup", id=next(iter(good.messages))))
    with pytest.raises(StoreError):
        store.save_conversations([good, bad])
    assert store.conversation_count() == 0
    assert store.save_conversations([good]) == 1


def test_listeners_hear_list_changes(store: ConversationStore):
    events: list[StoreEvent] = []
    unsubscribe = store.subscribe(events.append)
    conv, _, reply = chat(store, "q", "r")
    store.update_message(reply.id, content="r2")            # a checkpoint: no list change
    store.update_message(reply.id, stop_reason="eos")      # finished: activity
    store.rename_conversation(conv.id, "T")
    store.save_conversations([Conversation()])
    store.delete_conversation(conv.id)
    kinds = [(e.kind, e.conversation_id == conv.id) for e in events]
    assert kinds == [("created", True), ("updated", True), ("updated", True), ("updated", True),
                     ("updated", True), ("reset", False), ("deleted", True)]
    unsubscribe()
    store.create_conversation()
    assert len(events) == 7


def test_bound_method_listener_is_held_weakly(store: ConversationStore):
    class Listener:
        def __init__(self) -> None:
            self.n = 0

        def on(self, _event: StoreEvent) -> None:
            self.n += 1

    listener = Listener()
    store.subscribe(listener.on)
    store.create_conversation()
    assert listener.n == 1
    del listener
    store.create_conversation()  # no error, dead listener dropped
    assert store._listeners == []


# -- search -----------------------------------------------------------------------------------------------------

def test_search_words_prefix_accents_and_snippets(store: ConversationStore):
    conv, user, reply = chat(store, "Tell me about the Café in Zürich", "The café serves coffee and cake.")
    chat(store, "unrelated", "nothing here about drinks")
    hits = store.search("cafe")
    assert {h.message_id for h in hits} == {user.id, reply.id}
    assert all(h.conversation_id == conv.id and h.title == "Tell me about the Café in Zürich" for h in hits)
    assert "\x02café\x03" in next(h.snippet for h in hits if h.message_id == reply.id)
    assert [h.message_id for h in store.search("coff")] == [reply.id]          # prefix while typing
    assert store.search("coff ") == []                                          # whole word once a space follows
    assert [h.message_id for h in store.search("cake café")] == [reply.id]     # every word must occur
    assert store.search("cake drinks") == []
    assert store.search("   ") == [] and store.search("!!") == []
    assert [h.role for h in store.search("ZÜRICH")] == ["user"]


def test_search_takes_operators_and_quotes_literally(store: ConversationStore):
    chat(store, 'He said "NOT now" (AND later) * NEAR', "ok")
    for q in ['"NOT', "NOT now", "(AND", "NEAR*", 'said "', "later)", "a:b", "-x"]:
        store.search(q)  # never an FTS syntax error
    assert len(store.search('NOT now')) == 1
    assert fts_query('say "hi"') == '"say" """hi"""*'
    assert fts_query("a") == '"a"'
    assert fts_query("c++") == '"c++"'            # last token one letter: no prefix
    assert fts_query("snake_case") == '"snake_case"*'


def test_search_newest_first_and_limit(store: ConversationStore):
    ids = [chat(store, f"common word number {i}", "ok")[1].id for i in range(8)]
    hits = store.search("common", limit=3)
    assert [h.message_id for h in hits] == ids[::-1][:3]
    assert store.search("common", limit=0) == []


# -- damaged and foreign files ----------------------------------------------------------------------------------

def _aside_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".damaged-" in p.name or ".foreign-" in p.name
                  or ".newer-" in p.name or ".unreadable-" in p.name)


def test_garbage_file_is_moved_aside_untouched(db: Path):
    db.parent.mkdir(parents=True)
    junk = b"this is not a database at all\n" * 200
    db.write_bytes(junk)
    s = ConversationStore(db)
    try:
        assert s.notice and "not an SQLite database" in s.notice and str(s.moved_aside) in s.notice
        assert s.moved_aside is not None and s.moved_aside.read_bytes() == junk
        assert s.list_conversations() == []
        chat(s, "fresh start", "yes")
    finally:
        s.close()
    with ConversationStore(db) as again:
        assert again.notice is None and len(again.list_conversations()) == 1


def _damage(db: Path) -> None:
    """Overwrite most pages after the first with garbage (the header and schema page stay valid)."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for off in range(page * 2, len(data) - 64, page):
        data[off + 8: off + 64] = b"\xa5" * 56
    db.write_bytes(bytes(data))


def test_damaged_pages_in_a_small_database_are_found_at_open(db: Path):
    s = ConversationStore(db)
    for i in range(40):
        chat(s, f"question {i} " + "filler " * 50, "answer " * 80)
    s.close()
    _damage(db)
    damaged = db.read_bytes()
    s = ConversationStore(db)
    try:
        assert s.notice and "damaged" in s.notice
        assert s.moved_aside is not None and s.moved_aside.read_bytes() == damaged
        assert s.list_conversations() == [] and s.integrity_check() == ["ok"]
    finally:
        s.close()


def test_damaged_database_with_wal_keeps_its_sidecars(db: Path, tmp_path: Path):
    s = ConversationStore(db)
    for i in range(40):
        chat(s, f"question {i} " + "filler " * 50, "answer " * 80)
    s._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    chat(s, "in the wal only", "yes")
    # copy the files as a crash would leave them (the connection still open, -wal and -shm present)
    crash = tmp_path / "crash"
    crash.mkdir()
    for suffix in ("", "-wal", "-shm"):
        (crash / ("c.sqlite3" + suffix)).write_bytes(Path(str(db) + suffix).read_bytes())
    s.close()
    crashed = crash / "c.sqlite3"
    _damage(crashed)
    before = {p.name: p.read_bytes() for p in crash.iterdir()}
    s = ConversationStore(crashed)
    try:
        assert s.notice and s.moved_aside is not None
        aside = _aside_files(crash)
        assert [p.name[len(s.moved_aside.name):] for p in aside] == ["", "-shm", "-wal"]
        for p in aside:
            original = "c.sqlite3" + p.name[len(s.moved_aside.name):]
            if not original.endswith("-shm"):  # -shm: SQLite's shared-memory index, updated by any reader
                assert p.read_bytes() == before[original]
    finally:
        s.close()


def test_damage_found_later_marks_the_file_for_a_full_check(db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("llmdesk.core.store.database.FULL_CHECK_MAX_BYTES", 0)  # as if the file were large
    s = ConversationStore(db)
    for i in range(40):
        chat(s, f"question {i} " + "filler " * 50, "answer " * 80)
    s.close()
    _damage(db)
    s = ConversationStore(db)
    assert s.notice is None  # the cheap checks pass: only header and schema were read
    with pytest.raises(StoreError, match="damaged"):
        for summary in s.list_conversations():
            s.load_conversation(summary.id)
        s.search("filler")
        s.search("answer")
    s.close()
    assert Path(str(db) + ".needs-check").exists()
    s = ConversationStore(db)
    try:
        assert s.notice and "damaged" in s.notice
        assert not Path(str(db) + ".needs-check").exists()
    finally:
        s.close()


def test_newer_schema_and_foreign_databases_are_set_aside(db: Path):
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with ConversationStore(db) as s:
        assert s.notice and "newer llmdesk" in s.notice and ".newer-" in s.moved_aside.name
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with ConversationStore(db) as s:
        assert s.notice and "not one written by llmdesk" in s.notice
        assert s.list_conversations() == []


def test_moving_aside_never_overwrites_an_earlier_copy(db: Path):
    db.parent.mkdir(parents=True)
    db.write_bytes(b"junk one" * 100)
    first = ConversationStore(db)
    first.close()
    db.unlink()
    db.write_bytes(b"junk two" * 100)
    second = ConversationStore(db)
    second.close()
    assert first.moved_aside != second.moved_aside
    assert first.moved_aside.read_bytes() == b"junk one" * 100
    assert second.moved_aside.read_bytes() == b"junk two" * 100


def test_a_database_locked_by_another_program_is_left_alone(db: Path):
    ConversationStore(db).close()
    before = db.read_bytes()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="in use by another program"):
            ConversationStore(db, busy_timeout_s=0.05)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert db.read_bytes() == before and _aside_files(db.parent) == []
    with ConversationStore(db) as s:
        assert s.notice is None


def test_clean_open_leaves_no_stray_files(db: Path):
    ConversationStore(db).close()
    ConversationStore(db).close()
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


# -- interrupted replies and checkpoints -------------------------------------------------------------------------

def test_reply_left_streaming_is_marked_interrupted_on_next_open(db: Path):
    s = ConversationStore(db)
    conv, user, _ = chat(s, "q", "r")
    reply = Message("assistant", "", parent_id=user.id)
    s.add_message(conv.id, reply)
    s.update_message(reply.id, content="half a sen")
    s.close()
    with ConversationStore(db) as s2:
        m = s2.get_message(reply.id)
        assert (m.content, m.stop_reason) == ("half a sen", "error")
        assert m.meta["error"] == INTERRUPTED_ERROR and m.meta["interrupted"] is True


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_checkpointer_saves_at_most_once_per_interval_and_on_finish(store: ConversationStore):
    conv, user, _ = chat(store, "q", "r")
    reply = Message("assistant", "", parent_id=user.id)
    store.add_message(conv.id, reply)
    clock = FakeClock()
    cp = ReplyCheckpointer(store, reply.id, interval_s=1.0, clock=clock)
    assert cp.append("Hel") is False
    clock.t += 0.5
    assert cp.append("lo") is False
    assert store.get_message(reply.id).content == ""
    clock.t += 0.6
    assert cp.append(",") is True
    assert store.get_message(reply.id).content == "Hello,"
    cp.append(" wor")
    clock.t += 0.4
    assert cp.poll() is False
    clock.t += 0.7
    assert cp.poll() is True                         # a pause in the stream still gets saved
    assert store.get_message(reply.id).content == "Hello, wor"
    assert cp.poll() is False                        # nothing new
    cp.append("ld")
    cp.finish("cancelled", reply_meta(stats={"new_tokens": 4, "stop_reason": "cancelled"}))
    m = store.get_message(reply.id)
    assert (m.content, m.stop_reason, m.meta["stats"]["new_tokens"]) == ("Hello, world", "cancelled", 4)
    assert cp.saves == 3
    cp.finish("eos")                                 # only the first finish counts
    assert store.get_message(reply.id).stop_reason == "cancelled"
    with pytest.raises(RuntimeError):
        cp.append("more")


def test_checkpointer_continues_existing_text(store: ConversationStore):
    _, _, reply = chat(store, "q", "The beginning")
    cp = ReplyCheckpointer(store, reply.id, interval_s=0.0, clock=FakeClock(), text="The beginning")
    cp.append(" and the end")
    assert store.get_message(reply.id).content == "The beginning and the end"


def test_checkpointer_saves_a_reasoning_reply_split(store: ConversationStore):
    conv, user, _ = chat(store, "q", "r")
    reply = Message("assistant", "", parent_id=user.id, meta={"model": "m"})
    store.add_message(conv.id, reply)
    cp = ReplyCheckpointer(store, reply.id, interval_s=0.0, clock=FakeClock(), meta=reply.meta)
    cp.append("<think>\nadd the")
    m = store.get_message(reply.id)
    assert (m.content, m.meta["reasoning"], m.meta["model"]) == ("", "add the", "m")  # mid-reasoning: no answer
    cp.append(" numbers</th")
    cp.append("ink>\n\n4")
    m = store.get_message(reply.id)
    assert (m.content, m.meta["reasoning"]) == ("4", "add the numbers")
    cp.finish("eos", reply_meta(stats={"new_tokens": 9, "stop_reason": "eos"}))
    m = store.get_message(reply.id)
    assert (m.content, m.meta["reasoning"], m.meta["stats"]["new_tokens"]) == ("4", "add the numbers", 9)
    assert "think>" not in m.content


def test_reply_meta_records_what_produced_the_reply():
    info = ModelInfo(model_id="microsoft/Phi-3-mini-4k-instruct", revision="abc123", device="cpu",
                     dtype="bfloat16", architecture="Phi3ForCausalLM", parameters=3_800_000_000,
                     weight_bytes=7_640_000_000, memory_bytes=8_000_000_000, context_window=4096, load_seconds=3.0)
    stats = GenerationStats(prompt_tokens=14, new_tokens=20, ttft_s=4.2, decode_tokens_per_s=0.6, total_s=37.0,
                            stop_reason="length", seed=42)
    meta = reply_meta(model=info, decoding=DecodingSettings(do_sample=True, temperature=0.5), stats=stats,
                      finished_at=123.0)
    assert meta["model"] == "microsoft/Phi-3-mini-4k-instruct" and meta["revision"] == "abc123"
    assert (meta["device"], meta["dtype"], meta["seed"], meta["stop_reason"]) == ("cpu", "bfloat16", 42, "length")
    assert meta["decoding"]["temperature"] == 0.5 and meta["decoding"]["do_sample"] is True
    assert meta["stats"] == {"prompt_tokens": 14, "new_tokens": 20, "ttft_s": 4.2, "tokens_per_s": 0.6,
                             "total_s": 37.0, "dropped_messages": 0}
    assert meta["finished_at"] == 123.0 and "error" not in meta
    failed = reply_meta(stats=GenerationStats(stop_reason="error", error="out of memory"))
    assert failed["error"] == "out of memory" and failed["stop_reason"] == "error"
