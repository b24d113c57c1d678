"""The second half of revision 0001's ``upgrade``: routing, subscription log, delivery tables.

Split out of ``versions/0001_initial_schema.py`` only to keep files under 400 lines; it lives
outside ``versions/`` because Alembic reads every file there as a revision. Never edit it:
schema changes go in new revisions.
"""

import sqlalchemy as sa
from alembic import op

import storage.tables


def create_routing_and_delivery_tables() -> None:
    """Create the tables from ``topic_routes`` to ``sent_messages``, exactly as 0001 always did."""
    op.create_table(
        "topic_routes",
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_topic_routes_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "tag", name=op.f("pk_topic_routes")),
    )
    op.create_table(
        "subscription_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
    )
    op.create_table(
        "article_revisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("changed_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revisions")),
    )
    with op.batch_alter_table("article_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_revisions_article_id"), ["article_id"], unique=False
        )

    op.create_table(
        "article_tags",
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("published_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_tags_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag", "article_id", name=op.f("pk_article_tags")),
    )
    with op.batch_alter_table("article_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_tags_tag_published", ["tag", "published_at"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("platform_message_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_deliveries_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_chat_story", ["chat_id", "story_id"], unique=False)
        batch_op.create_index(
            "ix_deliveries_due", ["status", "priority", "due_at", "id"], unique=False
        )

    op.create_table(
        "sent_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("has_image", sa.Boolean(), nullable=False),
        sa.Column("rendered_hash", sa.String(length=64), nullable=True),
        sa.Column("sent_at", storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", storage.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_sent_messages_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_sent_messages_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_sent_messages_delivery_id_deliveries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_sent_messages_story_id_stories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_messages")),
    )
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sent_messages_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sent_messages_story_id"), ["story_id"], unique=False)
