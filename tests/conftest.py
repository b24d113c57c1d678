"""Shared fixtures: real SQLite files and, when configured, fresh PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings, StorageConfig
from storage.plugin import SqlStorage, open_storage

POSTGRES_ENV = "CRYPTOWIRE_TEST_POSTGRES_URL"
# CRYPTOWIRE_SHARED points elsewhere when the clone is not beside ../shared (worktrees)
SHARED = Path(
    os.environ.get("CRYPTOWIRE_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
)
SAMPLES = SHARED / "samples" / "articles"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _backends() -> list[object]:
    reason = f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(postgres_url() is None, reason=reason),
        ),
    ]


async def _admin_execute(sql: str) -> None:
    import asyncpg

    url = make_url(postgres_url() or "")
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


class FreshDatabase:
    """Creates a database that only one test uses, and drops it afterwards."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.name = f"cw_test_{uuid.uuid4().hex[:12]}"

    async def create(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / 'cryptowire.db'}"
        await _admin_execute(f'CREATE DATABASE "{self.name}"')
        return (
            make_url(postgres_url() or "")
            .set(database=self.name)
            .render_as_string(hide_password=False)
        )

    async def drop(self) -> None:
        if self.backend == "postgresql":
            await _admin_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test: every storage test runs on SQLite and PostgreSQL."""
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL, as users write it, to an empty database of its own."""
    fresh = FreshDatabase(backend, tmp_path)
    url = await fresh.create()
    try:
        yield url
    finally:
        await fresh.drop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(storage=StorageConfig(url=database_url))


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[SqlStorage]:
    """A migrated storage on a fresh database."""
    store = open_storage(settings)
    await store.upgrade()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def samples_dir() -> Iterator[Path]:
    """The shared real-article samples; tests using it skip on a clone without ../shared."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES} (they live beside the clone in CI)")
    yield SAMPLES
