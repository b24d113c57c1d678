"""Alembic environment: runs on a connection we hand over, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # command-line alembic for developers: a sync URL in sqlalchemy.url
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as sync_connection:
        _run(sync_connection)
