"""Outbox: enqueue 100,000 deliveries of one story (target <= 2 s on both databases), then
claim batches of 60 from that backlog.

Baseline: the same rows through SQLAlchemy's generic executemany insert (no conflict
handling), measured in the same run. PostgreSQL needs $CRYPTOWIRE_BENCH_POSTGRES_URL or
$CRYPTOWIRE_TEST_POSTGRES_URL (a server where we may create a scratch database).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import make_url

from bench.fanout_seed import seed_fanout
from bench.support import _admin
from storage.database import Database
from storage.plugin import SqlStorage
from storage.tables import DeliveryRow

N = 100_000
TARGET_S = 2.0


async def _measure(url: str) -> tuple[float, float, int]:
    storage = SqlStorage(Database(url))
    try:
        await storage.upgrade()
        _, _, rows = await seed_fanout(storage, N, datetime.now(UTC))
        started = time.perf_counter()
        async with storage.db.session() as session:
            await session.execute(
                insert(DeliveryRow),
                [
                    {
                        "idempotency_key": r.idempotency_key,
                        "chat_id": r.chat_id,
                        "story_id": r.story_id,
                        "article_id": r.article_id,
                        "kind": r.kind.value,
                        "priority": r.priority,
                        "due_at": r.due_at,
                        "payload": {},
                    }
                    for r in rows
                ],
            )
        baseline = time.perf_counter() - started
        async with storage.db.session() as session:  # a clean table again, no dead rows
            if storage.db.is_postgres:
                await session.execute(text("TRUNCATE deliveries, sent_messages"))
            else:
                await session.execute(delete(DeliveryRow))
        started = time.perf_counter()
        inserted = await storage.outbox.enqueue_many(rows)
        ours = time.perf_counter() - started
        again = await storage.outbox.enqueue_many(rows)
        assert (inserted, again) == (N, 0), (inserted, again)
        claim = await _claims(storage)
        return ours, baseline, claim
    finally:
        await storage.close()


async def _claims(storage: SqlStorage) -> tuple[float, float]:
    """Median claim of 60 rows with 100k pending, against the bare ordered index read."""
    async with storage.db.session() as session:
        await session.execute(text("ANALYZE"))
    raw_sql = text(
        "SELECT id FROM deliveries WHERE status = 'pending' ORDER BY priority, due_at, id LIMIT 60"
    )
    ours, raw = [], []
    for n in range(9):
        started = time.perf_counter()
        async with storage.db.session() as session:
            await session.execute(raw_sql)
        raw.append(time.perf_counter() - started)
        started = time.perf_counter()
        claimed = await storage.outbox.claim_due(
            f"bench{n}", now=datetime.now(UTC), limit=60, platforms=["telegram"]
        )
        ours.append(time.perf_counter() - started)
        assert len(claimed) == 60
    return sorted(ours)[4] * 1000, sorted(raw)[4] * 1000


def _record(results: dict, name: str, ours: float, baseline: float) -> None:
    results[name] = {
        "value": round(ours, 3),
        "unit": "s",
        "baseline": round(baseline, 3),
        "ratio": round(ours / baseline, 3) if baseline else None,
        "target": TARGET_S,
    }
    print(f"   {name}: {ours:.2f} s (generic executemany {baseline:.2f} s)")


def _record_claim(results: dict, name: str, claim: tuple[float, float]) -> None:
    ours, raw = claim
    results[name] = {
        "value": round(ours, 2),
        "unit": "ms",
        "baseline": round(raw, 2),
        "ratio": round(ours / raw, 2) if raw else None,
        "target": 50.0,
    }
    print(f"   {name}: {ours:.1f} ms (ordered index read alone {raw:.1f} ms)")


def run(results: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours, baseline, claim = asyncio.run(_measure(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        _record(results, "outbox_enqueue_100k_sqlite", ours, baseline)
        _record_claim(results, "outbox_claim_60_of_100k_sqlite", claim)
    server = os.environ.get("CRYPTOWIRE_BENCH_POSTGRES_URL") or os.environ.get(
        "CRYPTOWIRE_TEST_POSTGRES_URL"
    )
    if not server:
        print("   PostgreSQL skipped: set CRYPTOWIRE_BENCH_POSTGRES_URL")
        return
    name = f"cw_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        ours, baseline, claim = asyncio.run(_measure(url))
        _record(results, "outbox_enqueue_100k_postgresql", ours, baseline)
        _record_claim(results, "outbox_claim_60_of_100k_postgresql", claim)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
