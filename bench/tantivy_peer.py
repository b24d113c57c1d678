"""The peer for `/search`: tantivy (Rust, via its Python bindings) on the same articles.

Reads title, summary and body of every visible article from the benchmark's SQLite
archive, indexes them with tantivy's default English-ish tokenizer (title, summary and
body fields), and times the same query mix as ``bench_archive``: bm25 top 10 over all
three fields with per-field boosts like ours (title 10, summary 4, body 1), returning the
stored ids — what a search engine answers. Kept in bench/ so anyone can rerun the
comparison (tantivy is also the embedded default's search index now, decision 027;
this peer builds its own index with tantivy's defaults and asks it directly).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.commands.search_query import STOPWORDS

BATCH = 20_000
# a pause before each timed search: both start from a sleep, so on a loaded machine the
# scheduler's preemption does not fall on whichever runs second (a search on the loop
# followed at once by the peer's made the peer wait for the CPU, flattering ours)
PAUSE_S = 0.001


def available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def build(db: Path, folder: Path) -> tuple[object, float]:
    """A tantivy index of the archive's visible articles; (searcher owner, seconds)."""
    import tantivy

    schema = (
        tantivy.SchemaBuilder()
        .add_integer_field("id", stored=True, indexed=True)
        .add_text_field("title", stored=False)
        .add_text_field("summary", stored=False)
        .add_text_field("body", stored=False)
        .build()
    )
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    began = time.perf_counter()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT id, title, summary, body FROM articles WHERE draft = 0")
        while batch := rows.fetchmany(BATCH):
            for id_, title, summary, body in batch:
                writer.add_document(
                    tantivy.Document(id=id_, title=title, summary=summary or "", body=body or "")
                )
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, time.perf_counter() - began


def query_text(query: str) -> str:
    """Our query mix as tantivy syntax: words (AND), quoted phrases; tag: filters dropped
    (tantivy gets the easier query, so the comparison flatters it, not us)."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]+"', " ", query)
    words = [w for w in re.findall(r"\w+", rest.lower()) if w not in STOPWORDS and ":" not in w]
    words = [w for w in words if not rest.lower().count(f"tag:{w}")]
    parts = [f"+{w}" for w in words] + [f'+"{p.lower()}"' for p in phrases]
    return " ".join(parts)


def search_once(index: object, searcher: object, query: str) -> list[int]:
    """Parse, top-10 bm25 over the three fields with our boosts, stored ids."""
    parsed = index.parse_query(  # type: ignore[attr-defined]
        query_text(query),
        ["title", "summary", "body"],
        field_boosts={"title": 10.0, "summary": 4.0, "body": 1.0},
    )
    hits = searcher.search(parsed, 10).hits  # type: ignore[attr-defined]
    return [searcher.doc(address)["id"][0] for _score, address in hits]  # type: ignore[attr-defined]


Search = Callable[[str], Awaitable[object]]
Pair = tuple[list[float], list[float]]  # our times, the peer's


async def side_by_side(
    db: Path, searches: dict[str, Search], queries: list[str], rounds: int
) -> tuple[
    dict[str, tuple[list[float], list[float]]], dict[str, tuple[list[float], list[float]]], float
]:
    """For each of ``searches``: its times and tantivy's per query, interleaved query by
    query so both see the same machine load (round 0 warms up, not counted); one search
    after another (interleaving FTS5's heavy searches with ours too made each of ours
    pay for the other's threads and evicted caches). Also the process CPU each took (all
    threads: ours runs in a worker thread, the peer on the caller's), which the machine's
    load barely moves. And tantivy's build seconds."""
    walls: dict[str, Pair] = {}
    cpus: dict[str, Pair] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index, build_s = build(db, Path(tmp))
        searcher = index.searcher()  # type: ignore[attr-defined]
        for name, search in searches.items():
            ours, theirs = walls[name] = ([], [])
            ours_cpu, theirs_cpu = cpus[name] = ([], [])
            for round_ in range(rounds + 1):
                for query in queries:
                    await asyncio.sleep(PAUSE_S)
                    began, began_cpu = time.perf_counter(), time.process_time()
                    await search(query)
                    ended, ended_cpu = time.perf_counter(), time.process_time()
                    await asyncio.sleep(PAUSE_S)
                    began_peer, began_peer_cpu = time.perf_counter(), time.process_time()
                    search_once(index, searcher, query)
                    ended_peer, ended_peer_cpu = time.perf_counter(), time.process_time()
                    if round_:
                        ours.append(ended - began)
                        theirs.append(ended_peer - began_peer)
                        ours_cpu.append(ended_cpu - began_cpu)
                        theirs_cpu.append(ended_peer_cpu - began_peer_cpu)
    return walls, cpus, build_s
