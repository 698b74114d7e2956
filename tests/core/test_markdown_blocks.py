"""The Qt-free streaming splitter: prose blocks, code lines, table rows and list items, whatever the piece size."""

from __future__ import annotations

from llmdesk.core.markdown_blocks import (CodeEnd, CodeLine, CodeStart, ListEnd, ListItem, MarkdownSplitter,
                                          ProseBlock, TableEnd, TableRow, TableStart)

SAMPLE = """# Title

Some *text* with `inline code`.

- one
- two

| a | b |
|---|---|
| 1 | 2 |

```python
def f():
    return '''x'''
```

Done.
"""


def split_all(text: str, step: int) -> list:
    splitter = MarkdownSplitter()
    events = []
    for i in range(0, len(text), step):
        events += splitter.feed(text[i:i + step])
    return events + splitter.close()


def test_splitter_events_do_not_depend_on_piece_size():
    expected = [ProseBlock("# Title"), ProseBlock("Some *text* with `inline code`."), ListItem("- one"),
                ListItem("- two"), ListEnd(), TableStart("| a | b |", "|---|---|"), TableRow("| 1 | 2 |"), TableEnd(),
                CodeStart("python"), CodeLine("def f():"), CodeLine("    return '''x'''"), CodeEnd(),
                ProseBlock("Done.")]
    for step in (1, 2, 3, 7, 50, len(SAMPLE)):
        assert split_all(SAMPLE, step) == expected, step


def test_list_items_keep_their_continuations_and_a_fence_ends_the_list():
    text = "1. item\n\n   more about the item\n\n2. next\n```\na\n\nb\n```\n"
    assert split_all(text, 1) == [ListItem("1. item\n\n   more about the item", 1), ListItem("2. next", 2), ListEnd(),
                                  CodeStart(""), CodeLine("a"), CodeLine(""), CodeLine("b"), CodeEnd()]


def test_unclosed_fence_at_the_end_is_code():
    assert split_all("~~~js\nlet a = 1;\nlet b", 4) == [CodeStart("js"), CodeLine("let a = 1;"), CodeLine("let b"),
                                                        CodeEnd()]


def test_tilde_fence_with_a_backtick_in_its_info_string_is_code():
    events = split_all("~~~ js `main`\nlet a = 1;\n~~~\nafter\n", 1)
    assert events == [CodeStart("js"), CodeLine("let a = 1;"), CodeEnd(), ProseBlock("after")]


def test_table_rows_are_committed_as_they_complete():
    splitter = MarkdownSplitter()
    assert splitter.feed("| a | b |\n|--") == []
    assert splitter.feed("-|---|\n| 1 | ") == [TableStart("| a | b |", "|---|---|")]
    assert splitter.mode == "table" and splitter.open_text == "| 1 | "
    assert splitter.feed("2 |\n| 3") == [TableRow("| 1 | 2 |")]
    assert splitter.open_text == "| 3"
    assert splitter.feed(" | 4 |\nno pipe is a row too\n\nafter") == [
        TableRow("| 3 | 4 |"), TableRow("no pipe is a row too"), TableEnd()]
    assert splitter.mode == "prose" and splitter.open_text == "after"
    assert splitter.close() == [ProseBlock("after")]


def test_a_block_start_ends_a_table():
    for line, rest in (("- item", [ListItem("- item"), ListEnd()]), ("> quote", [ProseBlock("> quote")]),
                       ("---", [ProseBlock("---")]), ("```", [CodeStart(""), CodeEnd()])):
        events = split_all(f"| a |\n|---|\n| 1 |\n{line}\n", 3)
        assert events == [TableStart("| a |", "|---|"), TableRow("| 1 |"), TableEnd(), *rest], line


def test_what_is_not_a_table():
    # a delimiter row needs a pipe (else it is a heading underline); a table cannot interrupt a paragraph (Qt's
    # reader, md4c); four spaces make indented code
    for text in ("a\n---\n", "para\n| a | b |\n|---|---|\n", "    | a |\n    |---|\n"):
        assert not any(isinstance(e, TableStart) for e in split_all(text, 2)), text


def test_list_items_are_committed_as_they_complete():
    splitter = MarkdownSplitter()
    assert splitter.feed("- one\n") == []
    assert splitter.mode == "list" and splitter.open_text == "- one"
    assert splitter.feed("  - nested\n- two") == []  # a partial line is not yet an item ("-" may become "---")
    assert splitter.feed("\n") == [ListItem("- one\n  - nested")]
    assert splitter.open_text == "- two"
    assert splitter.feed("lazy continuation\n\n- three\n\n") == [ListItem("- two\nlazy continuation")]
    assert splitter.feed("After the list.\n") == [ListItem("- three"), ListEnd()]
    assert splitter.close() == [ProseBlock("After the list.")]


def test_loose_ordered_list_stays_one_list_and_numbers_its_items():
    events = split_all("Steps:\n\n1. first\n\n1. second\n\n1. third\n", 2)
    assert events == [ProseBlock("Steps:"), ListItem("1. first", 1), ListItem("1. second", 2),
                      ListItem("1. third", 3), ListEnd()]
    assert split_all("3) a\n4) b\n", 1) == [ListItem("3) a", 3), ListItem("4) b", 4), ListEnd()]


def test_another_marker_starts_another_list():
    assert split_all("- a\n* b\n1. c\n", 1) == [ListItem("- a"), ListEnd(), ListItem("* b"), ListEnd(),
                                                 ListItem("1. c", 1), ListEnd()]


def test_a_list_can_interrupt_a_paragraph_only_as_commonmark_allows():
    assert split_all("Steps:\n1. a\n2. b\n", 1) == [ProseBlock("Steps:"), ListItem("1. a", 1), ListItem("2. b", 2),
                                                    ListEnd()]
    # an ordered item not starting at 1 cannot interrupt a paragraph; a thematic break is no list item
    assert split_all("In\n2. a\n", 1) == [ProseBlock("In\n2. a")]
    assert split_all("* * *\n", 1) == [ProseBlock("* * *")]


def test_a_long_list_and_a_long_table_never_hold_more_than_one_open_item():
    splitter = MarkdownSplitter()
    longest = 0
    for i in range(500):
        splitter.feed(f"- item {i} with a few words\n")
        longest = max(longest, len(splitter.open_text))
    splitter.feed("\n| a | b |\n|---|---|\n")
    for i in range(500):
        splitter.feed(f"| {i} | row |\n")
        longest = max(longest, len(splitter.open_text))
    assert longest < 40
