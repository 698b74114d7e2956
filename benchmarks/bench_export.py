"""Time exporting one conversation of 10,000 messages to every format, and importing the JSON and JSONL back.

    python benchmarks/bench_export.py [--messages 10000] [--repeat 3] [--skip-pdf] [--pdf-page-breaks both]

The conversation alternates user questions and assistant replies of realistic length (a paragraph, a fenced code
block, a list), with metadata on every reply and a regenerated branch every 50 messages. Each format is written to a
temp folder through the same function the command line uses; the figures are medians over ``--repeat`` runs (one
run for PDF, which takes longest), with the file size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmdesk.core.conversation import Conversation, Message
from llmdesk.core.export import FORMATS, write_export
from llmdesk.core.importer import read_import_file

QUESTION = "How do I read a file line by line in {lang} and count the words? Question {n}."
REPLY = (
    "Here is one way to do it in {lang}, reading lazily so a large file never sits in memory at once.\n\n"
    "```{lang}\n"
    "def count_words(path):\n"
    "    total = 0\n"
    "    with open(path, encoding=\"utf-8\") as fh:\n"
    "        for line in fh:\n"
    "            total += len(line.split())\n"
    "    return total  # reply {n}\n"
    "```\n\n"
    "Notes:\n\n"
    "1. `split()` with no argument splits on any run of whitespace.\n"
    "2. Opening with an explicit **encoding** avoids surprises on Windows.\n"
    "3. For huge files this runs at disk speed.\n"
)
LANGS = ("python", "rust", "go", "js", "bash")


def build_conversation(messages: int) -> Conversation:
    conv = Conversation(title=f"Benchmark: {messages} messages", created_at=1_790_000_000.0)
    parent = None
    t = conv.created_at
    for n in range(messages):
        t += 1.0
        lang = LANGS[n % len(LANGS)]
        if n % 2 == 0:
            msg = Message("user", QUESTION.format(lang=lang, n=n), parent_id=parent, created_at=t)
        else:
            meta = {"model": "microsoft/Phi-3-mini-4k-instruct", "revision": "main", "device": "cuda:0",
                    "dtype": "bfloat16", "seed": n,
                    "decoding": {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 512},
                    "stats": {"prompt_tokens": 40 + n, "new_tokens": 120, "ttft_s": 0.2, "tokens_per_s": 40.0}}
            if n % 50 == 1:  # a regenerated alternative, left as a side branch
                conv.add(Message("assistant", "An older draft.", parent_id=parent, created_at=t - 0.5,
                                 stop_reason="cancelled", meta=meta), make_current=False)
            msg = Message("assistant", REPLY.format(lang=lang, n=n), parent_id=parent, created_at=t,
                          stop_reason="eos", meta=meta)
        conv.add(msg)
        parent = msg.id
    return conv


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--pdf-page-breaks", choices=("on", "off", "both"), default="on")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    conv = build_conversation(args.messages)
    build_s = time.perf_counter() - start
    shown = len(conv.path())
    print(f"conversation: {len(conv.messages)} messages ({shown} on the shown path, "
          f"{sum(len(m.content) for m in conv.messages.values()) / 1e6:.2f} M characters), built in {build_s:.2f} s")
    print(f"{'format':<22}{'seconds':>10}{'MB':>9}{'msgs/s':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for fmt, (ext, _label) in FORMATS.items():
            if fmt == "pdf":
                continue
            path = folder / f"bench-{fmt}{ext}"
            seconds = _time(lambda fmt=fmt, path=path: write_export([conv], fmt, path), args.repeat)
            size = path.stat().st_size / 1e6
            print(f"{fmt:<22}{seconds:>10.3f}{size:>9.2f}{shown / seconds:>11.0f}")
        for fmt in ("json", "openai-jsonl", "sharegpt-jsonl"):
            path = folder / f"bench-{fmt}{FORMATS[fmt][0]}"
            seconds = _time(lambda path=path: read_import_file(path), args.repeat)
            print(f"{'import ' + fmt:<22}{seconds:>10.3f}{path.stat().st_size / 1e6:>9.2f}"
                  f"{len(conv.messages if fmt == 'json' else conv.path()) / seconds:>11.0f}")
        if not args.skip_pdf:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from llmdesk.core.export import ExportOptions
            from llmdesk.gui.export.pdf_export import ensure_gui_application

            ensure_gui_application()
            modes = {"on": [True], "off": [False], "both": [True, False]}[args.pdf_page_breaks]
            for breaks in modes:
                path = folder / f"bench-{breaks}.pdf"
                start = time.perf_counter()
                write_export([conv], "pdf", path, ExportOptions(page_break_between_messages=breaks))
                seconds = time.perf_counter() - start
                label = "pdf" if breaks else "pdf (no breaks)"
                pages = _count_pages(path)
                print(f"{label:<22}{seconds:>10.3f}{path.stat().st_size / 1e6:>9.2f}{shown / seconds:>11.0f}"
                      f"   {pages} pages")
    return 0


def _count_pages(path: Path) -> str:
    try:
        import pypdf
    except ImportError:
        return "?"
    return str(len(pypdf.PdfReader(path).pages))


if __name__ == "__main__":
    sys.exit(main())
