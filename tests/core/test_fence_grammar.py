"""One fence grammar for the screen and every export, checked against CommonMark's reference (markdown-it-py).

The corpus holds every example of CommonMark's section 4.5 "Fenced code blocks" (spec 0.30/0.31, examples 119-147)
and the cases that went wrong in llmdesk: a tilde fence whose info string holds a backtick was prose for the chat
view (its closing ``~~~`` then swallowed the rest of the reply as code) while CommonMark and the exports read code.
The streaming splitter (the chat view) and ``export.split_markdown`` (every export) must find the same top-level
fenced code blocks as markdown-it. ``tests/gui/test_gui_rendering.py`` renders the same corpus in the chat view.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll

from llmdesk.core import export
from llmdesk.core.markdown_blocks import CodeEnd, CodeLine, CodeStart, MarkdownSplitter, open_fence

# CommonMark spec, "4.5 Fenced code blocks", examples in order (0.31.2 numbering).
SPEC_EXAMPLES = [
    "```\n<\n >\n```\n",                                   # 119
    "~~~\n<\n >\n~~~\n",                                   # 120
    "``\nfoo\n``\n",                                       # 121: inline code, not a fence
    "```\naaa\n~~~\n```\n",                                # 122
    "~~~\naaa\n```\n~~~\n",                                # 123
    "````\naaa\n```\n``````\n",                            # 124
    "~~~~\naaa\n~~~\n~~~~\n",                              # 125
    "```\n",                                               # 126
    "`````\n\n```\naaa\n",                                 # 127
    "> ```\n> aaa\n\nbbb\n",                               # 128: inside a block quote (not top level)
    "```\n\n  \n```\n",                                    # 129
    "```\n```\n",                                          # 130
    " ```\n aaa\naaa\n```\n",                              # 131
    "  ```\naaa\n  aaa\naaa\n  ```\n",                     # 132
    "   ```\n   aaa\n    aaa\n  aaa\n   ```\n",            # 133
    "    ```\n    aaa\n    ```\n",                         # 134: indented code, not a fence
    "```\naaa\n  ```\n",                                   # 135
    "   ```\naaa\n  ```\n",                                # 136
    "```\naaa\n    ```\n",                                 # 137
    "``` ```\naaa\n",                                      # 138
    "~~~~~~\naaa\n~~~ ~~\n",                               # 139
    "foo\n```\nbar\n```\nbaz\n",                           # 140
    "foo\n---\n~~~\nbar\n~~~\n# baz\n",                    # 141
    "```ruby\ndef foo(x)\n  return 3\nend\n```\n",         # 142
    "~~~~    ruby startline=3 $%@#$\ndef foo(x)\n  return 3\nend\n~~~~~~~\n",  # 143
    "````;\n````\n",                                       # 144
    "``` aa ```\nfoo\n",                                   # 145
    "~~~ aa ``` ~~~\nfoo\n~~~\n",                          # 146
    "```\n``` aaa\n```\n",                                 # 147
]

# Replies as models write them, and the cases that failed.
REPLY_CASES = [
    "Use this:\n\n~~~ js `main`\nlet a = 1;\n~~~\n\nAnd then *more* prose.\n\n```py\nx = 1\n```\n",
    "~~~ js `x`\ncode\n~~~\nafter the fence\n",
    "```js `x`\nnot a fence\n```\nthis is code\n```\n",
    "~~~~\n~~~\nstill code\n~~~~ \nafter",
    "  ```py\n  indented\n    more\n  ```",
    "```a`b\nnot a fence\n```",
    "1. step\n   ```bash\n   ls -l\n   ```\n2. next\n",
    "```\nunclosed at the end\n",
    "```py\t\nx\n```\t \n",
    "``` python extra words\ncode\n```\n",
    "```c\\+\\+\nint x;\n```\n",
    "~~~\n```\n~~~\n",
    "text\n````md\n```py\ninner\n```\n````\nend\n",
]

CORPUS = SPEC_EXAMPLES + REPLY_CASES


def commonmark_fences(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks CommonMark finds outside block quotes, with the fence indented at most three spaces
    (at the top level or in a list item, which llmdesk reads as top level): (language, code, each line ending in
    a newline)."""
    out = []
    lines = text.split("\n")
    quotes = 0
    for tok in MarkdownIt("commonmark").parse(text):
        quotes += {"blockquote_open": 1, "blockquote_close": -1}.get(tok.type, 0)
        if tok.type == "fence" and not quotes:
            opening = lines[tok.map[0]]
            if len(opening) - len(opening.lstrip(" ")) > 3:
                continue
            code = tok.content if tok.content.endswith("\n") or not tok.content else tok.content + "\n"
            info = unescapeAll(tok.info).strip()  # as markdown-it's renderer reads it (escapes and entities)
            out.append((info.split()[0] if info else "", code))
    return out


def splitter_fences(text: str, step: int) -> list[tuple[str, str]]:
    splitter = MarkdownSplitter()
    events = []
    for i in range(0, len(text), step):
        events += splitter.feed(text[i:i + step])
    events += splitter.close()
    out: list[tuple[str, str]] = []
    lines: list[str] = []
    language = ""
    for event in events:
        if isinstance(event, CodeStart):
            language, lines = event.language, []
        elif isinstance(event, CodeLine):
            lines.append(event.text + "\n")
        elif isinstance(event, CodeEnd):
            out.append((language, "".join(lines)))
    return out


@pytest.mark.parametrize("text", CORPUS)
def test_screen_splitter_finds_commonmarks_fences(text: str) -> None:
    expected = commonmark_fences(text)
    for step in (1, 3, len(text)):
        assert splitter_fences(text, step) == expected, (text, step)


@pytest.mark.parametrize("text", CORPUS)
def test_exports_find_commonmarks_fences(text: str) -> None:
    ours = [(b.language, b.code) for b in export.split_markdown(text) if isinstance(b, export.CodeBlock)]
    assert ours == commonmark_fences(text), text


def test_the_corpus_exercises_both_fence_kinds_and_non_fences() -> None:
    found = [commonmark_fences(t) for t in SPEC_EXAMPLES]
    assert sum(1 for f in found if f) >= 22 and sum(1 for f in found if not f) >= 3


def test_fence_grammar_details() -> None:
    tilde = open_fence("~~~ js `main`")
    assert tilde is not None and tilde.char == "~" and tilde.info == "js `main`" and tilde.language == "js"
    assert open_fence("``` js `main`") is None  # a backtick fence's info string may not hold a backtick
    assert open_fence("    ```") is None  # four spaces: indented code
    fence = open_fence("  ````py")
    assert fence is not None and (fence.indent, fence.length, fence.language) == (2, 4, "py")
    assert fence.closed_by("````") and fence.closed_by("   `````  ") and not fence.closed_by("```")
    assert not fence.closed_by("    ````") and not fence.closed_by("```` x") and not fence.closed_by("~~~~")
    assert fence.strip_indent("    code") == "  code" and fence.strip_indent(" x") == "x"
    assert open_fence("```c\\+\\+").language == "c++"  # backslash escapes in the info string
