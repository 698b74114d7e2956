"""Benchmark the conversation store at scale: 10,000 conversations and 200,000 messages.

Measures, as the median of several runs (warm page cache; the first, cold-ish run is shown too):

* opening the store (header and schema checks; the full ``quick_check`` that runs after an unclean shutdown or
  for files under 16 MiB is timed separately),
* building the sidebar (``ConversationSidebar`` with its ``ConversationListModel``) and its first paint (with the
  open, the "list ready" figure; target under 200 ms), reading every row, and one row moving to the top,
* full-text searches of several kinds (target under 100 ms each), Chinese, Japanese and Korean ones included
  (15 % of the messages are CJK text: words inside longer Korean words and inside Chinese and Japanese sentences
  without spaces, queries of one, two and more characters),
* rebuilding the search index as an upgrade from an older schema does (one run),
* loading one conversation, and one streaming checkpoint write (``update_message`` with ``synchronous=FULL``).

Usage::

    python benchmarks/bench_store.py [--conversations 10000] [--messages 200000] [--runs 7] [--db PATH]

With ``--db`` the generated database is kept at PATH and reused by later runs (it is rebuilt when its size does
not match). Without it, a temporary folder is used and removed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.store import ConversationStore
from llmdesk.core.store.schema import _migrate_2_to_3

COMMON = ["the", "a", "to", "of", "and", "in", "is", "it", "that", "for", "you", "this", "with", "on", "be", "are", "as", "can", "your", "not", "or", "have", "if", "do", "will", "an", "by", "at", "from", "use", "we", "was", "but", "more", "what", "which", "one", "all", "so", "there", "when", "how", "code", "function", "python", "model", "data", "file", "error", "value", "list", "time", "example", "output", "first", "new", "need", "make", "like", "should", "here", "would", "also", "each", "step", "then", "used", "using", "test", "run", "number", "string"]
RARE = ["zyxomancy", "quillwort", "brachistochrone", "ultramontane", "sesquipedalian"]
CJK_SHARE = 0.15  # of the messages: a third each Korean, Chinese, Japanese
RARE_CJK = ["양자컴퓨팅은", "量子纠缠现象", "量子もつれの"]  # each in exactly 3 messages, like RARE

HANGUL = ("가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호구누두루무부수우주추기니디리미비시"
          "이지치키티피히개내대래매배새애재채해게네데레메베세에제체테페헤과관광국군권근금길김남년능단달담당덕동들등락란람랑"
          "량런려력련령록론료류른를름린림립만말망면명목몰못문물민밀박반발방백번벌범법변별병복본봉북분불비빈사산살삼상색생"
          "석선설성세속손송숙순술스슬습승식신실심십악안알암압앙액약양억언얼엄업역연열염엽영예옥온올와완왕외요욕용운울원월"
          "위유육윤율은을음응의익인일임입작잔잠장쟁적전절점접정족존종좌죽준중즉증직진질집징착찬찰참창책척천철청촉촌총최"
          "축춘출충취측층치칙친칠침탁탄탈탐탑탕택통퇴투특판팔패편평폐포폭표품풍필학한할함합항핵행향허헌험혁현혈협형혜호"
          "혹혼홍화확환활황회획효후훈휘휴흑흡흥희")
HANZI = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能"
         "好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进"
         "把法此实回二理美点月明社问定者化数别处力电制体系机政代合因相关利业技术语言模型据训练网络计算题结果研究统信息内容服务")
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼ"
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボー"
KANJI = "日本語自然言語処理学習機械翻訳文字列検索結果時間今日明日会社仕事電話手紙友達先生学生大学病院銀行駅車道店食事料理天気"
# real words at the top of each vocabulary, so the queries below find something
KO_WORDS = ["자연어처리", "임베딩", "데이터", "인코더", "디코더", "트랜스포머", "모델", "학습"]
ZH_WORDS = ["自然语言处理", "数据", "模型", "训练", "机器翻译", "语言", "计算"]
JA_WORDS = ["自然言語処理", "検索結果", "データ", "モデル", "学習", "機械翻訳", "東京"]


def _vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ten", "ra", "sul", "vor", "pe", "di", "an", "gro", "ship", "ex", "tor", "nu",
                 "bel", "qua", "zi", "mon", "ter", "cal", "phe", "os", "ur", "ith"]
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    ordered = list(COMMON) + sorted(words - set(COMMON))
    return ordered


class CJKText:
    """Zipf-distributed Korean, Chinese and Japanese text: Korean words with particles between spaces, Chinese and
    Japanese sentences without spaces."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

        def words(alphabet: str, n: int, lo: int, hi: int, first: list[str]) -> list[str]:
            out = set(first)
            while len(out) < n:
                out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi))))
            return first + sorted(out - set(first))

        self.vocab = {"ko": words(HANGUL, 6000, 2, 4, KO_WORDS), "zh": words(HANZI, 6000, 1, 3, ZH_WORDS),
                      "ja": words(KANJI, 3000, 1, 3, JA_WORDS) + words(KATAKANA, 1500, 2, 5, [])}
        self.cum = {k: list(itertools.accumulate(1.0 / (r + 1) ** 1.07 for r in range(len(v))))
                    for k, v in self.vocab.items()}
        self.ko_particles = ["은", "는", "이", "가", "을", "를", "에", "에서", "으로", "의", "와", "도", ""]
        self.ja_particles = ["は", "が", "を", "に", "で", "と", "の", "も", "から", "まで", "です", "ます", "した"]

    def text(self, lang: str, n: int) -> str:
        ws = self.rng.choices(self.vocab[lang], cum_weights=self.cum[lang], k=n)
        if lang == "ko":
            ws = [w + self.rng.choice(self.ko_particles) for w in ws]
            return ". ".join(" ".join(ws[i:i + 8]) for i in range(0, n, 8)) + "."
        if lang == "ja":
            ws = [w + self.rng.choice(self.ja_particles) for w in ws]
        return "。".join("".join(ws[i:i + 10]) for i in range(0, n, 10)) + "。"


def build_database(path: Path, conversations: int, messages: int, seed: int = 0) -> float:
    """Fill a new store at ``path``; returns the seconds it took."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(vocab))]  # Zipf-like word frequencies
    cum = list(itertools.accumulate(weights))
    per_conv = messages // conversations
    extra = messages - per_conv * conversations
    start_time = time.time() - 366 * 86400  # a day of slack: every synthetic time lies in the past
    t0 = time.perf_counter()
    store = ConversationStore(path)
    batch: list[Conversation] = []
    rare_budget = {w: 3 for w in RARE}  # each rare word in exactly 3 messages
    rare_cjk_budget = {w: 3 for w in RARE_CJK}
    cjk = CJKText(rng)
    langs = ("ko", "zh", "ja")

    def text(n_words: int) -> str:
        if rng.random() < CJK_SHARE:
            k = rng.randrange(3)
            out = cjk.text(langs[k], n_words)
            word = RARE_CJK[k]
            if rare_cjk_budget[word] and rng.random() < 3 / (messages * CJK_SHARE / 3):
                rare_cjk_budget[word] -= 1
                cut = rng.randrange(len(out))
                out = out[:cut] + (" " + word + " " if k == 0 else word) + out[cut:]
            return out
        words = rng.choices(vocab, cum_weights=cum, k=n_words)
        for w, left in rare_budget.items():
            if left and rng.random() < 3 / messages:
                words[rng.randrange(len(words))] = w
                rare_budget[w] -= 1
        sentence_len = 12
        return ". ".join(" ".join(words[i:i + sentence_len]).capitalize()
                         for i in range(0, len(words), sentence_len)) + "."

    for c in range(conversations):
        n = per_conv + (1 if c < extra else 0)
        t = start_time + c * (365 * 86400 / conversations) + rng.random() * 3600
        conv = Conversation(title="", created_at=t, updated_at=t)
        parent: Message | None = None
        last_user: Message | None = None
        for i in range(n):
            t += rng.uniform(5, 120)
            if i % 2 == 0:
                msg = Message("user", text(rng.randint(5, 40)), parent_id=parent.id if parent else None,
                              created_at=t)
                last_user = msg
            elif i == n - 1 and c % 10 == 0 and i >= 3 and last_user is not None:
                # every tenth conversation ends with a regenerated alternative reply (a branch)
                msg = Message("assistant", text(rng.randint(20, 120)), parent_id=last_user.id, created_at=t,
                              stop_reason="eos")
            else:
                msg = Message("assistant", text(rng.randint(20, 120)), parent_id=parent.id if parent else None,
                              created_at=t, stop_reason="eos",
                              meta={"model": "microsoft/Phi-3-mini-4k-instruct", "device": "cpu",
                                    "dtype": "bfloat16", "stats": {"new_tokens": 80, "tokens_per_s": 0.6}})
            conv.add(msg)
            if msg.role == "user" and conv.title == "":
                conv.title = " ".join(msg.content.split()[:6])
            parent = msg
        conv.updated_at = t
        batch.append(conv)
        if len(batch) == 500:
            store.save_conversations(batch)
            batch = []
    if batch:
        store.save_conversations(batch)
    store.close()
    return time.perf_counter() - t0


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.1f} ms (min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the generated database here and reuse it")
    parser.add_argument("--no-gui", action="store_true", help="skip the Qt list model and view")
    args = parser.parse_args(argv)

    tmp = None
    if args.db:
        db = args.db
    else:
        tmp = Path(tempfile.mkdtemp(prefix="llmdesk-bench-"))
        db = tmp / "conversations.sqlite3"
    try:
        return _run(args, db)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, db: Path) -> int:
    rebuild = True
    if db.exists():
        with ConversationStore(db) as store:
            count = store.conversation_count()
            total = store._connection().execute("SELECT count(*) FROM messages").fetchone()[0]
        rebuild = (count, total) != (args.conversations, args.messages)
        if rebuild:
            for p in [db] + [db.with_name(db.name + s) for s in ("-wal", "-shm")]:
                p.unlink(missing_ok=True)
    if rebuild:
        print(f"building {args.conversations:,} conversations with {args.messages:,} messages ...", flush=True)
        secs = build_database(db, args.conversations, args.messages)
        print(f"  built in {secs:.1f} s")
    size = db.stat().st_size
    print(f"database: {db} ({size / 2**20:.1f} MiB)")
    print(f"python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}, {os.cpu_count()} CPUs")

    app = None
    sidebar_cls = None
    if not args.no_gui:
        from PySide6.QtWidgets import QApplication

        from llmdesk.gui.conversations.conversation_list import ConversationSidebar
        app = QApplication.instance() or QApplication([])
        sidebar_cls = ConversationSidebar

    opens, lists, models, paints, readies, fetch_alls, moves = [], [], [], [], [], [], []
    for _ in range(args.runs + 1):
        t0 = time.perf_counter()
        store = ConversationStore(db)
        t1 = time.perf_counter()
        if sidebar_cls is None:
            rows = store.list_conversations()
            t2 = t3 = t4 = time.perf_counter()
            n_rows = len(rows)
        else:
            t2 = time.perf_counter()
            sidebar = sidebar_cls(store)
            t3 = time.perf_counter()
            sidebar.resize(300, 800)
            sidebar.show()
            sidebar.grab()  # forces layout and a paint of the visible rows
            t4 = time.perf_counter()
            model = sidebar.model
            n_rows = model.rowCount()
            t5 = time.perf_counter()
            model.fetch_all()
            fetch_alls.append(time.perf_counter() - t5)
            assert model.rowCount() == args.conversations, model.rowCount()
            # a reply finishing in the oldest conversation: its row moves from the bottom to the top
            oldest = model.summary(model.rowCount() - 1).id
            leaf = store.load_conversation(oldest).current_leaf_id
            t6 = time.perf_counter()
            store.update_message(leaf, stop_reason="eos")
            moves.append(time.perf_counter() - t6)
            assert model.summary(0).id == oldest
            sidebar.close()
            sidebar.deleteLater()
            app.processEvents()
        assert n_rows == (args.conversations if sidebar_cls is None else min(args.conversations, 200)), n_rows
        opens.append(t1 - t0)
        lists.append(t2 - t1)
        models.append(t3 - t2)
        paints.append(t4 - t3)
        readies.append(t4 - t0)
        store.close()
    first = readies[0]
    opens, lists, models, paints, readies = (x[1:] for x in (opens, lists, models, paints, readies))

    print(f"\nlist ready ({args.runs} runs, median; first run {first * 1000:.1f} ms):")
    print(f"  open store + checks             {_median_ms(opens)}")
    if sidebar_cls is not None:
        print(f"  build ConversationSidebar+model  {_median_ms(models)}")
        print(f"  first paint                      {_median_ms(paints)}")
    else:
        print(f"  list_conversations               {_median_ms(lists)}")
    print(f"  total: list ready                {_median_ms(readies)}   target < 200 ms")
    if sidebar_cls is not None:
        print(f"  (the model reads 200 rows per page; reading all {args.conversations:,} rows, as scrolling to the "
              f"end does: {_median_ms(fetch_alls[1:])};\n   a reply finishing in the oldest conversation, saved "
              f"and its row moved to the top of {args.conversations:,}: {_median_ms(moves[1:])})")

    store = ConversationStore(db)
    conn = store._connection()
    checks = []
    for _ in range(3):
        t0 = time.perf_counter()
        conn.execute("PRAGMA quick_check").fetchall()
        checks.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    lst = store.list_conversations()
    list_only = time.perf_counter() - t0
    print(f"  (an open after an unclean shutdown adds a full quick_check: {_median_ms(checks)};\n"
          f"   list_conversations() of all {len(lst):,} rows at once: {list_only * 1000:.1f} ms)")

    queries = [
        ("rare word", RARE[0]),
        ("common word", "python"),
        ("very common word", "the"),
        ("two words", "function error"),
        ("prefix while typing", "pyth"),
        ("two-letter prefix", "th"),
        ("one letter", "t"),
        ("common and rare word", "the " + RARE[0]),
        ("three words, no hit", "python brachistochrone zyxomancy"),
        ("Korean inside a word", "처리"),
        ("Korean inside a word", "베딩"),
        ("Korean one syllable", "처"),
        ("Korean rare, mid-word", "컴퓨"),
        ("Chinese two characters", "语言"),
        ("Chinese one character", "的"),
        ("Chinese rare", "纠缠"),
        ("Japanese kanji", "処理"),
        ("Japanese one kana", "を"),
        ("Japanese four+", "言語処理"),
        ("Japanese rare kana", "もつれ"),
        ("CJK never together", "的是的是"),
        ("CJK and Latin", "python 处理"),
    ]
    print(f"\nsearch ({args.runs} runs each, median, limit 100 as in the sidebar):")
    worst = 0.0
    for label, q in queries:
        samples = []
        hits = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            hits = store.search(q, limit=100)
            samples.append(time.perf_counter() - t0)
        worst = max(worst, statistics.median(samples))
        print(f"  {label:<22} {q!r:<36} {len(hits):3d} hits  {_median_ms(samples)}")
    print(f"  slowest median: {worst * 1000:.1f} ms   target < 100 ms")
    if sidebar_cls is not None:
        sidebar = sidebar_cls(store)
        sidebar.resize(300, 800)
        sidebar.show()
        sidebar.grab()
        print("  in the sidebar, search and paint of the hits (what the user waits for):")
        for label, q in (("common word", "python"), ("two words", "function error"), ("rare word", RARE[0])):
            samples = []
            for _ in range(args.runs):
                sidebar.search_field.setText("")
                t0 = time.perf_counter()
                sidebar.search_field.setText(q)
                sidebar.run_search()
                sidebar.grab()
                samples.append(time.perf_counter() - t0)
            shown = sidebar.results_view.results.rowCount()
            print(f"  {label:<22} {q!r:<36} {shown:3d} hits  {_median_ms(samples)}")
        sidebar.close()
        sidebar.deleteLater()
        app.processEvents()

    conn = store._connection()
    conn.execute("BEGIN IMMEDIATE")
    t0 = time.perf_counter()
    _migrate_2_to_3(conn)  # what opening an older database does: drop the index, build it again
    rebuild = time.perf_counter() - t0
    conn.execute("ROLLBACK")
    n_messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    print(f"\nrebuilding the search index of {n_messages:,} messages (as an upgrade does, once): {rebuild:.1f} s")

    some = [s.id for s in lst[:: max(1, len(lst) // args.runs)]][: args.runs]
    loads = []
    for cid in some:
        t0 = time.perf_counter()
        store.load_conversation(cid)
        loads.append(time.perf_counter() - t0)
    print(f"\nload one conversation            {_median_ms(loads)}")

    conv = store.create_conversation()
    user = Message("user", "benchmark question")
    store.add_message(conv.id, user)
    reply = Message("assistant", "", parent_id=user.id)
    store.add_message(conv.id, reply)
    writes = []
    text = ""
    for i in range(args.runs * 3):
        text += "word " * 60
        t0 = time.perf_counter()
        store.update_message(reply.id, content=text)
        writes.append(time.perf_counter() - t0)
    print(f"checkpoint write (~{len(text) // 1000} kB reply, synchronous=FULL) {_median_ms(writes)}")
    store.delete_conversation(conv.id)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
