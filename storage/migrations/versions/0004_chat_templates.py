"""chats: the chat's message template and its mentions by tag (/template, /mention)

Both nullable: existing chats keep the default look and mention nobody until they choose.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("template", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mentions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("mentions")
        batch.drop_column("template")
