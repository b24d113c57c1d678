"""Migrations build the same schema on SQLite and PostgreSQL, and repeat as a no-op."""

from __future__ import annotations

from sqlalchemy import inspect, text

from storage import migrate
from storage.database import Database, to_async_url
from storage.plugin import SqlStorage
from storage.tables import Base


async def test_upgrade_twice_is_a_noop(database_url: str):
    db = Database(database_url)
    try:
        before, after = await migrate.upgrade(db)
        assert before is None
        assert after == migrate.head_revision()
        again = await migrate.upgrade(db)
        assert again == (after, after)
    finally:
        await db.dispose()


async def test_migrated_schema_matches_the_models(storage: SqlStorage):
    async with storage.db.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        columns = await connection.run_sync(
            lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)} for t in tables}
        )
    for table in Base.metadata.sorted_tables:
        assert table.name in tables
        assert {c.name for c in table.columns} <= columns[table.name], table.name


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with db.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            fks = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        assert mode == "wal"
        assert fks == 1
    finally:
        await db.dispose()


def test_urls_as_users_write_them_get_async_drivers():
    assert to_async_url("sqlite:///cw.db").drivername == "sqlite+aiosqlite"
    assert to_async_url("postgresql://u@h:5432/db").drivername == "postgresql+asyncpg"
    assert to_async_url("postgres://u@h/db").drivername == "postgresql+asyncpg"


async def test_ping_reaches_the_database(storage: SqlStorage):
    await storage.ping()
    assert await storage.current_revision() == migrate.head_revision()


async def test_story_bands_lookup_reads_one_covering_index(storage: SqlStorage):
    async with storage.db.connect() as connection:
        indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("story_bands"))
        table_sql = None
        if not storage.db.is_postgres:
            table_sql = (
                await connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'story_bands'")
                )
            ).scalar()
    assert [(i["name"], tuple(i["column_names"])) for i in indexes] == [
        ("ix_story_bands_band_published_story", ("band", "published_at", "story_id"))
    ]
    if table_sql is not None:  # SQLite: the primary key is the table (two B-trees per row)
        assert "WITHOUT ROWID" in table_sql


async def test_upgrading_to_the_covering_band_index_keeps_the_bands(database_url: str):
    db = Database(database_url)
    try:
        await migrate.upgrade(db, "0002")
        async with db.connect() as connection:
            story = await connection.execute(
                text(
                    "INSERT INTO stories (title, first_published_at, last_updated_at, "
                    "article_count, tags, sentiment, breaking, retracted, created_at) VALUES "
                    "('t', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, '[]', 'NEUTRAL', "
                    "false, false, '2026-01-01 00:00:00') RETURNING id"
                )
            )
            story_id = story.scalar_one()
            for band in (-5, 7):
                await connection.execute(
                    text("INSERT INTO story_bands VALUES (:b, :s, '2026-01-01 00:00:00')"),
                    {"b": band, "s": story_id},
                )
        await migrate.upgrade(db)
        async with db.connect() as connection:
            rows = (await connection.execute(text("SELECT band, story_id FROM story_bands"))).all()
        assert sorted(tuple(r) for r in rows) == [(-5, story_id), (7, story_id)]
    finally:
        await db.dispose()


async def test_source_switches_upgrade_and_downgrade_keeping_the_sources(database_url: str):
    db = Database(database_url)
    insert = (
        "INSERT INTO sources (key, name, kind, consecutive_failures, items_seen, created_at)"
        " VALUES ('wire', 'Wire', 'rss', 2, 40, '2026-01-01 00:00:00')"
    )
    try:
        await migrate.upgrade(db, "0006")
        async with db.connect() as connection:
            await connection.execute(text(insert))
        await migrate.upgrade(db, "0007")
        async with db.connect() as connection:
            row = (await connection.execute(text(
                "SELECT key, items_seen, enabled, poll_requested_at, push_state FROM sources"
            ))).one()  # fmt: skip
            assert tuple(row) == ("wire", 40, True, None, None)  # polled as before
            await connection.execute(text("UPDATE sources SET enabled = false"))
        assert await migrate.downgrade(db, "0006") == "0006"
        async with db.connect() as connection:
            columns = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("sources")}
            )
            rows = (await connection.execute(text("SELECT key, items_seen FROM sources"))).all()
        assert "enabled" not in columns and "push_state" not in columns
        assert [tuple(r) for r in rows] == [("wire", 40)]
        await migrate.upgrade(db)
        async with db.connect() as connection:
            on = (await connection.execute(text("SELECT enabled FROM sources"))).scalar()
        assert on is True or on == 1
    finally:
        await db.dispose()
