"""Source health and conditional-GET validators in the ``sources`` table.

One row per source key, shared with the archive (articles point at it through
``source_id``); this repository only touches health columns and creates rows on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.sources.base import SourceHealth
from storage.database import Database
from storage.tables import SourceFileRow, SourceRow

BATCH = 500


class SqlSources:
    """Implements ``bot.sources.health.SourceStore`` on SQLite and PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, key: str, *, name: str, kind: str, url: str | None) -> None:
        """Insert the row if missing (race-free), then refresh name, kind and url."""
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        values = {"key": key, "name": name, "kind": kind, "url": url}
        statement = (
            insert(SourceRow)
            .values(**values, consecutive_failures=0, items_seen=0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self.db.session() as session:
            await session.execute(statement)
            await session.execute(
                update(SourceRow)
                .where(SourceRow.key == key)
                .where(
                    (SourceRow.name != name)
                    | (SourceRow.kind != kind)
                    | (SourceRow.url.is_distinct_from(url))
                )
                .values(name=name, kind=kind, url=url)
            )

    async def get(self, key: str) -> SourceHealth | None:
        async with self.db.reading() as session:
            row = await session.scalar(select(SourceRow).where(SourceRow.key == key))
            return _health(row) if row is not None else None

    async def all(self) -> list[SourceHealth]:
        """Every source row, by key (the archive's plain article sources included)."""
        async with self.db.reading() as session:
            rows = await session.scalars(select(SourceRow).order_by(SourceRow.key))
            return [_health(row) for row in rows]

    async def record_success(
        self,
        key: str,
        *,
        at: datetime,
        items: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        values: dict[str, object] = {
            "last_polled_at": at,
            "last_success_at": at,
            "consecutive_failures": 0,
            "retry_at": None,
            "items_seen": SourceRow.items_seen + items,
        }
        if etag is not None:
            values["etag"] = etag
        if last_modified is not None:
            values["last_modified"] = last_modified
        async with self.db.session() as session:
            await session.execute(update(SourceRow).where(SourceRow.key == key).values(**values))

    async def record_failure(self, key: str, *, at: datetime, error: str) -> int:
        async with self.db.session() as session:
            failures = await session.scalar(
                update(SourceRow)
                .where(SourceRow.key == key)
                .values(
                    last_polled_at=at,
                    last_error=error,
                    last_error_at=at,
                    consecutive_failures=SourceRow.consecutive_failures + 1,
                )
                .returning(SourceRow.consecutive_failures)
            )
            return int(failures or 0)

    async def set_retry_at(self, key: str, retry_at: datetime | None) -> None:
        """Record when a failing source will be tried again (shown by `cryptowire sources`)."""
        async with self.db.session() as session:
            await session.execute(
                update(SourceRow).where(SourceRow.key == key).values(retry_at=retry_at)
            )

    async def set_enabled(self, key: str, on: bool) -> bool:
        """Switch a source on or off (the console); False when there is no such source."""
        async with self.db.session() as session:
            done = await session.execute(
                update(SourceRow).where(SourceRow.key == key).values(enabled=on)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def request_poll(self, key: str, *, at: datetime) -> bool:
        """Ask the polling process for a poll now; False when there is no such source."""
        async with self.db.session() as session:
            done = await session.execute(
                update(SourceRow).where(SourceRow.key == key).values(poll_requested_at=at)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def controls(self) -> dict[str, tuple[bool, datetime | None]]:
        async with self.db.reading() as session:
            rows = await session.execute(
                select(SourceRow.key, SourceRow.enabled, SourceRow.poll_requested_at)
            )
            return {key: (bool(on), asked) for key, on, asked in rows}

    async def poll_started(self, key: str, requested_at: datetime) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(SourceRow)
                .where(SourceRow.key == key, SourceRow.poll_requested_at <= requested_at)
                .values(poll_requested_at=None)
            )

    async def set_push_state(self, key: str, state: str | None) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(SourceRow).where(SourceRow.key == key).values(push_state=state)
            )

    async def known_files(self, key: str) -> dict[str, tuple[int, int]]:
        """(size, mtime_ns) of every file of folder ``key`` ingested so far, by path."""
        async with self.db.reading() as session:
            rows = await session.execute(
                select(SourceFileRow.path, SourceFileRow.size, SourceFileRow.mtime_ns).where(
                    SourceFileRow.source_key == key
                )
            )
            return {path: (size, mtime) for path, size, mtime in rows}

    async def remember_files(
        self, key: str, files: Mapping[str, tuple[int, int]], *, at: datetime
    ) -> None:
        """Record ingested file versions (insert or replace), in batches."""
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        items = sorted(files.items())
        async with self.db.session() as session:
            for start in range(0, len(items), BATCH):
                rows = [
                    {"source_key": key, "path": path, "size": size, "mtime_ns": mtime,
                     "ingested_at": at}
                    for path, (size, mtime) in items[start : start + BATCH]
                ]  # fmt: skip
                statement = insert(SourceFileRow).values(rows)
                await session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["source_key", "path"],
                        set_={
                            "size": statement.excluded.size,
                            "mtime_ns": statement.excluded.mtime_ns,
                            "ingested_at": statement.excluded.ingested_at,
                        },
                    )
                )

    async def forget_files(self, key: str, paths: Iterable[str]) -> None:
        """Drop files that disappeared, so one re-created later is read again."""
        wanted = sorted(set(paths))
        async with self.db.session() as session:
            for start in range(0, len(wanted), BATCH):
                await session.execute(
                    delete(SourceFileRow)
                    .where(SourceFileRow.source_key == key)
                    .where(SourceFileRow.path.in_(wanted[start : start + BATCH]))
                )


def _health(row: SourceRow) -> SourceHealth:
    return SourceHealth(
        key=row.key,
        name=row.name,
        kind=row.kind,
        url=row.url,
        etag=row.etag,
        last_modified=row.last_modified,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        consecutive_failures=row.consecutive_failures,
        items_seen=row.items_seen,
        retry_at=row.retry_at,
        enabled=bool(row.enabled),
        poll_requested_at=row.poll_requested_at,
        push_state=row.push_state,
    )
