"""The SQLAlchemy implementation of the core's ``Storage`` port (entry point target)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.config import Settings
from storage import backup, migrate
from storage.archive import SqlArchive
from storage.audit import SqlAudit
from storage.chats import SqlChats
from storage.console import SqlConsole
from storage.coordination import SqlCoordination
from storage.database import Database
from storage.outbox import SqlOutbox
from storage.retention import SqlRetention
from storage.sources import SqlSources


class SqlStorage:
    """Database plus repositories; created by ``open_storage`` from the settings."""

    def __init__(self, db: Database, *, search_index: str = "tantivy") -> None:
        self.db = db
        self.dialect = db.dialect
        self.archive = SqlArchive(db, search_index=search_index)
        self.audit = SqlAudit(db)
        self.chats = SqlChats(db)
        self.outbox = SqlOutbox(db)
        self.sources = SqlSources(db)
        self.coordination = SqlCoordination(db)
        self.retention = SqlRetention(db)
        self.console = SqlConsole(db)  # the operator console's reads (bot/web)

    async def upgrade(self) -> tuple[str | None, str | None]:
        return await migrate.upgrade(self.db)

    async def current_revision(self) -> str | None:
        return await migrate.current_revision(self.db)

    async def backup(self, destination: Path) -> int:
        """A consistent copy of the SQLite archive, taken while the bot runs."""
        return await backup.backup(self.db, destination)

    def announce_outages(self) -> None:
        """Log each database state change (down / back) as one line: a long-running bot."""
        self.db.availability.announce = True

    def missing(self) -> str | None:
        path = self.db.missing_file()
        if path is None:
            return None
        return (
            f"no database at {path} (check --database-url or [storage] url; "
            "`cryptowire db upgrade` creates it)"
        )

    async def ping(self) -> None:
        async with self.db.read_connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        try:
            await self.archive.close()
        finally:
            await self.db.dispose()

    def __repr__(self) -> str:
        return f"SqlStorage({self.db!r})"


def open_storage(settings: Settings) -> SqlStorage:
    """Build the storage for ``[storage] url`` (no I/O until first use)."""
    config = settings.storage
    return SqlStorage(Database(config.url, echo=config.echo), search_index=config.search_index)
