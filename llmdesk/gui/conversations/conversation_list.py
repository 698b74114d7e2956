"""The conversation sidebar: the list of conversations (newest activity first), a search field over every
message, a New button, rename and delete with undo.

:class:`ConversationListModel` is a ``QAbstractListModel`` over :class:`~llmdesk.core.store.ConversationStore`. It
reads the list a page at a time through the store's activity index (``canFetchMore``/``fetchMore``), so it is
ready in the same time for ten conversations or ten thousand, and it follows the store's changes (from this
sidebar, the chat window or an import) with row inserts, moves and removals rather than resets.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from llmdesk.core.conversation import Conversation
from llmdesk.core.store import (
    ConversationStore,
    ConversationSummary,
    StoreError,
    StoreEvent,
)
from llmdesk.gui.conversations.search_panel import SearchResultsView
from llmdesk.gui.i18n import format_date, format_date_time, format_month_day, format_time, format_weekday

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root, as a default argument


def activity_label(ts: float, now: float | None = None) -> str:
    """A short time for the list in the interface's locale: the time today ("2:32 PM"; "오후 2:32" in Korean), the
    day this week ("Mon"; "월"), the day and month this year ("Mar 12"; "3월 12일"), else the short date."""
    now = time.time() if now is None else now
    then, today = time.localtime(ts), time.localtime(now)
    if then[:3] == today[:3]:
        return format_time(ts)
    if 0 <= now - ts < 6 * 86400:
        return format_weekday(ts)
    if then.tm_year == today.tm_year:
        return format_month_day(ts)
    return format_date(ts)


def _key(s: ConversationSummary) -> tuple[float, str]:
    return (s.updated_at, s.id)


class ConversationListModel(QAbstractListModel):
    """The conversations, newest activity first, one row each.

    Roles: ``DisplayRole``/``EditRole`` the title (editing it renames the conversation), ``ToolTipRole``, and
    ``IdRole``, ``TitleRole``, ``UpdatedAtRole``, ``MessageCountRole``, ``TitleIsAutoRole`` (``UserRole + n``,
    named in :meth:`roleNames`).

    Args:
        store: the store to show and follow.
        page_size: rows read per page.

    Signals:
        store_error(str): a change the user asked for (a rename) failed; the text says why.
    """

    IdRole = Qt.ItemDataRole.UserRole + 1
    TitleRole = Qt.ItemDataRole.UserRole + 2
    UpdatedAtRole = Qt.ItemDataRole.UserRole + 3
    MessageCountRole = Qt.ItemDataRole.UserRole + 4
    TitleIsAutoRole = Qt.ItemDataRole.UserRole + 5

    store_error = Signal(str)

    def __init__(self, store: ConversationStore, parent: QWidget | None = None, *, page_size: int = 200) -> None:
        super().__init__(parent)
        self._store = store
        self._page_size = max(1, page_size)
        self._rows: list[ConversationSummary] = []
        self._cursor: ConversationSummary | None = None  # the last row read by paging
        self._has_more = False
        self._resetting = False
        self._load_first_page()
        unsubscribe = store.subscribe(self._on_store_event)
        self.destroyed.connect(unsubscribe)

    # -- paging -----------------------------------------------------------------------------------------------
    def _read_page(self) -> list[ConversationSummary]:
        page = self._store.list_conversations(limit=self._page_size + 1, after=self._cursor)
        self._has_more = len(page) > self._page_size
        page = page[: self._page_size]
        if page:
            self._cursor = page[-1]
        return page

    def _load_first_page(self) -> None:
        self._cursor = None
        self._rows = self._read_page()

    def canFetchMore(self, parent: AnyIndex = _ROOT) -> bool:
        # Not while the modelReset signal is being delivered: a receiver that fetched then would insert rows
        # before every receiver has seen the reset (QAbstractItemModelTester flags exactly that).
        return not parent.isValid() and self._has_more and not self._resetting

    def fetchMore(self, parent: AnyIndex = _ROOT) -> None:
        if not self.canFetchMore(parent):
            return
        loaded = {s.id for s in self._rows}
        page = [s for s in self._read_page() if s.id not in loaded]
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def fetch_all(self) -> None:
        """Read every remaining page."""
        while self._has_more:
            self.fetchMore(QModelIndex())

    # -- lookups ----------------------------------------------------------------------------------------------
    def row_of(self, conversation_id: str) -> int:
        """The row of a loaded conversation, or -1."""
        for i, s in enumerate(self._rows):
            if s.id == conversation_id:
                return i
        return -1

    def find(self, conversation_id: str) -> QModelIndex:
        """The index of a conversation, reading further pages until it is found; invalid if there is none."""
        row = self.row_of(conversation_id)
        while row < 0 and self._has_more:
            before = len(self._rows)
            self.fetchMore(QModelIndex())
            row = self.row_of(conversation_id)
            if len(self._rows) == before and row < 0 and not self._has_more:
                break
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def summary(self, row: int) -> ConversationSummary:
        return self._rows[row]

    def conversation_id(self, index: AnyIndex) -> str | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()].id

    # -- Qt model interface -----------------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0 or not 0 <= index.row() < len(self._rows):
            return None
        s = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.AccessibleTextRole):
            return s.title
        if role == Qt.ItemDataRole.ToolTipRole:
            when = format_date_time(s.updated_at)
            return self.tr("{title}\n%n message(s), last active {when}", "", s.message_count).format(
                title=s.title, when=when)
        if role == self.IdRole:
            return s.id
        if role == self.TitleRole:
            return s.title
        if role == self.UpdatedAtRole:
            return s.updated_at
        if role == self.MessageCountRole:
            return s.message_count
        if role == self.TitleIsAutoRole:
            return s.title_is_auto
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Renaming through the view's editor (F2 or double-click): saved in the store at once."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        title = " ".join(str(value or "").split())
        s = self._rows[index.row()]
        if not title or title == s.title:
            return False
        try:
            self._store.rename_conversation(s.id, title)
        except (StoreError, KeyError, ValueError) as exc:
            self.store_error.emit(self.tr("Could not rename the conversation: {error}").format(error=exc))
            return False
        return True  # the store's "updated" event refreshed the row

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
                | Qt.ItemFlag.ItemNeverHasChildren)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({
            self.IdRole: QByteArray(b"conversationId"),
            self.TitleRole: QByteArray(b"title"),
            self.UpdatedAtRole: QByteArray(b"updatedAt"),
            self.MessageCountRole: QByteArray(b"messageCount"),
            self.TitleIsAutoRole: QByteArray(b"titleIsAuto"),
        })
        return names

    # -- following the store ----------------------------------------------------------------------------------
    def _in_loaded_range(self, s: ConversationSummary) -> bool:
        """True when the row sorts among the rows read so far (else a later page brings it)."""
        return not self._has_more or self._cursor is None or _key(s) >= _key(self._cursor)

    def _insert_position(self, s: ConversationSummary) -> int:
        key = _key(s)
        for i, row in enumerate(self._rows):
            if _key(row) < key:
                return i
        return len(self._rows)

    def _on_store_event(self, event: StoreEvent) -> None:
        if event.kind == "reset" or event.conversation_id is None:
            self.beginResetModel()
            self._load_first_page()
            self._resetting = True
            try:
                self.endResetModel()
            finally:
                self._resetting = False
            return
        cid = event.conversation_id
        row = self.row_of(cid)
        if event.kind == "deleted":
            if row >= 0:
                self._remove_row(row)
            return
        try:
            s = self._store.summary(cid)
        except KeyError:
            if row >= 0:
                self._remove_row(row)
            return
        except StoreError as exc:
            self.store_error.emit(str(exc))
            return
        if not self._in_loaded_range(s):
            if row >= 0:
                self._remove_row(row)  # it now sorts among rows not read yet; paging brings it back
            return
        if row < 0:
            pos = self._insert_position(s)
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._rows.insert(pos, s)
            self.endInsertRows()
            return
        old = self._rows.pop(row)
        pos = self._insert_position(s)
        self._rows.insert(row, old)
        if pos != row:
            dest = pos if pos < row else pos + 1
            if self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest):
                self._rows.pop(row)
                self._rows.insert(pos, s)
                self.endMoveRows()
            else:  # not expected; keep the model consistent anyway
                self.layoutAboutToBeChanged.emit()
                self._rows.pop(row)
                self._rows.insert(pos, s)
                self.layoutChanged.emit()
        else:
            self._rows[row] = s
        idx = self.index(pos, 0)
        self.dataChanged.emit(idx, idx, [])

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()


class ConversationDelegate(QStyledItemDelegate):
    """Draws a conversation as its title (elided) with the time of its last activity on the right."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        when = activity_label(float(index.data(ConversationListModel.UpdatedAtRole) or 0))
        widget = opt.widget
        style = widget.style() if widget is not None else None
        small = QFont(opt.font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        when_width = QFontMetrics(small).horizontalAdvance(when) + 8
        if opt.state & QStyle.StateFlag.State_Selected:
            # a style sheet's :hover background would otherwise cover the selection under the mouse, leaving the
            # title in the highlight's text colour on a pale background
            opt.state &= ~QStyle.StateFlag.State_MouseOver
        title = " ".join((opt.text or "").split())  # an imported title may hold line breaks or tabs
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = option.rect.adjusted(6, 0, -6, 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setPen(option.palette.color(text_role))
        painter.setFont(opt.font)
        title_rect = rect.adjusted(0, 0, -when_width, 0)
        elided = QFontMetrics(opt.font).elidedText(title, Qt.TextElideMode.ElideRight, max(0, title_rect.width()))
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided)
        painter.setFont(small)
        dim = option.palette.color(QPalette.ColorGroup.Disabled, text_role) if not selected \
            else option.palette.color(text_role)
        painter.setPen(dim)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), when)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        size = super().sizeHint(option, index)
        # Titles are elided to the list's width: a long one must not ask for more (no horizontal scroll bar).
        return QSize(60, max(size.height(), option.fontMetrics.lineSpacing() + 12))


class ConversationSidebar(QWidget):
    """The sidebar: search field, New button, the conversation list (or the search results while searching),
    and an undo bar after a delete.

    Keys: Ctrl+N new chat (the :attr:`new_action`, window-wide: add it to the File menu rather than defining
    another Ctrl+N), F2 rename, Delete delete (undo for 30 s), Escape in the search field clears it, Down moves
    from the search field into the results.

    Args:
        store: the conversation store to show.

    Signals:
        conversation_selected(str): the user chose a conversation (click or keys in the list, or undo of a
            delete).
        message_requested(str, str): the user chose a search hit: conversation id and message id.
        new_requested(): the user asked for a new conversation (Ctrl+N or the button); the receiver creates it
            (``store.create_conversation()``) and may call :meth:`select_conversation`.
        conversation_deleted(str): a conversation was deleted (it may come back through undo, which emits
            ``conversation_selected``). When it was the selected one, ``conversation_selected`` follows with the
            neighbour the list selected instead (nothing follows when the list is now empty).
        error(str): a store operation failed; the text says why.
    """

    conversation_selected = Signal(str)
    message_requested = Signal(str, str)
    new_requested = Signal()
    conversation_deleted = Signal(str)
    error = Signal(str)

    SEARCH_DELAY_MS = 150
    SEARCH_LIMIT = 100
    UNDO_MS = 30_000

    def __init__(self, store: ConversationStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._current_id: str | None = None
        self._silent = False
        self._undo: Conversation | None = None

        self.search_field = QLineEdit(self)
        self.search_field.setPlaceholderText(self.tr("Search all messages"))
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setAccessibleName(self.tr("Search all messages"))
        self.new_button = QPushButton(self.tr("New chat"), self)
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))

        self.model = ConversationListModel(store, self)
        self.model.store_error.connect(self.error)
        self.list_view = QListView(self)
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(ConversationDelegate(self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QListView.EditTrigger.EditKeyPressed
                                       | QListView.EditTrigger.DoubleClicked)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.setAccessibleName(self.tr("Conversations"))
        self.list_view.setAccessibleDescription(self.tr("Your conversations, newest first. Enter opens, F2 renames, "
                                                "Delete deletes (it can be undone)"))
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)

        self.results_view = SearchResultsView(self)
        self.empty_label = QLabel(self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.list_view)
        self.stack.addWidget(self.results_view)
        self.stack.addWidget(self.empty_label)

        self.undo_bar = QFrame(self)
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.undo_label = QLabel(self.undo_bar)
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Undo"), self.undo_bar)
        close = QToolButton(self.undo_bar)
        close.setText("×")
        close.setToolTip(self.tr("Dismiss"))
        close.setAutoRaise(True)
        close.clicked.connect(self._dismiss_undo)
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(6, 4, 4, 4)
        bar.addWidget(self.undo_label, 1)
        bar.addWidget(self.undo_button)
        bar.addWidget(close)
        self.undo_bar.hide()
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(self.UNDO_MS)
        self._undo_timer.timeout.connect(self._dismiss_undo)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_field, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.undo_bar)

        self.new_action = QAction(self.tr("New chat"), self)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.new_action.triggered.connect(self.new_requested)
        self.addAction(self.new_action)
        self.rename_action = QAction(self.tr("Rename"), self.list_view)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.rename_action.triggered.connect(lambda: self.rename_conversation(self.current_conversation_id()))
        self.delete_action = QAction(self.tr("Delete"), self.list_view)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(lambda: self.delete_conversation(self.current_conversation_id()))
        self.list_view.addAction(self.rename_action)
        self.list_view.addAction(self.delete_action)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)

        self.new_button.clicked.connect(self.new_requested)
        self.list_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list_view.customContextMenuRequested.connect(self._context_menu)
        self.results_view.hit_activated.connect(self._on_hit)
        self.search_field.textChanged.connect(self._on_search_text)
        self.search_field.returnPressed.connect(self._search_now_and_focus)
        self.search_field.installEventFilter(self)
        self.undo_button.clicked.connect(self.undo_delete)
        self.destroyed.connect(store.subscribe(self._on_store_event))

    def _on_store_event(self, _event: StoreEvent) -> None:
        """Keep shown search results current (a deleted conversation's hits go, a new message's come)."""
        if self.search_field.text().strip() and self.stack.currentWidget() is not self.list_view:
            self._search_timer.start()

    # -- selection --------------------------------------------------------------------------------------------
    def current_conversation_id(self) -> str | None:
        """The conversation selected in the list, or None."""
        return self.model.conversation_id(self.list_view.currentIndex())

    def select_conversation(self, conversation_id: str, *, emit: bool = False) -> bool:
        """Select a conversation in the list (reading further pages if needed) and scroll to it. Emits
        ``conversation_selected`` only with ``emit``. Returns False if there is no such conversation."""
        index = self.model.find(conversation_id)
        if not index.isValid():
            return False
        self._silent = not emit
        try:
            self.list_view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.list_view.scrollTo(index)
        finally:
            self._silent = False
        return True

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        cid = self.model.conversation_id(current)
        if cid is None or cid == self._current_id:
            return
        self._current_id = cid
        if not self._silent:
            self.conversation_selected.emit(cid)

    # -- rename / delete / undo -------------------------------------------------------------------------------
    def rename_conversation(self, conversation_id: str | None) -> None:
        """Open the title of a conversation for editing in the list."""
        if conversation_id is None:
            return
        index = self.model.find(conversation_id)
        if index.isValid():
            self.list_view.setCurrentIndex(index)
            self.list_view.edit(index)

    def delete_conversation(self, conversation_id: str | None) -> bool:
        """Delete a conversation; the undo bar offers to bring it back (for :attr:`UNDO_MS`). Returns True when
        it was deleted."""
        if conversation_id is None:
            return False
        previous = self._current_id
        self._silent = True  # the list moves its current row to a neighbour: reported after the deletion
        try:
            snapshot = self.store.load_conversation(conversation_id)
            self.store.delete_conversation(conversation_id)
        except KeyError:
            return False
        except StoreError as exc:
            self.error.emit(self.tr("Could not delete the conversation: {error}").format(error=exc))
            return False
        finally:
            self._silent = False
        self._undo = snapshot
        title = snapshot.title if len(snapshot.title) <= 40 else snapshot.title[:39] + "…"
        self.undo_label.setText(self.tr("Deleted “{title}”").format(title=title))
        self.undo_bar.show()
        self._undo_timer.start()
        self.conversation_deleted.emit(conversation_id)
        now = self.current_conversation_id()
        self._current_id = now
        if now is not None and now != previous:
            self.conversation_selected.emit(now)
        return True

    def undo_delete(self) -> str | None:
        """Bring back the last deleted conversation (all its messages and branches) and select it. Returns its
        id, or None when there is nothing to undo."""
        snapshot, self._undo = self._undo, None
        self._dismiss_undo()
        if snapshot is None:
            return None
        try:
            self.store.save_conversation(snapshot)
        except (StoreError, ValueError) as exc:
            self.error.emit(self.tr("Could not restore the conversation: {error}").format(error=exc))
            return None
        self.select_conversation(snapshot.id, emit=True)
        return snapshot.id

    def can_undo(self) -> bool:
        return self._undo is not None

    def _dismiss_undo(self) -> None:
        self._undo_timer.stop()
        self.undo_bar.hide()
        self._undo = None

    def _context_menu(self, pos: QPoint) -> None:
        index = self.list_view.indexAt(pos)
        cid = self.model.conversation_id(index)
        if cid is None:
            return
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.rename_conversation(cid))
        menu.addAction("Delete", lambda: self.delete_conversation(cid))
        menu.exec(self.list_view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # -- search -----------------------------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def _on_search_text(self, text: str) -> None:
        if not text.strip():
            self._search_timer.stop()
            self.results_view.results.set_hits([])
            self.stack.setCurrentWidget(self.list_view)
            return
        self._search_timer.start()

    def _search_now_and_focus(self) -> None:
        self.run_search()
        if self.results_view.results.rowCount() > 0:
            self.results_view.setFocus()
            self.results_view.setCurrentIndex(self.results_view.results.index(0, 0))

    def run_search(self) -> None:
        """Search for the text in the search field now and show the hits."""
        self._search_timer.stop()
        text = self.search_field.text()
        if not text.strip():
            self.stack.setCurrentWidget(self.list_view)
            return
        try:
            hits = self.store.search(text, limit=self.SEARCH_LIMIT)
        except StoreError as exc:
            self.error.emit(self.tr("Search failed: {error}").format(error=exc))
            hits = []
        self.results_view.results.set_hits(hits, text)
        if hits:
            self.stack.setCurrentWidget(self.results_view)
        else:
            self.empty_label.setText(self.tr("No message contains “{text}”.").format(text=text.strip()))
            self.stack.setCurrentWidget(self.empty_label)

    def _on_hit(self, conversation_id: str, message_id: str) -> None:
        self.select_conversation(conversation_id)
        self._current_id = conversation_id
        self.message_requested.emit(conversation_id, message_id)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if watched is self.search_field and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape and self.search_field.text():
                self.search_field.clear()
                return True
            if event.key() == Qt.Key.Key_Down:
                if self._search_timer.isActive():
                    self.run_search()
                view = self.results_view if self.stack.currentWidget() is self.results_view else self.list_view
                view.setFocus()
                if not view.currentIndex().isValid() and view.model().rowCount() > 0:
                    view.setCurrentIndex(view.model().index(0, 0))
                return True
        return super().eventFilter(watched, event)
