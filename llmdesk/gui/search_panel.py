"""Search results for the sidebar: a list model over the store's search hits and a delegate that draws each hit's
conversation title and its text snippet with the matching words highlighted."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from llmdesk.core.store import HIT_END, HIT_START, SearchHit

_ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root, as a default argument


def snippet_plain(snippet: str) -> str:
    """The snippet without its hit markers."""
    return snippet.replace(HIT_START, "").replace(HIT_END, "")


def snippet_html(snippet: str, highlight: str = "#ffd54f", text_on_highlight: str = "#000000") -> str:
    """The snippet as HTML: text escaped, each hit (between ``\\x02`` and ``\\x03``) on a highlight colour."""
    out: list[str] = []
    inside = False
    for ch_run in _split_markers(snippet):
        if ch_run == HIT_START:
            if not inside:
                out.append(f'<span style="background-color:{highlight}; color:{text_on_highlight}">')
                inside = True
        elif ch_run == HIT_END:
            if inside:
                out.append("</span>")
                inside = False
        else:
            out.append(html.escape(ch_run).replace("\n", " "))
    if inside:
        out.append("</span>")
    return "".join(out)


def _split_markers(text: str) -> list[str]:
    parts: list[str] = []
    run = ""
    for ch in text:
        if ch in (HIT_START, HIT_END):
            if run:
                parts.append(run)
                run = ""
            parts.append(ch)
        else:
            run += ch
    if run:
        parts.append(run)
    return parts


def _when(ts: float) -> str:
    if not ts:
        return ""
    return time.strftime("%d %b %Y", time.localtime(ts))


class SearchResultsModel(QAbstractListModel):
    """The hits of the last search, in the store's order (most recent first)."""

    ConversationIdRole = Qt.ItemDataRole.UserRole + 1
    MessageIdRole = Qt.ItemDataRole.UserRole + 2
    TitleRole = Qt.ItemDataRole.UserRole + 3
    SnippetRole = Qt.ItemDataRole.UserRole + 4
    MessageRoleRole = Qt.ItemDataRole.UserRole + 5
    CreatedAtRole = Qt.ItemDataRole.UserRole + 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self.query = ""

    def set_hits(self, hits: list[SearchHit], query: str = "") -> None:
        """Show these hits instead of the previous ones."""
        self.beginResetModel()
        self._hits = list(hits)
        self.query = query
        self.endResetModel()

    def hit(self, row: int) -> SearchHit:
        return self._hits[row]

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits) or index.column() != 0:
            return None
        hit = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{hit.title}: {snippet_plain(hit.snippet)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            who = _ROLE_NAMES.get(hit.role, hit.role)
            return f"{hit.title}\n{who}, {_when(hit.created_at)}"
        if role == self.ConversationIdRole:
            return hit.conversation_id
        if role == self.MessageIdRole:
            return hit.message_id
        if role == self.TitleRole:
            return hit.title
        if role == self.SnippetRole:
            return hit.snippet
        if role == self.MessageRoleRole:
            return hit.role
        if role == self.CreatedAtRole:
            return hit.created_at
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({
            self.ConversationIdRole: QByteArray(b"conversationId"),
            self.MessageIdRole: QByteArray(b"messageId"),
            self.TitleRole: QByteArray(b"title"),
            self.SnippetRole: QByteArray(b"snippet"),
            self.MessageRoleRole: QByteArray(b"messageRole"),
            self.CreatedAtRole: QByteArray(b"createdAt"),
        })
        return names


class SnippetDelegate(QStyledItemDelegate):
    """Draws a hit as two lines: the conversation title (bold) and the snippet with its hits highlighted."""

    MAX_LINES = 4  # the title and up to three lines of snippet
    MARGIN = 4

    def _width(self, option: QStyleOptionViewItem) -> int:
        width = option.rect.width()
        if width <= 0 and isinstance(option.widget, QListView):
            width = option.widget.viewport().width()
        return max(80, width)

    def _document(self, option: QStyleOptionViewItem, index: AnyIndex) -> QTextDocument:
        width = self._width(option)
        bold = QFont(option.font)
        bold.setBold(True)
        title = QFontMetrics(bold).elidedText(str(index.data(SearchResultsModel.TitleRole) or ""),
                                              Qt.TextElideMode.ElideRight, width - 2 * self.MARGIN - 4)
        who = html.escape(_ROLE_NAMES.get(str(index.data(SearchResultsModel.MessageRoleRole)), ""))
        snippet = snippet_html(str(index.data(SearchResultsModel.SnippetRole) or ""))
        doc = QTextDocument()
        doc.setDocumentMargin(self.MARGIN)
        doc.setDefaultFont(option.font)
        doc.setHtml(f"<b>{html.escape(title)}</b><br><span style='color:gray'>{who}:</span> {snippet}")
        doc.setTextWidth(width)
        return doc

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        doc = self._document(option, index)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal
        ctx.palette.setColor(QPalette.ColorRole.Text, option.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(option.rect.translated(-option.rect.topLeft()))
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        doc = self._document(option, index)
        line = option.fontMetrics.lineSpacing()
        most = line * self.MAX_LINES + 2 * self.MARGIN
        height = min(int(doc.size().height()) + 2, most)
        return QSize(int(doc.idealWidth()), max(height, line * 2 + 2 * self.MARGIN))


class SearchResultsView(QListView):
    """The list of hits. A click, or Enter on the current hit, opens it.

    Signals:
        hit_activated(str, str): conversation id and message id of the chosen hit.
    """

    hit_activated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = SearchResultsModel(self)
        self.setModel(self.results)
        self.setItemDelegate(SnippetDelegate(self))
        self.setWordWrap(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setAccessibleName("Search results")
        self.clicked.connect(self._open)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.hit_activated.emit(str(index.data(SearchResultsModel.ConversationIdRole)),
                                    str(index.data(SearchResultsModel.MessageIdRole)))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)
