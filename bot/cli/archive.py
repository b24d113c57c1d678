"""`cryptowire ingest | latest | search | show | story`: the archive from the terminal.

Exit codes follow bot.cli.main: 2 when any input file was rejected or an id is unknown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.alerts.pipeline import alerting_pipeline
from bot.cli.main import app, echo_json, fail, ready_storage, run_async, settings_or_exit
from bot.commands.search_query import parse_search, require_valid
from bot.errors import RuntimeFailure, UserError
from bot.ingest.outcome import IngestOutcome
from bot.ingest.pipeline import IngestPipeline
from bot.ingest.prefetch import Document, default_workers
from bot.models import Article, Story
from bot.ports import Archive, Storage

STATUSES = ("new", "updated", "duplicate", "draft", "rejected")
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many.")]


class NotFound(UserError):
    """An article or story id that the archive does not hold."""


def archive_of(storage: Storage) -> Archive:
    archive = getattr(storage, "archive", None)
    if archive is None:
        raise RuntimeFailure("this storage has no article archive")
    return archive  # type: ignore[no-any-return]


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def article_json(article: Article) -> dict[str, Any]:
    """The article as `--json` prints it (times ISO 8601 UTC)."""
    return {
        "id": article.id,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "url": article.url,
        "source": {"key": article.source_key, "name": article.source_name},
        "published_at": iso(article.published_at),
        "updated_at": iso(article.updated_at),
        "tags": list(article.tags),
        "sentiment": str(article.sentiment),
        "story_id": article.story_id,
        "image": article.image_url,
        "inferred": list(article.inferred),
        "draft": article.draft,
    }


def article_line(article: Article) -> str:
    when = article.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    tags = ",".join(article.tags)
    return f"#{article.id:<6} {when}  {article.source_name:<12.12}  {article.title}  [{tags}]"


def iter_files(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Each file under the given paths (folders recursively, hidden names skipped);
    a path that does not exist comes back with an error instead."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(p.startswith(".") for p in relative):
                    yield child, None
        elif path.is_file():
            yield path, None
        else:
            yield path, f"{path}: no such file or folder"


class TooLarge(UserError):
    """A file over ``[ingest] max_file_bytes``: rejected without reading it."""


def _read(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"{path}: file is {size} bytes, over the {max_bytes}-byte limit")
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)  # grew meanwhile: the parser names the limit


PARALLEL_FROM = 200  # files: below this, worker processes would not pay for their start


async def ingest_files(
    pipeline: IngestPipeline,
    files: list[tuple[Path, str | None]],
    on_done: Any,
    *,
    workers: int | None = None,
) -> Counter[str]:
    """Ingest in one batch, earliest published first (file names say nothing about when an
    article appeared, and stories form in time order); parse workers ahead of the writer
    for big inputs."""
    counts: Counter[str] = Counter()
    if workers is None:
        workers = default_workers() if len(files) >= PARALLEL_FROM else 0

    def done(document: Document, outcome: IngestOutcome) -> None:
        counts[outcome.status] += 1
        on_done(Path(document.origin), outcome)

    documents = (_document(path, error, pipeline.max_bytes) for path, error in files)
    async with pipeline.batch(inline=True):  # the CLI's loop serves nothing else
        await pipeline.ingest_documents(documents, done, workers=workers, publication_order=True)
    return counts


def _document(path: Path, error: str | None, max_bytes: int) -> Document:
    if error is None:
        try:
            return Document(str(path), _read(path, max_bytes))
        except TooLarge as exc:
            error = str(exc)
        except OSError as exc:
            error = f"{path}: cannot read ({exc.strerror or type(exc).__name__})"
    return Document(str(path), error=error)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    as_json: JsonOpt = False,
) -> None:
    """Index article files; bad files are reported and skipped (exit code 2)."""
    settings = settings_or_exit(ctx)
    files = list(iter_files(paths))
    err = typer.get_text_stream("stderr")
    show_progress = not as_json and err.isatty()

    def report(path: Path, outcome: IngestOutcome) -> None:
        if outcome.status == "rejected":
            reason = outcome.error or "rejected"
            if not reason.startswith(str(path)):
                reason = f"{path}: {reason}"
            typer.echo(f"rejected: {reason}", err=True)
        if as_json:
            echo_json(
                {
                    "path": str(path),
                    "status": outcome.status,
                    "article_id": outcome.article.id if outcome.article else None,
                    "story_id": outcome.story.id if outcome.story else None,
                    "error": outcome.error,
                }
            )

    async def go() -> Counter[str]:
        storage = await ready_storage(settings)
        try:
            pipeline = await alerting_pipeline(settings, storage)
            if not show_progress:
                return await ingest_files(pipeline, files, report)
            from rich.console import Console
            from rich.progress import Progress

            with Progress(console=Console(stderr=True), transient=True) as progress:
                task = progress.add_task("indexing", total=len(files))

                def step(path: Path, outcome: IngestOutcome) -> None:
                    report(path, outcome)
                    progress.advance(task)

                return await ingest_files(pipeline, files, step)
        finally:
            await storage.close()

    counts = run_async(go)
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    typer.echo(summary, err=as_json)
    if counts.get("rejected"):
        raise typer.Exit(2)


async def _with_archive(ctx: typer.Context, work: Any) -> Any:
    settings = settings_or_exit(ctx)
    storage = await ready_storage(settings, create=False)
    try:
        return await work(archive_of(storage))
    finally:
        await storage.close()


def _print_articles(articles: list[Article], as_json: bool, empty: str) -> None:
    if as_json:
        for article in articles:
            echo_json(article_json(article))
    elif not articles:
        typer.echo(empty)
    else:
        for article in articles:
            typer.echo(article_line(article))


@app.command("latest")
def latest(
    ctx: typer.Context,
    tag: Annotated[str | None, typer.Argument(help="Only articles with this tag.")] = None,
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """The newest articles, optionally for one tag."""
    found = run_async(lambda: _with_archive(ctx, lambda a: a.latest(tag, limit)))
    _print_articles(found, as_json, "no articles yet" if not tag else f"no articles tagged {tag}")


def query_text(words: list[str]) -> str:
    """The search text from every argument: an argument the shell unquoted ("etf outflows",
    source:"The Block") is quoted again, so it stays a phrase or one filter value."""
    parts = []
    for word in words:
        key, colon, value = word.partition(":")
        if '"' in word or not any(ch.isspace() for ch in word.strip()):
            parts.append(word)
        elif colon and key.isalpha() and not any(ch.isspace() for ch in key):
            parts.append(f'{key}:"{value}"')
        else:
            parts.append(f'"{word}"')
    return " ".join(parts)


@app.command("search")
def search(
    ctx: typer.Context,
    words: Annotated[
        list[str], typer.Argument(help='Words, "phrases", tag:X sentiment:X source:X since:24h')
    ],
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search, relevance blended with recency (every argument is part of the query;
    a filter that cannot be applied, such as since:banana, is an error, exit 2)."""
    query = query_text(words)
    try:
        require_valid(parse_search(query))
    except UserError as exc:
        raise fail(str(exc)) from None
    found = run_async(lambda: _with_archive(ctx, lambda a: a.search(query, limit)))
    _print_articles(found, as_json, "nothing found")


@app.command("show")
def show(ctx: typer.Context, article_id: int, as_json: JsonOpt = False) -> None:
    """One article in full."""

    async def work(archive: Archive) -> Article:
        article = await archive.get_article(article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        return article

    article = run_async(lambda: _with_archive(ctx, work))
    if as_json:
        echo_json(article_json(article))
        return
    typer.echo(article.title)
    meta = [
        f"#{article.id}",
        iso(article.published_at) or "",
        article.source_name,
        str(article.sentiment),
        ",".join(article.tags),
    ]
    if article.story_id is not None:
        meta.append(f"story {article.story_id}")
    if article.draft:
        meta.append("DRAFT (not listed)")
    typer.echo("  ".join(m for m in meta if m))
    if article.url:
        typer.echo(article.url)
    if article.summary:
        typer.echo(f"\n{article.summary}")
    if article.body:
        typer.echo(f"\n{article.body}")


@app.command("story")
def story(ctx: typer.Context, story_id: int, as_json: JsonOpt = False) -> None:
    """A story and the articles that report it (oldest first)."""

    async def work(archive: Archive) -> tuple[Story, list[Article], dict[int, dict[str, Any]]]:
        found = await archive.get_story(story_id)
        if found is None:
            raise NotFound(f"story {story_id} not found")
        articles = await archive.story_articles(story_id)
        return found, articles, await archive.story_evidence(story_id)

    found, articles, evidence = run_async(lambda: _with_archive(ctx, work))
    if as_json:
        for article in articles:
            echo_json({**article_json(article), "membership": evidence.get(article.id or 0)})
        return
    typer.echo(f"story {found.id}: {found.title}")
    typer.echo(
        f"{found.article_count} article(s) from {', '.join(found.source_keys) or '-'}; "
        f"{iso(found.first_published_at)} .. {iso(found.last_updated_at)}; "
        f"{found.sentiment}; {','.join(found.tags)}"
    )
    for article in articles:
        typer.echo(article_line(article))
        typer.echo(f"        {why_line(evidence.get(article.id or 0))}")


def why_line(evidence: dict[str, Any] | None) -> str:
    """Why an article is in its story, in one line (``cryptowire story ID``)."""
    if not evidence:
        return "why: not recorded (grouped before story evidence was kept)"
    method = evidence.get("method", "?")
    if not evidence.get("joined"):
        best = evidence.get("score")
        closest = "" if best is None else f"; closest other story scored {best:+.2f}"
        if evidence.get("singleton"):
            closest += f"; a recurring {evidence['singleton']} joins no story"
        return f"why: started the story ({method}{closest})"
    parts = [f"score {evidence.get('score', 0):+.2f}"]
    if evidence.get("move"):
        parts.insert(
            0, f"same market move as #{evidence.get('matched_article')}: {evidence['move']}"
        )
    if method == "semantic":
        parts.append(
            f"similarity {evidence.get('similarity', 0):.2f} "
            f"(titles {evidence.get('title_similarity', 0):.2f})"
        )
    parts.append(f"word overlap {evidence.get('word_overlap', 0):.2f}")
    if evidence.get("shared_names"):
        parts.append("shared names " + ", ".join(evidence["shared_names"]))
    if evidence.get("shared_words"):
        parts.append("rarest shared words " + ", ".join(evidence["shared_words"]))
    if evidence.get("event_kinds"):
        parts.append("same kind of event " + ", ".join(evidence["event_kinds"]))
    if evidence.get("shared_figures"):
        parts.append("shared figures " + ", ".join(evidence["shared_figures"]))
    if evidence.get("conflicting_figures"):
        parts.append("conflicting figures " + ", ".join(evidence["conflicting_figures"]))
    parts.append(f"{evidence.get('hours_apart', 0):.1f} h apart")
    matched = evidence.get("matched_article")
    if matched is not None:
        parts.append(f"closest to #{matched}")
    if evidence.get("first_score") is not None:
        parts.append(f"vs first article {evidence['first_score']:+.2f}")
    return f"why: joined ({method}): " + "; ".join(parts)
