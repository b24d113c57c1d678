"""story members: each published article's story vector and why it joined its story

One row per published article: the title+lead vector (float16 bytes) the semantic
candidate search reads into each process, the method that grouped it and the evidence
(score, similarity, shared names and figures) that ``cryptowire story ID`` prints.
``id`` only grows, so every process of a fleet catches up with ``id > last seen``.
Existing articles get no row: their stories are decided; new articles find them through
the MinHash bands as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.tables

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "story_members",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("article_id", _BIG_ID, nullable=False),
        sa.Column("story_id", _BIG_ID, nullable=False),
        sa.Column("published_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_members_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_members_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_members")),
        sa.UniqueConstraint("article_id", name=op.f("uq_story_members_article_id")),
    )
    op.create_index(
        op.f("ix_story_members_published_at"), "story_members", ["published_at"], unique=False
    )
    op.create_index(op.f("ix_story_members_story_id"), "story_members", ["story_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_story_members_story_id"), table_name="story_members")
    op.drop_index(op.f("ix_story_members_published_at"), table_name="story_members")
    op.drop_table("story_members")
