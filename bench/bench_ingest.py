"""Ingest throughput: the 7,524 real items of cryptonews.csv as front matter files, through
``IngestPipeline`` into a fresh SQLite archive (parse, enrich, identity, store, story, FTS).

Measured three times: as the CLI runs it (parse workers on every core: every file is read
for its date, then the rest of the parse streams beside the writer in publication order,
decision 043; ``[stories] method = "semantic"``, the default), the same with the lexical
method (the semantic step's cost end to end), and with everything on one process
(``workers=0``). The load average is printed before each run and recorded: the machine
is shared.
Baseline, measured in the same run: a bare python-frontmatter parse loop over the same
files (read + ``frontmatter.loads``), i.e. the cost of just reading the documents.
Target: >= 1,000 articles/s end to end.
"""

from __future__ import annotations

import asyncio
import csv
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frontmatter
import yaml

from bot.ingest.prefetch import default_workers

LOADS: list[float] = []  # load average (1 min) before each timed run


def load_now(label: str) -> None:
    LOADS.append(os.getloadavg()[0])
    print(f"   load average before {label}: {LOADS[-1]:.1f}", flush=True)


HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CRYPTOWIRE_SHARED") or HERE.parents[1] / "shared")
DATASET = SHARED / "datasets" / "cryptonews.csv"
TARGET = 1000.0
SUBJECT_TAGS = {"bitcoin": "BTC", "ethereum": "ETH", "nft": "NFT", "defi": "DEFI"}


def write_files(folder: Path, path: Path = DATASET) -> list[Path]:
    """One front matter markdown file per dataset row (fields as our sources send them)."""
    files = []
    with path.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle, delimiter=";")):
            published = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=UTC)
            meta: dict[str, object] = {
                "title": row["title"],
                "description": row["text"],
                "publishedAt": published.isoformat().replace("+00:00", "Z"),
                "url": row["url"],
                "source": {"name": row["source"], "key": row["source"].lower()},
                "lang": "en",
            }
            tag = SUBJECT_TAGS.get(row["subject"].strip().lower())
            if tag:
                meta["tags"] = [tag]
            head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
            target = folder / f"{i:05d}.md"
            target.write_text(f"---\n{head}---\n{row['text']}\n", encoding="utf-8")
            files.append(target)
    return files


def bare_parse(files: list[Path]) -> float:
    """Seconds for read + frontmatter.loads over every file (the baseline)."""
    started = time.perf_counter()
    for path in files:
        frontmatter.loads(path.read_text(encoding="utf-8"))
    return time.perf_counter() - started


def parse_only(files: list[Path]) -> float:
    """Seconds for read + ``parse_document`` (parse, normalise, enrich): no database."""
    from bot.ingest.parse import RejectedDocument, parse_document

    started = time.perf_counter()
    for path in files:
        try:
            parse_document(path.read_bytes(), origin=str(path))
        except RejectedDocument:
            pass
    return time.perf_counter() - started


async def pipeline_ingest(
    files: list[Path], db_path: Path, *, workers: int | None = None, method: str = "semantic"
) -> tuple[float, Counter[str]]:
    """The `cryptowire ingest` loop itself (``cli_archive.ingest_files``: read, parse
    workers, batch writer) into a fresh archive; ``workers=None`` is the CLI's choice."""
    from bot.cli.archive import ingest_files
    from bot.ingest.pipeline import IngestPipeline
    from storage.database import Database
    from storage.plugin import SqlStorage

    storage = SqlStorage(Database(f"sqlite:///{db_path}"))
    await storage.upgrade()
    pipeline = IngestPipeline(
        storage.archive,
        max_bytes=2 * 1024 * 1024,
        story_window=timedelta(hours=72),
        story_method=method,
    )
    inputs = [(path, None) for path in files]
    load_now(f"the pipeline ({method}, workers={'CLI default' if workers is None else workers})")
    started = time.perf_counter()
    counts = await ingest_files(pipeline, inputs, lambda _path, _outcome: None, workers=workers)
    elapsed = time.perf_counter() - started
    await storage.close()
    return elapsed, counts


def run(results: dict) -> None:  # type: ignore[type-arg]
    LOADS.clear()
    if not DATASET.is_file():
        print(f"   skipped: dataset not found at {DATASET} (set CRYPTOWIRE_SHARED)")
        return
    with tempfile.TemporaryDirectory(prefix="cw-bench-ingest-") as tmp:
        folder = Path(tmp)
        files = write_files(folder)
        load_now("the bare loop")
        baseline_s = bare_parse(files)
        parse_s = parse_only(files)
        elapsed, counts = asyncio.run(pipeline_ingest(files, folder / "bench.db"))
        lexical_s, _ = asyncio.run(pipeline_ingest(files, folder / "lexical.db", method="lexical"))
        serial_s, serial_counts = asyncio.run(
            pipeline_ingest(files, folder / "serial.db", workers=0)
        )
    n = len(files)
    rate, base_rate = n / elapsed, n / baseline_s
    assert counts == serial_counts, (counts, serial_counts)
    print(f"   {n} files: {dict(counts)}")
    workers = default_workers()
    print(f"   pipeline {rate:,.0f} articles/s ({elapsed:.1f} s; {workers} parse workers)")
    print(f"   pipeline without parse workers {n / serial_s:,.0f} articles/s ({serial_s:.1f} s)")
    print(
        f"   pipeline with [stories] method = lexical {n / lexical_s:,.0f} articles/s: the "
        f"semantic step costs {(elapsed - lexical_s) / n * 1e6:.0f} µs per article end to end"
    )
    print(f"   bare python-frontmatter loop {base_rate:,.0f} files/s ({baseline_s:.1f} s)")
    print(f"   parse_document alone {n / parse_s:,.0f} files/s ({parse_s:.1f} s)")
    print(f"   ratio {rate / base_rate:.3f} of the bare parse rate; target {TARGET:,.0f}/s")
    load = f"{min(LOADS):.1f}-{max(LOADS):.1f}"
    print(f"   load average {load} before the runs")
    results["ingest_articles_per_s"] = {
        "value": round(rate, 1),
        "unit": "articles/s",
        "baseline": round(base_rate, 1),
        "ratio": round(rate / base_rate, 4),
        "target": TARGET,
        "load": load,
    }
    results["ingest_lexical_articles_per_s"] = {
        "value": round(n / lexical_s, 1),
        "unit": "articles/s",
        "baseline": round(base_rate, 1),
        "ratio": round((n / lexical_s) / base_rate, 4),
        "target": None,
        "load": load,
    }
    results["ingest_serial_articles_per_s"] = {
        "value": round(n / serial_s, 1),
        "unit": "articles/s",
        "baseline": round(base_rate, 1),
        "ratio": round((n / serial_s) / base_rate, 4),
        "target": None,
        "load": load,
    }
    results["ingest_parse_only_per_s"] = {
        "value": round(n / parse_s, 1),
        "unit": "files/s",
        "baseline": round(base_rate, 1),
        "ratio": round(base_rate and (n / parse_s) / base_rate, 4),
        "target": None,
        "load": load,
    }


if __name__ == "__main__":
    run({})
