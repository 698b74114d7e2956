"""Conversations the export and import tests share: branches, metadata, awkward Markdown, hostile HTML."""

from __future__ import annotations

from pathlib import Path

from llmdesk.core.conversation import Conversation, Message

T0 = 1_790_000_000.25

AWKWARD_REPLY = (
    "Here is a fence that holds a fence:\n\n"
    "````markdown\n"
    "```python\n"
    "print('hi')\n"
    "```\n"
    "````\n\n"
    "## A heading inside the reply\n\n"
    "And tildes with an info string:\n\n"
    "~~~ js {linenos}\n"
    "const a = '```';\n"
    "~~~\n\n"
    "1. a list\n"
    "   ```bash\n"
    "   ls -la\n"
    "   ```\n"
    "2. after the list\n\n"
    "Inline `code` and **bold**.\n"
)

TRUNCATED_REPLY = "Cut off in the middle of code:\n\n```rust\nfn main() {\n    println!(\"no end\");"


def meta(model: str = "microsoft/Phi-3-mini-4k-instruct", seed: int = 1234) -> dict:
    return {
        "model": model,
        "revision": "0a67737cc96d2554230f90338b163bc6380a2a85",
        "device": "cuda:0",
        "dtype": "bfloat16",
        "decoding": {"temperature": 0.7, "top_p": 0.9, "top_k": 50, "max_new_tokens": 512,
                     "repetition_penalty": 1.05, "stop": ["<|end|>"]},
        "seed": seed,
        "stats": {"prompt_tokens": 31, "new_tokens": 87, "ttft_s": 0.183, "tokens_per_s": 41.25,
                  "total_s": 2.29},
        "app_note": ["free-form", {"nested": True}, None],
    }


def branched_conversation() -> Conversation:
    """A conversation with a system prompt, an edited user message (two branches) and a regenerated reply."""
    conv = Conversation(title="Branches & <things>", id="c" * 32, title_is_auto=False, created_at=T0,
                        updated_at=T0 + 100)
    sys_msg = conv.add(Message("system", "You are terse.", id="s1", created_at=T0 + 1))
    u1 = conv.add(Message("user", "What is 2+2?", parent_id=sys_msg.id, id="u1", created_at=T0 + 2))
    conv.add(Message("assistant", "4", parent_id=u1.id, id="a1", created_at=T0 + 3, stop_reason="eos",
                     meta=meta(seed=1)))
    conv.add(Message("assistant", "Four.", parent_id=u1.id, id="a1b", created_at=T0 + 4, stop_reason="eos",
                     meta=meta(seed=2)))
    u2 = conv.add(Message("user", "Show code", parent_id=sys_msg.id, id="u2", created_at=T0 + 5))
    a2 = conv.add(Message("assistant", AWKWARD_REPLY, parent_id=u2.id, id="a2", created_at=T0 + 6,
                          stop_reason="eos", meta=meta(model="local/tiny")))
    u3 = conv.add(Message("user", "Now Rust\u2028please", parent_id=a2.id, id="u3", created_at=T0 + 7))
    conv.add(Message("assistant", TRUNCATED_REPLY, parent_id=u3.id, id="a3", created_at=T0 + 8,
                     stop_reason="length", meta=meta()))
    conv.current_leaf_id = "a3"
    return conv


def simple_conversation(title: str = "Second chat", cid: str = "d" * 32) -> Conversation:
    conv = Conversation(title=title, id=cid, created_at=T0 + 50, updated_at=T0 + 60)
    u = conv.add(Message("user", "Hello, ünïcödé ✓", id=cid[:4] + "-u", created_at=T0 + 51))
    conv.add(Message("assistant", "Hi! How can I help?", parent_id=u.id, id=cid[:4] + "-a", created_at=T0 + 52,
                     stop_reason="cancelled", meta={"model": "m", "stats": {"new_tokens": 5}}))
    return conv


HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "</article></main><iframe src='https://evil.example'></iframe>",
    '"><svg onload=alert(2)>',
    "<a href=\"javascript:alert(3)\">click</a>",
    "<style>body{display:none}</style>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "`<b>inline</b>` **<i>bold</i>** *<u>em</u>*",
    "<!-- comment --> &amp; &lt;script&gt; entities",
]


def hostile_conversation() -> Conversation:
    conv = Conversation(title="<script>alert('title')</script>", id="e" * 32, created_at=T0)
    parent = None
    for k, text in enumerate(HOSTILE):
        role = "user" if k % 2 == 0 else "assistant"
        msg = conv.add(Message(role, text, parent_id=parent, created_at=T0 + k, stop_reason="eos" if
                               role == "assistant" else None,
                               meta={"model": "<img src=x onerror=alert(9)>"} if role == "assistant" else {}))
        parent = msg.id
    conv.add(Message("assistant", "```html\"><script>alert(4)</script>\n<script>alert(5)</script>\n```",
                     parent_id=parent, created_at=T0 + 99, stop_reason="eos"))
    return conv


def benign_twin(conv: Conversation) -> Conversation:
    """The same shape as ``conv`` with harmless text: punctuation other than Markdown's turned into letters."""
    twin = Conversation(title="plain title", id="f" * 32, created_at=conv.created_at)
    mapping: dict[str, str] = {}
    for msg in sorted(conv.messages.values(), key=lambda m: m.created_at):
        plain = "".join(ch if ch.isalnum() or ch in " \n`*" else "x" for ch in msg.content)
        new = twin.add(Message(msg.role, plain, parent_id=mapping.get(msg.parent_id or ""),
                               created_at=msg.created_at, stop_reason=msg.stop_reason,
                               meta={"model": "plain"} if msg.meta else {}))
        mapping[msg.id] = new.id
    return twin


# shared/ lies beside the checkout (a worktree's, main's or CI's clone); found from wherever this file is moved to
CASE_06 = next((p / "shared" / "cases" / "06-export-fidelity.jsonl" for p in Path(__file__).resolve().parents
                if (p / "shared" / "cases").is_dir()), Path("shared/cases/06-export-fidelity.jsonl"))
# The same input as shared/cases/06-export-fidelity.jsonl, kept here so the tests run without shared/.
FIDELITY_USER = ("Why does def __init__(self, *args, **kwargs) fail?\nAlso 2*3*4 = 24 and <div> tags.\n"
                 "# not a heading, just a hash\n1) item")
FIDELITY_REPLY = ("Here is a **summary**:\n\n| Option | Cost |\n|---|---|\n| A | *cheap* |\n| B | dear |\n\n"
                  "- first point\n- second point\n\n> quoted advice\n\nSee [the docs](https://example.com).")


def fidelity_conversation() -> Conversation:
    """The conversation of case 06: a user message full of Markdown-like text, a reply with a table, a list, a
    quote and a link."""
    conv = Conversation(title="Export fidelity", id="a" * 32, created_at=T0, updated_at=T0 + 5)
    u = conv.add(Message("user", FIDELITY_USER, id="f-u", created_at=T0 + 1))
    conv.add(Message("assistant", FIDELITY_REPLY, parent_id=u.id, id="f-a", created_at=T0 + 2, stop_reason="eos",
                     meta={"model": "m"}))
    return conv


def visible_lines(blocks) -> list[str]:
    """The lines of text a reader sees for outline blocks (links followed by their address), in order."""
    from llmdesk.core.export import outline as o

    out: list[str] = []
    for block in blocks:
        if isinstance(block, (o.Paragraph, o.Heading)):
            out.append(o.inline_text(block.spans))
        elif isinstance(block, o.Verbatim):
            out.extend(block.text.split("\n"))
        elif isinstance(block, o.CodeBlock):
            out.extend(([block.language] if block.language else []) + block.code.rstrip("\n").split("\n"))
        elif isinstance(block, o.ListBlock):
            for item in block.items:
                out.extend(visible_lines(item))
        elif isinstance(block, o.Quote):
            out.extend(visible_lines(block.blocks))
        elif isinstance(block, o.Table):
            out.extend(o.inline_text(cell) for row in (block.header, *block.rows) for cell in row)
    return [line for line in out if line.strip()]
