"""The conversation store: every conversation, with all its branches, in one SQLite database.

The package's parts: :mod:`~llmdesk.core.store.database` (the store: opening, damage checks, reading, writing,
search), :mod:`~llmdesk.core.store.schema` (the schema and its migrations), :mod:`~llmdesk.core.store.recovery`
(moving an unusable database aside), :mod:`~llmdesk.core.store.checkpoint` (saving a streaming reply),
:mod:`~llmdesk.core.store.reply_meta` (the record of what produced a reply) and :mod:`~llmdesk.core.store.records`
(what the store hands out). Import the public names from here.
"""

from llmdesk.core.store.checkpoint import ReplyCheckpointer
from llmdesk.core.store.database import (
    DEFAULT_TITLE,
    FULL_CHECK_MAX_BYTES,
    HIT_END,
    HIT_START,
    INTERRUPTED_ERROR,
    TITLE_MAX_CHARS,
    WRITER_KEY,
    ConversationStore,
    auto_title,
    fts_query,
)
from llmdesk.core.store.records import ConversationSummary, SearchHit, StoreError, StoreEvent
from llmdesk.core.store.reply_meta import reply_meta
from llmdesk.core.store.schema import MIGRATIONS, REINDEX_BATCH, SCHEMA_VERSION, register_functions

__all__ = [
    "DEFAULT_TITLE", "FULL_CHECK_MAX_BYTES", "HIT_END", "HIT_START", "INTERRUPTED_ERROR", "MIGRATIONS",
    "REINDEX_BATCH", "SCHEMA_VERSION", "TITLE_MAX_CHARS", "WRITER_KEY", "ConversationStore", "ConversationSummary",
    "ReplyCheckpointer", "SearchHit", "StoreError", "StoreEvent", "auto_title", "fts_query", "register_functions",
    "reply_meta",
]
