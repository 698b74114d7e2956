"""Benchmark the conversation store at scale: 10,000 conversations and 200,000 messages.

Measures, as the median of several runs (warm page cache; the first, cold-ish run is shown too):

* opening the store (header and schema checks; the full ``quick_check`` that runs after an unclean shutdown or
  for files under 16 MiB is timed separately),
* building the sidebar (``ConversationSidebar`` with its ``ConversationListModel``) and its first paint (with the
  open, the "list ready" figure; target under 200 ms), reading every row, and one row moving to the top,
* full-text searches of several kinds (target under 100 ms each),
* loading one conversation, and one streaming checkpoint write (``update_message`` with ``synchronous=FULL``).

Usage::

    python benchmarks/bench_store.py [--conversations 10000] [--messages 200000] [--runs 7] [--db PATH]

With ``--db`` the generated database is kept at PATH and reused by later runs (it is rebuilt when its size does
not match). Without it, a temporary folder is used and removed.
"""

from __future__ import annotations

import argparse
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

COMMON = ["the", "a", "to", "of", "and", "in", "is", "it", "that", "for", "you", "this", "with", "on", "be", "are", "as", "can", "your", "not", "or", "have", "if", "do", "will", "an", "by", "at", "from", "use", "we", "was", "but", "more", "what", "which", "one", "all", "so", "there", "when", "how", "code", "function", "python", "model", "data", "file", "error", "value", "list", "time", "example", "output", "first", "new", "need", "make", "like", "should", "here", "would", "also", "each", "step", "then", "used", "using", "test", "run", "number", "string"]
RARE = ["zyxomancy", "quillwort", "brachistochrone", "ultramontane", "sesquipedalian"]


def _vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ten", "ra", "sul", "vor", "pe", "di", "an", "gro", "ship", "ex", "tor", "nu",
                 "bel", "qua", "zi", "mon", "ter", "cal", "phe", "os", "ur", "ith"]
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    ordered = list(COMMON) + sorted(words - set(COMMON))
    return ordered


def build_database(path: Path, conversations: int, messages: int, seed: int = 0) -> float:
    """Fill a new store at ``path``; returns the seconds it took."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(vocab))]  # Zipf-like word frequencies
    cum = list(__import__("itertools").accumulate(weights))
    per_conv = messages // conversations
    extra = messages - per_conv * conversations
    start_time = time.time() - 366 * 86400  # a day of slack: every synthetic time lies in the past
    t0 = time.perf_counter()
    store = ConversationStore(path)
    batch: list[Conversation] = []
    rare_budget = {w: 3 for w in RARE}  # each rare word in exactly 3 messages

    def text(n_words: int) -> str:
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
