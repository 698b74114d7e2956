"""Search results for the sidebar: a list model over the store's search hits and a delegate that draws each hit's
conversation title and its text snippet with the matching words highlighted."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QCoreApplication,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPalette, QTextLayout
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from llmdesk.core.search_text import utf16_offset
from llmdesk.core.store import HIT_END, HIT_START, SearchHit
from llmdesk.gui.i18n import format_date

_ROLE_NAMES = {"user": QT_TRANSLATE_NOOP("SearchResults", "You"),
               "assistant": QT_TRANSLATE_NOOP("SearchResults", "Assistant"),
               "system": QT_TRANSLATE_NOOP("SearchResults", "System")}


def role_name(role: str) -> str:
    """Who wrote a message ("You", "Assistant", "System") in the interface language; the role itself when
    unknown."""
    return QCoreApplication.translate("SearchResults", _ROLE_NAMES[role]) if role in _ROLE_NAMES else role

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


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, as Qt counts it."""
    return utf16_offset(text, len(text))


def _when(ts: float) -> str:
    if not ts:
        return ""
    return format_date(ts)


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
            who = role_name(hit.role)
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


def snippet_ranges(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """The snippet's plain text and its hits as (start, length) ranges in that text, in code points (Python's
    string positions; :meth:`SnippetDelegate.formats` converts them to the UTF-16 units Qt counts)."""
    plain: list[str] = []
    ranges: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    for part in _split_markers(snippet):
        if part == HIT_START:
            start = pos
        elif part == HIT_END:
            if start is not None and pos > start:
                ranges.append((start, pos - start))
            start = None
        else:
            text = part.replace("\n", " ")
            plain.append(text)
            pos += len(text)
    if start is not None and pos > start:
        ranges.append((start, pos - start))
    return "".join(plain), ranges


class SnippetDelegate(QStyledItemDelegate):
    """Draws a hit in a fixed height: the conversation title (bold, elided) and up to :attr:`SNIPPET_LINES`
    lines of snippet, who wrote it in grey and the matching words on a highlight colour.

    Every row has the same height, so the view asks for one size hint instead of laying out every hit, and
    only the rows on screen are laid out (with a ``QTextLayout``, not a rich-text document).
    """

    SNIPPET_LINES = 2
    MARGIN = 4
    HIGHLIGHT = QColor("#ffd54f")
    TEXT_ON_HIGHLIGHT = QColor("#000000")

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        rect = option.rect.adjusted(self.MARGIN, self.MARGIN, -self.MARGIN, -self.MARGIN)
        width = max(10, rect.width())

        bold = QFont(option.font)
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        title = bold_metrics.elidedText(str(index.data(SearchResultsModel.TitleRole) or ""),
                                        Qt.TextElideMode.ElideRight, width)
        painter.save()
        painter.setClipRect(option.rect)
        painter.setPen(text_color)
        painter.setFont(bold)
        painter.drawText(QPointF(rect.left(), rect.top() + bold_metrics.ascent()), title)

        role = str(index.data(SearchResultsModel.MessageRoleRole))
        who = role_name(role) if role in _ROLE_NAMES else ""
        prefix = f"{who}: " if who else ""
        plain, hits = snippet_ranges(str(index.data(SearchResultsModel.SnippetRole) or ""))
        layout = QTextLayout(prefix + plain, option.font)
        layout.setFormats(self.formats(prefix, plain, hits, text_color if selected else dim))
        layout.beginLayout()
        y = 0.0
        for _ in range(self.SNIPPET_LINES):
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
        layout.endLayout()
        painter.setFont(option.font)
        painter.setPen(text_color)
        layout.draw(painter, QPointF(rect.left(), rect.top() + bold_metrics.lineSpacing()))
        painter.restore()

    def formats(self, prefix: str, plain: str, hits: list[tuple[int, int]],
                prefix_color: QColor) -> list[QTextLayout.FormatRange]:
        """The format ranges for ``prefix + plain``: the prefix in ``prefix_color``, each hit (code-point offsets
        into ``plain``, as :func:`snippet_ranges` gives them) on the highlight colour. Qt counts positions in
        UTF-16 units, so every character outside the Basic Multilingual Plane (emoji, 𝐁𝐨𝐥𝐝 letters) before a hit
        moves it one unit further."""
        formats = []
        base = utf16_length(prefix)
        if prefix:
            grey = QTextLayout.FormatRange()
            grey.start, grey.length = 0, base
            grey.format.setForeground(prefix_color)
            formats.append(grey)
        for start, length in hits:
            begin = utf16_offset(plain, start)
            mark = QTextLayout.FormatRange()
            mark.start, mark.length = base + begin, utf16_offset(plain, start + length) - begin
            mark.format.setBackground(self.HIGHLIGHT)
            mark.format.setForeground(self.TEXT_ON_HIGHLIGHT)
            formats.append(mark)
        return formats

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        bold = QFont(option.font)
        bold.setBold(True)
        height = (QFontMetrics(bold).lineSpacing() + self.SNIPPET_LINES * option.fontMetrics.lineSpacing()
                  + 2 * self.MARGIN + 2)
        return QSize(200, height)


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
        self.setUniformItemSizes(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setAccessibleName(self.tr("Search results"))
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
