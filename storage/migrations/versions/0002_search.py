"""full-text search and story band lookup

SQLite: an FTS5 table over articles (external content, porter stemming) kept in step by
triggers, so every article write updates the index in the same transaction.
PostgreSQL: a stored generated tsvector column (title A, summary B, body C) with a GIN
index. Both: an index on story_bands (band, published_at) for windowed candidate lookup.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS_COLUMNS = "title, summary, body"

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
        {_FTS_COLUMNS}, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, {_FTS_COLUMNS})
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
    f"""CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.id, old.title, old.summary, old.body);
    END""",
    f"""CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, summary, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.id, old.title, old.summary, old.body);
        INSERT INTO articles_fts(rowid, {_FTS_COLUMNS})
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]
POSTGRES_UP = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, left(coalesce(body, ''), 100000)), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    op.create_index(
        "ix_story_bands_band_published", "story_bands", ["band", "published_at"], unique=False
    )
    dialect = op.get_bind().dialect.name
    statements = (
        SQLITE_UP if dialect == "sqlite" else POSTGRES_UP if dialect == "postgresql" else []
    )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = (
        SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN if dialect == "postgresql" else []
    )
    for statement in statements:
        op.execute(statement)
    op.drop_index("ix_story_bands_band_published", table_name="story_bands")
