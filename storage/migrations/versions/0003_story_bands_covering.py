"""story bands: one covering (band, published_at, story_id) index; SQLite WITHOUT ROWID

Candidate lookup (band IN ..., published_at in the window, count per story) now reads
only the index. On SQLite the table is rebuilt WITHOUT ROWID: the primary key (band,
story_id) is the table itself, so each band row goes into two B-trees instead of three
(rowid table, primary key index, band index); ``story_bands`` is the hottest write of a
bulk load (32 rows per article). The rebuild copies the rows (a one-off on upgrade).
PostgreSQL keeps its heap and primary key; the new index replaces (band, published_at).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_INDEX = "ix_story_bands_band_published"
_NEW_INDEX = "ix_story_bands_band_published_story"
_TMP = "_story_bands_rebuild"


def _rebuild_sqlite(*, with_rowid: bool) -> None:
    """Copy story_bands into a table of the other kind (SQLite cannot alter that)."""
    op.create_table(
        _TMP,
        sa.Column("band", sa.BigInteger(), nullable=False),
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("published_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_bands_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "story_id", name=op.f("pk_story_bands")),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        f"INSERT INTO {_TMP} (band, story_id, published_at) "
        "SELECT band, story_id, published_at FROM story_bands"
    )
    op.drop_table("story_bands")  # its indexes go with it
    op.rename_table(_TMP, "story_bands")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_rowid=False)
    else:
        op.drop_index(_OLD_INDEX, table_name="story_bands")
    op.create_index(_NEW_INDEX, "story_bands", ["band", "published_at", "story_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_rowid=True)
    else:
        op.drop_index(_NEW_INDEX, table_name="story_bands")
    op.create_index(_OLD_INDEX, "story_bands", ["band", "published_at"], unique=False)
