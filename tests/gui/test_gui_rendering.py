"""Markdown streaming and rendering: block splitting, the open-block-only re-render, safety, copy, auto-scroll."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication, QTextDocument

from llmdesk.core.conversation import Message
from llmdesk.gui.chat.chat_view import ChatView, MessageBrowser

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


def _blocks(doc: QTextDocument) -> list:
    out, block = [], doc.begin()
    while block.isValid():
        out.append(block)
        block = block.next()
    return out


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


def test_images_of_any_scheme_are_shown_as_text_and_never_loaded(qtbot, tmp_path):
    from PySide6.QtGui import QImage, QTextFormat

    from llmdesk.gui.chat.markdown_document import markdown_fragment

    picture = tmp_path / "secret.png"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0xFF0000)
    assert image.save(str(picture))
    url = QUrl.fromLocalFile(str(picture)).toString()
    data_url = "data:image/png;base64," + "iVBORw0KGgo" * 20
    text = (f"Look: ![a red box]({url} \"title\") and ![d]({data_url}) and ![]({url})\n\n"
            f"- item ![listed]({url})\n\n| a | b |\n|---|---|\n| ![cell]({url}) | x |\n\n[ref]: {url}\n")
    for streamed in (True, False):
        if streamed:
            view, (message, widget) = streamed_view(qtbot, text, step=7)
            view.finish_message(message)
            widget.flush_final_render()
        else:
            view = ChatView()
            qtbot.addWidget(view)
            widget = view.add_message(Message(role="assistant", content=text, stop_reason="eos"))
        doc = widget.browser.document()
        doc.size()  # lay out, as painting would
        for name in (url, data_url):
            loaded = doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
            assert loaded is None or loaded.isNull(), name
        block = doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                assert not it.fragment().charFormat().isImageFormat(), it.fragment().text()
                it += 1
            block = block.next()
        shown = doc.toPlainText()
        assert f"[image: a red box <{url}>]" in shown and "[image: listed" in shown and "[image: cell" in shown
        assert "[image: d <data:image/png;base64," in shown and "…>]" in shown
    # the scratch parser loads nothing either
    scratch = markdown_fragment(f"![x]({url})")
    assert scratch.resource(QTextDocument.ResourceType.ImageResource, QUrl(url)) is None
    assert QTextFormat.Property.ImageAltText  # the alt text property used above exists in this Qt


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

    # while streaming, each item is a list of its own (Qt re-lays out a whole list when an item joins it), numbered
    # as in one list: a loose list does not look split
    assert len(lists()) == 3
    assert [(b.text(), b.textList().itemText(b)) for b in _blocks(doc) if b.textList() is not None] == \
        [("first", "1."), ("second", "2."), ("third", "3.")]
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


# -- tables and lists stream row by row and item by item ------------------------------------------------------------

STRUCTURE_CASES = [
    "Intro\n\n| a | b |\n|:--|--:|\n| 1 | **2** |\n| x `y` | z |\nrow with no pipe\n\nafter\n",
    "| h |\n|---|\n| 1 |\n- item\n- item2\n",
    "Para\n\n| a |\n|---|\n| 1 |\n\n```py\nx\n```\n| b |\n|---|\n| 2 |\n",
    "1. one\n2. two\n   - nested\n3. three\n\nend\n",
    "- a\n\n- b\n\n  para b\n- c\n\nx\n",
    "1. a\n1. b\n1. c\n",
    "Steps:\n1. first\n2. second\n\n# Next\n\n- x\n* y\n",
]


def _structure(doc: QTextDocument) -> list[str]:
    """Every block: table cell (row, column, alignment, weight), list item (its number) or heading, with text."""
    from PySide6.QtGui import QTextCursor

    out = []
    for block in _blocks(doc):
        table = QTextCursor(block).currentTable()
        if table is not None:
            cell = table.cellAt(QTextCursor(block))
            out.append(f"cell {table.rows()}x{table.columns()} {cell.row()},{cell.column()} "
                       f"{int(block.blockFormat().alignment().value)} {block.charFormat().fontWeight()}: {block.text()}")
        elif block.textList() is not None:
            out.append(f"item {block.textList().format().style()} {block.textList().itemText(block)} {block.text()}")
        else:
            out.append(f"h{block.blockFormat().headingLevel()}: {block.text()}")
    return out


def test_streamed_tables_and_lists_match_the_whole_render(qtbot, monkeypatch):
    from PySide6.QtGui import QColor

    from llmdesk.gui.chat import message_renderer
    from llmdesk.gui.chat.highlight import CodeHighlighter

    monkeypatch.setattr(message_renderer, "FINAL_RENDER_MAX_CHARS", 0)  # what streaming built, not re-rendered
    for text in STRUCTURE_CASES:
        whole = QTextDocument()
        message_renderer.MessageRenderer(whole, CodeHighlighter(dark=False), QColor("blue")).set_text(text)
        expected = _structure(whole)
        for step in (1, 4, 50):
            doc = QTextDocument()
            renderer = message_renderer.MessageRenderer(doc, CodeHighlighter(dark=False), QColor("blue"))
            for i in range(0, len(text), step):
                renderer.append(text[i:i + step])
            renderer.finish()
            assert _structure(doc) == expected, (text, step)


def test_a_long_table_and_list_stream_without_touching_committed_rows(qtbot):
    from llmdesk.gui.chat.message_renderer import TABLE_CHUNK_ROWS

    rows = "| # | name |\n|---|---|\n" + "".join(f"| {i} | item {i} |\n" for i in range(120))
    view, (message, widget) = streamed_view(qtbot, rows, step=7)
    doc = widget.browser.document()
    tables = doc.rootFrame().childFrames()
    # built of tables of TABLE_CHUNK_ROWS rows (Qt lays out a whole table after any edit in it), header once
    assert len(tables) == -(-120 // TABLE_CHUNK_ROWS) and sum(t.rows() for t in tables) == 121
    assert [t.cellAt(0, 0).firstCursorPosition().block().text() for t in tables[:3]] == \
        ["#", str(TABLE_CHUNK_ROWS), str(2 * TABLE_CHUNK_ROWS)]
    layout = doc.documentLayout()
    lefts = {round(layout.blockBoundingRect(t.cellAt(t.rows() - 1, 1).firstCursorPosition().block()).left())
             for t in tables}
    assert len(lefts) == 1  # the columns line up from chunk to chunk
    committed_end = tables[-1 if 120 % TABLE_CHUNK_ROWS == 0 else -2].lastPosition()
    changes: list[int] = []
    doc.contentsChange.connect(lambda pos, _removed, _added: changes.append(pos))
    view.append_text(message.id, "| 120 | it")
    view.append_text(message.id, "em 120 |")
    tables = doc.rootFrame().childFrames()
    assert sum(t.rows() for t in tables) == 122
    assert tables[-1].cellAt(tables[-1].rows() - 1, 1).firstCursorPosition().block().text() == "item 120"
    assert min(changes) >= committed_end  # only the open chunk (and the block before it) was edited

    items = "".join(f"- point {i}\n" for i in range(120))
    view, (message, widget) = streamed_view(qtbot, items, step=5)
    doc = widget.browser.document()
    before = doc.characterCount()
    changes.clear()
    doc.contentsChange.connect(lambda pos, _removed, _added: changes.append(pos))
    view.append_text(message.id, "- the open item")
    # the open part is the last item (complete once the next item's line is) and the new one
    assert changes and min(changes) >= before - len("point 119") - 3
    assert doc.lastBlock().text() == "the open item" and doc.lastBlock().textList() is not None


def test_the_fence_corpus_renders_on_screen_as_commonmark_reads_it(qtbot):
    from PySide6.QtGui import QColor

    from llmdesk.gui.chat.highlight import CodeHighlighter
    from llmdesk.gui.chat.message_renderer import MessageRenderer
    from tests.core.test_fence_grammar import CORPUS, commonmark_fences

    for text in CORPUS:
        expected = [code.removesuffix("\n") for _language, code in commonmark_fences(text)]
        for step in (2, len(text)):
            renderer = MessageRenderer(QTextDocument(), CodeHighlighter(dark=False), QColor("blue"))
            for i in range(0, len(text), step):
                renderer.append(text[i:i + step])
            renderer.finish()
            assert renderer.code_blocks == expected, (text, step)
    # the case that failed: the tilde fence is code, and the prose after its closing fence is prose
    view, (message, widget) = streamed_view(qtbot, "~~~ js `main`\nlet a = 1;\n~~~\n\n**after**\n", step=3)
    view.finish_message(message)
    widget.flush_final_render()
    assert widget.renderer.code_blocks == ["let a = 1;"]
    assert widget.browser.document().lastBlock().text() == "after"


def test_streaming_into_a_table_repaints_only_below_the_open_part(qtbot):
    # Qt asks to repaint the whole document after any edit that inserts a table; the message repaints only what
    # lies below the part that streaming may change.
    rows = "| # | name |\n|---|---|\n" + "".join(f"| {i} | item {i} |\n" for i in range(120))
    view, (message, widget) = streamed_view(qtbot, rows, step=7)
    qtbot.waitExposed(view)
    qtbot.wait(20)  # laid out at the view's width
    viewport = widget.browser.viewport()
    areas: list = []
    viewport.update = lambda *args: areas.append(args[0] if args else None)
    top = widget.renderer.stable_top()
    view.append_text(message.id, "| 120 | a partial r")
    view.append_text(message.id, "ow |\n| 121 |")
    assert areas and None not in areas
    assert top > widget.browser.document().size().height() - 200
    assert min(area.top() for area in areas) >= int(top) - 1


def test_tables_get_cell_padding_and_thin_borders(qtbot):
    from PySide6.QtGui import QTextTable

    from llmdesk.gui.chat.markdown_document import TABLE_CELL_PADDING, markdown_fragment

    doc = markdown_fragment("| a | b |\n|---|---|\n| 1 | 2 |\n")
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    assert len(tables) == 1
    fmt = tables[0].format()
    assert fmt.cellPadding() == TABLE_CELL_PADDING and fmt.border() == 1 and fmt.borderCollapse()
