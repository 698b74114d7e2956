"""Markdown streaming and rendering: block splitting, the open-block-only re-render, safety, copy, auto-scroll."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication, QTextDocument

from llmdesk.core.conversation import Message
from llmdesk.gui.chat.chat_view import ChatView, MessageBrowser
from llmdesk.gui.chat.markdown_stream import CodeEnd, CodeLine, CodeStart, MarkdownSplitter, ProseBlock

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
    expected = [ProseBlock("# Title"), ProseBlock("Some *text* with `inline code`."), ProseBlock("- one\n- two"),
                ProseBlock("| a | b |\n|---|---|\n| 1 | 2 |"), CodeStart("python"), CodeLine("def f():"),
                CodeLine("    return '''x'''"), CodeEnd(), ProseBlock("Done.")]
    for step in (1, 2, 3, 7, 50, len(SAMPLE)):
        assert split_all(SAMPLE, step) == expected, step


def test_splitter_keeps_indented_continuations_and_blank_lines_in_code():
    text = "1. item\n\n   more about the item\n\n2. next\n```\na\n\nb\n```\n"
    events = split_all(text, 1)
    assert events[0] == ProseBlock("1. item\n\n   more about the item")
    assert events[1] == ProseBlock("2. next")
    assert events[2:] == [CodeStart(""), CodeLine("a"), CodeLine(""), CodeLine("b"), CodeEnd()]


def test_splitter_unclosed_fence_at_the_end_is_code():
    events = split_all("~~~js\nlet a = 1;\nlet b", 4)
    assert events == [CodeStart("js"), CodeLine("let a = 1;"), CodeLine("let b"), CodeEnd()]


def streamed_view(qtbot, text: str, step: int = 5) -> tuple[ChatView, object]:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    message = Message(role="assistant", content="", stop_reason=None)
    widget = view.add_message(message)
    for i in range(0, len(text), step):
        view.append_text(message.id, text[i:i + step])
    message.content = text
    message.stop_reason = "eos"
    return view, (message, widget)


def block_kinds(doc: QTextDocument) -> list[str]:
    out = []
    block = doc.begin()
    while block.isValid():
        if block.blockFormat().headingLevel():
            out.append(f"h{block.blockFormat().headingLevel()}:{block.text()}")
        elif block.textList() is not None:
            out.append(f"li:{block.text()}")
        elif block.text():
            out.append(block.text())
        block = block.next()
    return out


def test_streamed_render_matches_final_render(qtbot):
    view, (message, widget) = streamed_view(qtbot, SAMPLE)
    streamed = block_kinds(widget.browser.document())
    view.finish_message(message)
    widget.flush_final_render()
    final = block_kinds(widget.browser.document())
    assert streamed == final
    assert "h1:Title" in final and "li:one" in final and "li:two" in final
    assert "def f():" in final and "    return '''x'''" in final
    assert widget.browser.document().toPlainText().count("Copy code") == 1
    assert widget.renderer.code_blocks == ["def f():\n    return '''x'''"]
    # a table was rendered as a table
    assert "| a | b |" not in widget.browser.document().toPlainText()


def test_code_block_copy_link_and_message_copy_button(qtbot):
    view, (message, widget) = streamed_view(qtbot, SAMPLE)
    view.finish_message(message)
    widget.flush_final_render()
    clipboard = QGuiApplication.clipboard()
    widget.browser.anchorClicked.emit(QUrl("llmdesk-copy:0"))
    assert clipboard.text() == "def f():\n    return '''x'''"
    widget.copy_button.click()
    assert clipboard.text() == SAMPLE


def test_model_output_is_never_live_html_and_loads_nothing(qtbot):
    hostile = ('<script>alert(1)</script>\n\n<img src="http://example.com/track.png">\n\n'
               '![pixel](http://example.com/p.png) <b>bold?</b> [link](http://example.com)\n')
    view, (message, widget) = streamed_view(qtbot, hostile, step=3)
    view.finish_message(message)
    widget.flush_final_render()
    doc = widget.browser.document()
    text = doc.toPlainText()
    assert "<script>alert(1)</script>" in text  # shown as text, not run
    assert '<img src="http://example.com/track.png">' in text
    assert "<b>bold?</b>" in text
    assert widget.browser.loadResource(QTextDocument.ResourceType.ImageResource,
                                       QUrl("http://example.com/p.png")) is None
    # links from the model are not followed by the browser
    assert not widget.browser.openLinks() and not widget.browser.openExternalLinks()


def test_streaming_only_rerenders_the_open_block(qtbot):
    paragraphs = "".join(f"Paragraph {i} has some words in it.\n\n" for i in range(60))
    view, (message, widget) = streamed_view(qtbot, paragraphs, step=11)
    doc = widget.browser.document()
    changes: list[int] = []
    doc.contentsChange.connect(lambda pos, _removed, _added: changes.append(pos))
    length_before = doc.characterCount()
    view.append_text(message.id, "The open para")
    view.append_text(message.id, "graph grows.")
    assert changes
    # every edit happened in the last block: nothing before it was touched
    assert min(changes) >= length_before - len("Paragraph 59 has some words in it.") - 3
    assert doc.lastBlock().text() == "The open paragraph grows."


def test_user_and_assistant_messages_are_told_apart(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    view.show()
    user = view.add_message(Message(role="user", content="**not markdown**"))
    reply = view.add_message(Message(role="assistant", content="**bold**", stop_reason="eos"))
    assert user.role_label.text() == "You" and reply.role_label.text() == "Assistant"
    assert user.objectName() == "userMessage" and reply.objectName() == "assistantMessage"
    assert user.palette().color(user.backgroundRole()) != reply.palette().color(reply.backgroundRole())
    assert user.browser.toPlainText() == "**not markdown**"  # what the user typed, verbatim
    assert reply.browser.toPlainText() == "bold"


def test_stopped_reply_is_marked(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    message = Message(role="assistant", content="", stop_reason=None)
    widget = view.add_message(message)
    assert widget.status_label.text() == "Writing…"
    view.append_text(message.id, "partial")
    message.content, message.stop_reason = "partial", "cancelled"
    view.finish_message(message)
    assert widget.status_label.text() == "Stopped"
    assert widget.text == "partial"


def test_auto_scroll_follows_only_at_the_bottom(qtbot):
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    message = Message(role="assistant", content="", stop_reason=None)
    view.add_message(message)
    bar = view.verticalScrollBar()
    for i in range(40):
        view.append_text(message.id, f"Line {i} of a long reply.\n\n")
        QGuiApplication.processEvents()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert view.following and bar.value() == bar.maximum()
    bar.setValue(0)  # the reader scrolls up
    assert not view.following
    for i in range(10):
        view.append_text(message.id, f"More {i}.\n\n")
    QGuiApplication.processEvents()
    assert bar.value() == 0
    bar.setValue(bar.maximum())  # back at the bottom: follows again
    view.append_text(message.id, "And more.\n\n" * 5)
    QGuiApplication.processEvents()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert view.following


def test_message_height_follows_its_text(qtbot):
    browser = MessageBrowser()
    qtbot.addWidget(browser)
    browser.resize(300, 10)
    browser.show()
    browser.setPlainText("one line")
    small = browser.height()
    browser.setPlainText("\n".join(["many lines"] * 20))
    assert browser.height() > small * 5


def test_final_render_joins_blocks_split_while_streaming(qtbot):
    text = "Steps:\n\n1. first\n\n2. second\n\n3. third\n\n```sh\nls\n```\nafter\n"
    view, (message, widget) = streamed_view(qtbot, text, step=2)
    doc = widget.browser.document()

    def lists() -> set:
        found, block = set(), doc.begin()
        while block.isValid():
            if block.textList() is not None:
                found.add(block.textList())
            block = block.next()
        return found

    # while streaming each loose item is its own list (numbers kept)
    assert len(lists()) == 3
    view.finish_message(message)
    widget.flush_final_render()
    assert len(lists()) == 1
    assert block_kinds(doc) == ["Steps:", "li:first", "li:second", "li:third", " sh   Copy code", "ls", "after"]
    assert widget.renderer.code_blocks == ["ls"]


def test_follows_a_dark_palette(qtbot, qapp):
    from llmdesk.gui.app import dark_palette

    view = ChatView()
    qtbot.addWidget(view)
    message = Message(role="assistant", content="```python\nx = 1\n```\n", stop_reason="eos")
    widget = view.add_message(message)
    light_code = widget.browser.document().lastBlock().blockFormat().background().color()
    old = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(lambda: view._highlighter.dark)
        dark_code = widget.browser.document().lastBlock().blockFormat().background().color()
        assert dark_code.lightness() < 100 < light_code.lightness()
        assert widget.browser.toPlainText().endswith("x = 1")
    finally:
        qapp.setPalette(old)


def test_model_links_are_copied_not_opened(qtbot):
    view, (message, widget) = streamed_view(qtbot, "See [the docs](https://example.com/docs).\n")
    copied: list[str] = []
    view.copied.connect(copied.append)
    widget.browser.anchorClicked.emit(QUrl("https://example.com/docs"))
    assert copied == ["https://example.com/docs"]
    assert QGuiApplication.clipboard().text() == "https://example.com/docs"


def test_long_saved_reply_renders_in_slices(qtbot):
    from llmdesk.gui.chat.chat_view import LONG_MESSAGE_CHARS
    from llmdesk.gui.dev.scripted_engine import synthetic_markdown_pieces

    text = "".join(synthetic_markdown_pieces(8000))
    assert len(text) > LONG_MESSAGE_CHARS
    view = ChatView()
    qtbot.addWidget(view)
    view.show()
    widget = view.add_message(Message(role="assistant", content=text, stop_reason="eos"))
    assert widget.text == text
    assert widget.final_render_pending  # not all at once: the event loop keeps running
    qtbot.waitUntil(lambda: not widget.final_render_pending, timeout=20000)
    assert widget.renderer.code_blocks and "Copy code" in widget.browser.toPlainText()
    assert "```" not in widget.browser.toPlainText()


def test_tables_get_cell_padding_and_thin_borders(qtbot):
    from PySide6.QtGui import QTextTable

    from llmdesk.gui.chat.message_renderer import TABLE_CELL_PADDING, markdown_fragment

    doc = markdown_fragment("| a | b |\n|---|---|\n| 1 | 2 |\n")
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    assert len(tables) == 1
    fmt = tables[0].format()
    assert fmt.cellPadding() == TABLE_CELL_PADDING and fmt.border() == 1 and fmt.borderCollapse()
