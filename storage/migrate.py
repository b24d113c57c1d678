"""Apply the Alembic migrations shipped inside the package, on start-up or on demand."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade(connection: Connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, target)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(db: Database, target: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``target``; returns (before, after). A no-op when up to date.

    On PostgreSQL an advisory lock makes concurrent starters take turns.
    """
    async with db.connect() as connection:
        if db.is_postgres:
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727271)")
        before = await connection.run_sync(_current)
        await connection.run_sync(_upgrade, target)
        after = await connection.run_sync(_current)
    return before, after


async def downgrade(db: Database, target: str) -> str | None:
    """Take the schema back to ``target`` (an operator rolling back a release)."""
    async with db.connect() as connection:
        await connection.run_sync(_downgrade, target)
        return await connection.run_sync(_current)
