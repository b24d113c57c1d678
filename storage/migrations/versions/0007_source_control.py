"""sources: enabled (the console's on/off), a pending "poll now" and the WebSub state

``enabled`` defaults to true on every existing row (server default), so an upgrade polls
what it polled before; the other two are nullable.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("poll_requested_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("push_state", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("push_state")
        batch.drop_column("poll_requested_at")
        batch.drop_column("enabled")
