"""search_changes: which articles the tantivy index beside a SQLite file has yet to take

SQLite only (PostgreSQL keeps its own full-text search). Triggers note every article
insert, relevant update and delete in the same transaction as the write, so no writer
(the bot, a `cryptowire ingest` beside it, retention, a bulk load) can leave the index
behind unnoticed; the index drains the table after each of its commits
(``storage/search_sync.py``) and search falls back to FTS5 while rows are pending.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTE = (
    "DELETE FROM search_changes WHERE article_id = {row}.id; "
    "INSERT INTO search_changes (article_id) VALUES ({row}.id);"
)
_WATCHED = "title, summary, body, draft, tags, sentiment, source_key, source_name, published_at"

SQLITE_UP = [
    """CREATE TABLE search_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id INTEGER NOT NULL UNIQUE)""",
    f"""CREATE TRIGGER search_changes_ai AFTER INSERT ON articles
        BEGIN {_NOTE.format(row="new")} END""",
    f"""CREATE TRIGGER search_changes_au AFTER UPDATE OF {_WATCHED} ON articles
        BEGIN {_NOTE.format(row="new")} END""",
    f"""CREATE TRIGGER search_changes_ad AFTER DELETE ON articles
        BEGIN {_NOTE.format(row="old")} END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_changes_ad",
    "DROP TRIGGER IF EXISTS search_changes_au",
    "DROP TRIGGER IF EXISTS search_changes_ai",
    "DROP TABLE IF EXISTS search_changes",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
