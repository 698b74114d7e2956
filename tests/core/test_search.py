"""Search in every script: words inside longer Korean words and inside Chinese and Japanese sentences, from one
character up; snippets; the index rebuilt when an older database is opened."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.importer import import_into_store, read_import_file
from llmdesk.core.search_text import (
    HIT_END,
    HIT_START,
    hit_ranges,
    index_text,
    make_snippet,
    match_query,
    utf16_offset,
)
from llmdesk.core.store import MIGRATIONS, SCHEMA_VERSION, ConversationStore

CASES = Path("/work/shared/cases")
if not CASES.exists():  # the cases folder sits beside the repository in the shared checkout
    CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"

KO = "자연어처리는 정말 재미있어요. 임베딩은 데이터를 벡터로 표현해요"
ZH = "我们今天学习自然语言处理和机器翻译，明天复习。"
JA = "日本語の自然言語処理を勉強しています。東京で会いましょう。"


@pytest.fixture
def store(tmp_path: Path):
    s = ConversationStore(tmp_path / "db.sqlite3")
    yield s
    s.close()


def add(store: ConversationStore, *texts: str) -> list[Message]:
    conv = store.create_conversation()
    out = []
    parent = None
    for k, text in enumerate(texts):
        m = Message("user" if k % 2 == 0 else "assistant", text, parent_id=parent,
                    stop_reason=None if k % 2 == 0 else "eos")
        store.add_message(conv.id, m)
        out.append(m)
        parent = m.id
    return out


def found(store: ConversationStore, query: str) -> set[str]:
    return {h.message_id for h in store.search(query, limit=100)}


# -- the index text and the query -----------------------------------------------------------------------------------

def test_index_text_turns_each_cjk_run_into_bigrams_and_its_last_character():
    assert index_text("자연어처리는 정말") == " 자연 연어 어처 처리 리는 는   정말 말 "
    assert index_text("GPT处理").split() == ["GPT", "处理", "理"]
    assert index_text("plain words stay") == "plain words stay"
    assert index_text("ＡＢＣ ｶﾞ").split() == ["ABC", "ガ"]  # NFKC: full-width letters, half-width kana


@pytest.mark.parametrize("query, expected", [
    ("처리", '"처리"'),                      # two characters: one bigram token
    ("자연어", '"자연 연어"'),                # three: consecutive bigrams
    ("处", '"处"*'),                         # one: every character starts exactly one token
    ("処理を", '"処理 理を"'),
    ("GPT处理", '"GPT 处理"'),
    ("处理gpt", '"处理 理 gpt"*'),            # a run inside the word keeps its last character token
    ("café", '"café"*'),                     # other scripts as before: the last word as a prefix
    ("a", '"a"'),
    ("처리 python ", '"처리" "python"'),
    ("!!", None),
    ("   ", None),
])
def test_match_query(query: str, expected: str | None):
    assert match_query(query) == expected


# -- search in the three scripts, 1- and 2-character queries included --------------------------------------------

@pytest.mark.parametrize("query", ["처리", "베딩", "처", "리는", "어처리", "임베딩은", "벡터로", "터", "자연어처리는"])
def test_korean_words_inside_longer_words(store: ConversationStore, query: str):
    (msg,) = add(store, KO)
    add(store, "자연 그대로의 처방전")  # the characters apart, never together in the order asked
    assert msg.id in found(store, query)


@pytest.mark.parametrize("query", ["处理", "语言", "自然语言处理", "机器", "译", "学", "明天复习", "，明天"])
def test_chinese_words_inside_sentences(store: ConversationStore, query: str):
    (msg,) = add(store, ZH)
    assert found(store, query) == {msg.id}


@pytest.mark.parametrize("query", ["処理", "言語", "自然言語処理", "勉強", "東京", "を", "で", "しています", "ましょう"])
def test_japanese_words_inside_sentences(store: ConversationStore, query: str):
    (msg,) = add(store, JA)
    assert found(store, query) == {msg.id}


def test_cjk_queries_find_only_what_is_there(store: ConversationStore):
    ko, zh, ja = add(store, KO, ZH, JA)
    assert found(store, "처리") == {ko.id}
    assert found(store, "리처") == set()        # the same characters in another order
    assert found(store, "语处") == set()
    assert found(store, "処理") == {ja.id}      # Japanese 処 is not Chinese 处
    assert found(store, "处理") == {zh.id}
    assert found(store, "自然") == {zh.id, ja.id}
    assert found(store, "然") == {zh.id, ja.id}
    assert found(store, "鬱") == set()
    assert found(store, "处理 明天") == {zh.id}  # every word must occur
    assert found(store, "处理 東京") == set()


def test_mixed_scripts_and_other_scripts(store: ConversationStore):
    mixed, thai, latin = add(store, "GPT处理 works, 인코더와 BERT모델", "ภาษาไทยง่ายมาก", "Tell me about the café")
    assert found(store, "GPT处理") == {mixed.id}
    assert found(store, "BERT모델") == {mixed.id}
    assert found(store, "bert") == {mixed.id}
    assert found(store, "코더") == {mixed.id}
    assert found(store, "ไทย") == {thai.id}
    assert found(store, "cafe") == {latin.id}
    assert found(store, "CAF") == {latin.id}
    assert found(store, "afé") == set()  # other scripts: from the start of a word


def test_edits_and_deletes_keep_the_index_in_step(store: ConversationStore):
    conv = store.create_conversation()
    m = Message("user", "自然语言处理")
    store.add_message(conv.id, m)
    store.update_message(m.id, content="机器翻译")
    assert found(store, "处理") == set() and found(store, "翻译") == {m.id}
    store.delete_conversation(conv.id)
    assert found(store, "翻译") == set()
    assert store.integrity_check() == ["ok"]


def test_korean_case_file_imports_and_finds_words_inside_words(store: ConversationStore):
    import_into_store(store, read_import_file(CASES / "korean-midword-search.jsonl"))
    for query in ("처리", "베딩", "코더"):
        hits = store.search(query)
        assert len(hits) == 1, query
        assert f"{HIT_START}{query}{HIT_END}" in hits[0].snippet


# -- snippets and hit offsets -------------------------------------------------------------------------------------

def test_snippets_mark_the_hit_in_cjk_and_latin(store: ConversationStore):
    add(store, KO, "The café serves coffee and cake.")
    (hit,) = store.search("베딩")
    assert hit.snippet.count(HIT_START) == 1 and f"임{HIT_START}베딩{HIT_END}은" in hit.snippet
    (hit,) = store.search("cafe coff")
    assert f"{HIT_START}café{HIT_END}" in hit.snippet and f"{HIT_START}coffee{HIT_END}" in hit.snippet


def test_hit_ranges_follow_the_index_rules():
    text = "Straße STRASSE Ökonomie ökonom 𝐁𝐨𝐥𝐝 🎉 friends"
    assert [text[i:j] for i, j in hit_ranges(text, "strasse")] == ["Straße", "STRASSE"]
    assert [text[i:j] for i, j in hit_ranges(text, "okon")] == ["Ökonomie", "ökonom"]
    assert [text[i:j] for i, j in hit_ranges(text, "okonom ")] == ["ökonom"]  # whole word once a space follows
    assert [text[i:j] for i, j in hit_ranges(text, "friends")] == ["friends"]
    assert hit_ranges(text, "riends") == []


def test_long_message_snippet_is_cut_around_the_hit():
    text = "前文" * 200 + "自然语言处理" + "后文" * 200
    snippet = make_snippet(text, "处理")
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 200
    assert f"{HIT_START}处理{HIT_END}" in snippet


def test_utf16_offsets_count_characters_outside_the_bmp_twice():
    text = "𝐁𝐨𝐥𝐝 🎉 party"
    assert text.index("party") == 7
    assert utf16_offset(text, 7) == 12  # four bold letters and the emoji take two units each
    assert utf16_offset("abc", 2) == 2


# -- the index is rebuilt when a version-2 database is opened ------------------------------------------------------

def test_version_2_database_is_migrated_with_progress(tmp_path: Path):
    db = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    MIGRATIONS[1](conn)  # the version-2 index: unicode61 over the raw text, prefix matches only
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', 1, 2)")
    for k in range(5):
        conn.execute("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES (?, 'c1', 'user', ?, ?)",
                     (f"m{k}", f"{KO} {k}", k))
    conn.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '처리'").fetchone()[0] == 0
    conn.close()

    calls: list[tuple[int, int]] = []
    with ConversationStore(db, progress=lambda done, total: calls.append((done, total))) as s:
        assert s._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert len(s.search("처리")) == 5
        assert s.integrity_check() == ["ok"]
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    calls.clear()
    with ConversationStore(db, progress=lambda done, total: calls.append((done, total))) as s:
        assert len(s.search("베딩")) == 5
    assert calls == []  # nothing to rebuild the second time


def test_migration_reports_progress_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("llmdesk.core.store.schema.REINDEX_BATCH", 3)
    db = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', 1, 2)")
    conn.executemany("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES (?, 'c1', 'user', ?, ?)",
                     [(f"m{k}", f"메시지 {k}", k) for k in range(8)])
    conn.execute("COMMIT")
    conn.close()
    calls: list[tuple[int, int]] = []
    with ConversationStore(db, progress=lambda d, t: calls.append((d, t))) as s:
        assert len(s.search("시지")) == 8
    assert calls == [(0, 8), (3, 8), (6, 8), (8, 8)]


def test_json_round_trip_is_searchable(store: ConversationStore, tmp_path: Path):
    path = tmp_path / "zh.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": ZH}]}, ensure_ascii=False), "utf-8")
    import_into_store(store, read_import_file(path))
    assert len(store.search("翻译")) == 1


def test_conversation_object_import_path(store: ConversationStore):
    conv = Conversation(title="t")
    conv.add(Message("user", JA))
    store.save_conversation(conv)
    assert len(store.search("勉強")) == 1


@pytest.mark.parametrize("text, query", [
    ("ビッグデータの時代です", "データ"),          # katakana inside a katakana word, long-vowel mark included
    ("ビッグデータの時代です", "ﾃﾞｰﾀ"),             # half-width kana typed
    ("자연어처리는 재미있어요", "자연어 처리"),        # the words typed apart, written together
    ("자연어처리는 재미있어요", "처리?"),             # punctuation after a word
    ("我爱北京天安门。", "天安门"),
    ("🎉🎉 임베딩은 벡터", "베딩"),
])
def test_more_ways_of_writing_cjk(store: ConversationStore, text: str, query: str):
    (msg,) = add(store, text)
    hits = store.search(query)
    assert [h.message_id for h in hits] == [msg.id]
    assert HIT_START in hits[0].snippet
