"""A feed with thousands of items beside small feeds, in a real `cryptowire run`.

One commit per item made a 20,000-item feed crawl at about 12 items/s while the small
feeds beside it waited. Big polls now go through the bulk writer (grouped commits, the
feed parsed off the event loop): the big feed is stored at bulk speed and the small
feeds are stored while it is still being ingested.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from tests.chaos.sqlite_support import LOCK_ERRORS, cryptowire, query, read_log
from tests.chaos.test_sqlite_many_sources import title
from tests.sources_support import FeedServer, rss_document, rss_item

pytestmark = pytest.mark.slow

BIG = 3000
SMALL = 20


def count(db: Path, where: str) -> int:
    try:
        return int(query(db, f"SELECT count(*) FROM articles WHERE {where}")[0][0])  # type: ignore[arg-type]
    except sqlite3.OperationalError:  # not created or migrated yet
        return 0


async def test_a_big_feed_is_bulk_ingested_and_does_not_starve_small_ones(tmp_path):
    server = await FeedServer().start()
    try:
        items = [
            rss_item(f"big-{n}", title(n), description=f"Report {n} in full.") for n in range(BIG)
        ]
        server.feed("/big.xml", rss_document(*items))
        for n in range(SMALL):
            small = rss_item(f"small-{n}", title(BIG + n), description="A small wire.")
            server.feed(f"/small/{n}.xml", rss_document(small))
        sources = '[[sources]]\nname = "big"\nkind = "rss"\nurl = "{}"\ninterval = "1h"\n'.format(
            server.url("/big.xml")
        ) + "".join(
            f'[[sources]]\nname = "small {n}"\nkind = "rss"\n'
            f'url = "{server.url(f"/small/{n}.xml")}"\ninterval = "5s"\n'
            for n in range(SMALL)
        )
        config = tmp_path / "config.toml"
        db = tmp_path / "cw.db"
        config.write_text(f'[storage]\nurl = "sqlite:///{db}"\n{sources}', encoding="utf-8")
        async with cryptowire(tmp_path, config, "run"):
            started = time.monotonic()
            small_done_with_big = None
            while time.monotonic() - started < 150:
                await asyncio.sleep(0.5)
                big = count(db, "source_key = 'big'")
                if small_done_with_big is None and count(db, "source_key != 'big'") >= SMALL:
                    small_done_with_big = big
                if big >= BIG:
                    break
            took = time.monotonic() - started
        output = read_log(tmp_path)
    finally:
        await server.close()
    assert count(db, "source_key = 'big'") == BIG, f"big feed incomplete after {took:.0f}s"
    assert small_done_with_big is not None and small_done_with_big < BIG, (
        "the small feeds waited for the whole big feed"
    )
    assert took < 120, f"{BIG} items took {took:.0f}s"  # 4,000 items: about 530 in 120 s before
    for marker in (*LOCK_ERRORS, "Traceback"):
        assert marker not in output, output[-2000:]
