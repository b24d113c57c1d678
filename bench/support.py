"""Helpers shared by the benchmarks: percentiles, result entries, scratch PostgreSQL databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

DATASET = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cryptonews.csv"
SHARED_DATASET = Path("/work/shared/datasets/cryptonews.csv")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def dataset_path() -> Path | None:
    """The shared dataset (``../shared`` next to the checkout, or /work/shared); None if absent."""
    for candidate in (DATASET, SHARED_DATASET):
        if candidate.exists():
            return candidate
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def record(
    results: dict,
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    target: float | None = None,
    digits: int = 3,
) -> None:
    """Store one figure; ratio = baseline / value for times (bigger is better) else value/base."""
    ratio = None
    if baseline:
        ratio = round(baseline / value, 2) if unit in ("ms", "s") and value else None
        if unit not in ("ms", "s"):
            ratio = round(value / baseline, 3)
    results[name] = {
        "value": round(value, digits),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, digits),
        "ratio": ratio,
        "target": target,
    }
    extra = f" (baseline {baseline:.{digits}f}, ratio {ratio})" if baseline is not None else ""
    goal = f" target {target}" if target is not None else ""
    print(f"   {name}: {value:.{digits}f} {unit}{extra}{goal}", flush=True)


def postgres_server() -> str | None:
    """The server where a benchmark may create a scratch database (None: skip PostgreSQL)."""
    url = os.environ.get("CRYPTOWIRE_BENCH_POSTGRES_URL") or os.environ.get(
        "CRYPTOWIRE_TEST_POSTGRES_URL"
    )
    if url:
        return url
    return DEFAULT_POSTGRES if _reachable(DEFAULT_POSTGRES) else None


def _reachable(url: str) -> bool:
    try:
        asyncio.run(_admin(url, "SELECT 1"))
    except Exception:
        return False
    return True


async def pg_connect(url: str) -> Any:
    """A raw asyncpg connection for a URL as users write it (bulk loads, admin SQL)."""
    import asyncpg

    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )


async def _admin(url: str, sql: str) -> None:
    connection = await pg_connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def scratch_postgres(server: str, prefix: str = "cw_bench") -> Iterator[str]:
    """Create a scratch database on ``server``, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
