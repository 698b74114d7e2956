"""The conversation list's rows are readable: a selected row under the mouse keeps its contrast in the light and
dark style sheets, long or multi-line titles are elided with "…", and the list never scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem

from llmdesk.core import resources
from llmdesk.core.conversation import Conversation
from llmdesk.core.store import ConversationStore
from llmdesk.gui.app import dark_palette
from llmdesk.gui.conversations.conversation_list import ConversationSidebar

LONG_TITLE = "Imported:\na very long title about 자연어처리 and more words than any sidebar can show at once " * 3


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def _contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture
def sidebar(qtbot, tmp_path: Path, request):
    app = QApplication.instance()
    dark = request.param == "dark"
    old_sheet, old_palette = app.styleSheet(), app.palette()
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(resources.style_sheet("dark" if dark else "light"))
    store = ConversationStore(tmp_path / "c.sqlite3")
    store.save_conversation(Conversation(title=LONG_TITLE, title_is_auto=False))
    widget = ConversationSidebar(store)
    qtbot.addWidget(widget)
    widget.resize(260, 400)
    widget.show()
    yield widget
    app.setStyleSheet(old_sheet)
    app.setPalette(old_palette)
    store.close()


@pytest.mark.parametrize("sidebar", ["light", "dark"], indirect=True)
@pytest.mark.parametrize("hovered", [False, True])
def test_a_selected_row_is_readable_with_and_without_the_mouse_over_it(sidebar, hovered):
    view = sidebar.list_view
    index = sidebar.model.index(0, 0)
    view.setCurrentIndex(index)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.widget = view
    option.rect = QRect(0, 0, view.viewport().width(), view.sizeHintForRow(0))
    option.state |= QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Active | QStyle.StateFlag.State_Enabled
    if hovered:
        option.state |= QStyle.StateFlag.State_MouseOver
    image = QImage(option.rect.size(), QImage.Format.Format_RGB32)
    image.fill(view.palette().base().color())
    painter = QPainter(image)
    view.itemDelegate().paint(painter, option, index)
    painter.end()
    row = option.rect.height() // 2
    background = image.pixelColor(2, 2)
    # the title's ink: the pixel along the text line that differs most from the background
    ink = max((image.pixelColor(x, y) for x in range(6, option.rect.width() // 2) for y in range(row - 4, row + 4)),
              key=lambda c: _contrast(c, background))
    assert _contrast(ink, background) >= 4.5, (background.name(), ink.name())


@pytest.mark.parametrize("sidebar", ["light"], indirect=True)
def test_long_titles_are_elided_and_the_list_never_scrolls_sideways(sidebar, qtbot):
    view = sidebar.list_view
    qtbot.waitUntil(lambda: view.viewport().width() > 0)
    assert view.horizontalScrollBar().maximum() == 0 or not view.horizontalScrollBar().isVisible()
    assert view.sizeHintForColumn(0) <= view.viewport().width()
