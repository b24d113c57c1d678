"""`cryptowire post ARTICLE_ID|FILE [--to telegram,discord] [--pin] [--send]` and
`cryptowire audit [--limit N] [--json]`.

``post`` enqueues a breaking post in the shared database: the broadcast targets (only
those of ``--to`` platforms), pinned where configured or with ``--pin``, and the
subscribers whose filters match. A running ``cryptowire run`` delivers it within its poll
interval; ``--send`` delivers it from this process instead. A FILE is ingested first (so
it is archived and searchable). Every post is audited as platform "cli".
"""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.alerts.breaking import Broadcaster, PostResult
from bot.alerts.pipeline import plain_pipeline
from bot.alerts.planner import AlertPlanner
from bot.cli.main import app, echo_json, ready_storage, run_async, settings_or_exit
from bot.commands.admin import audit_line, post_detail, with_weight
from bot.config import Settings
from bot.errors import UserError
from bot.ingest.parse import parse_document
from bot.ingest.pipeline import IngestPipeline
from bot.models import Article
from bot.wiring_broadcast import attach_broadcast

PLATFORMS = ("telegram", "discord", "console")


class PostError(UserError):
    """A post the user asked for that cannot be done (unknown id, draft, bad --to)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_platforms(value: str | None, settings: Settings) -> frozenset[str] | None:
    """``--to telegram,discord`` -> platforms; each must have a ``[[broadcast]]`` target."""
    if value is None:
        return None
    names = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = sorted(names - set(PLATFORMS))
    if unknown or not names:
        shown = ", ".join(unknown) or "nothing"
        raise PostError(f"--to: {shown} is not a platform; use {', '.join(PLATFORMS)}")
    configured = {t.platform for t in settings.broadcast}
    missing = sorted(names - configured)
    if missing:
        raise PostError(f"--to: no [[broadcast]] target for {', '.join(missing)} in the config")
    return frozenset(names)


def _file_or_id(what: str) -> Path | int:
    path = Path(what).expanduser()
    if path.is_file():
        return path
    if what.lstrip("#").isdigit():
        return int(what.lstrip("#"))
    raise PostError(f"{what}: neither an article id nor a readable file")


async def _post(
    settings: Settings,
    what: str,
    platforms: frozenset[str] | None,
    pin: bool | None,
    send: bool,
) -> dict[str, Any]:
    storage: Any = await ready_storage(settings)
    try:
        pipeline = plain_pipeline(settings, storage)
        planner = await AlertPlanner.load(storage.chats, storage.outbox, utcnow)
        parts = attach_broadcast(settings, storage, pipeline, planner, utcnow)
        pipeline.add_listener(planner)  # after the broadcaster (targets keep their pin)
        target = await asyncio.to_thread(_file_or_id, what)
        if isinstance(target, Path):
            result = await _post_file(settings, parts.broadcaster, pipeline, target, platforms, pin)
        else:
            article = await storage.archive.get_article(target)
            if article is None:
                raise PostError(f"no article {target} in the archive")
            _check_visible(article)
            result = await parts.broadcaster.post(article, platforms=platforms, pin=pin)
        user = getpass.getuser()
        await storage.audit.record(
            platform="cli",
            user_id=user,
            action="post",
            target=f"article {result.article.id}",
            detail=post_detail(result, where=f"cli:{user}", pin=pin),
        )
        report = {
            "article": result.article.id,
            "title": result.article.title,
            "story": result.article.story_id,
            "targets": result.targets,
            "already": result.already,
            "inactive": result.inactive,
            "pinned": result.pinned,
            "subscribers": result.subscribers,
            "summary": result.summary(),
        }
        if send:
            report["sent"] = await _deliver(settings, storage, platforms)
        return report
    finally:
        await storage.close()


def _check_visible(article: Article) -> None:
    if article.draft or article.retracted:
        state = "a draft" if article.draft else "retracted"
        raise PostError(f"article {article.id} is {state}, so it cannot be posted")


async def _post_file(
    settings: Settings,
    broadcaster: Broadcaster,
    pipeline: IngestPipeline,
    path: Path,
    platforms: frozenset[str] | None,
    pin: bool | None,
) -> PostResult:
    try:
        raw = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise PostError(f"{path}: cannot read ({exc.strerror})") from None
    origin = f"cli:{path}"
    article = parse_document(raw, origin=origin, max_bytes=settings.ingest.max_file_bytes)
    if article.draft or article.retracted:
        state = "a draft" if article.draft else "retracted"
        raise PostError(f"{path}: the article is {state}, so it cannot be posted")
    article = with_weight(article, settings.delivery.breaking_sticky_weight)
    request = broadcaster.expect(origin, platforms=platforms, pin=pin)
    try:
        outcome = await pipeline.ingest_article(article, origin=origin)
    finally:
        broadcaster.forget(origin)
    if outcome.status == "rejected" or outcome.article is None:
        raise PostError(f"{path}: {outcome.error or 'rejected'}")
    if request.result is not None:
        return request.result
    _check_visible(outcome.article)  # an older copy of an article archived as a draft
    return await broadcaster.post(outcome.article, platforms=platforms, pin=pin)


async def _deliver(settings: Settings, storage: Any, platforms: frozenset[str] | None) -> int:
    """Send what is due now from this process (the adapters' REST clients)."""
    from bot.app import load_adapters
    from bot.delivery.dispatcher import Dispatcher

    adapters = [a for a in load_adapters(settings) if platforms is None or a.name in platforms]
    dispatcher = Dispatcher(storage.outbox, adapters, settings.delivery)
    try:
        await dispatcher.drain(horizon_s=1.0)
    finally:
        for adapter in adapters:
            await adapter.stop()
    return dispatcher.sent


@app.command("post")
def post_command(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(metavar="ARTICLE_ID|FILE", help="Archived id or file.")],
    to: Annotated[
        str | None, typer.Option("--to", help="Only these platforms, e.g. telegram,discord.")
    ] = None,
    pin: Annotated[
        bool | None, typer.Option("--pin/--no-pin", help="Pin in every target (default: config).")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Deliver from this process (no running bot needed).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Post an archived article, or an article file, as breaking news to every target."""
    settings = settings_or_exit(ctx)

    async def go() -> dict[str, Any]:
        return await _post(settings, what, parse_platforms(to, settings), pin, send)

    report = run_async(go)
    if as_json:
        echo_json(report)
        return
    typer.echo(f"Article {report['article']}: {report['title']}")
    typer.echo(f"Breaking post {report['summary']}.")
    if "sent" in report:
        typer.echo(f"Sent now: {report['sent']} message(s).")
    else:
        typer.echo("A running `cryptowire run` delivers it (or use --send).")


@app.command("audit")
def audit_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Recent admin actions (posts, breaking stories), newest first."""
    settings = settings_or_exit(ctx)

    async def go() -> list[Any]:
        storage: Any = await ready_storage(settings, create=False)
        try:
            return list(await storage.audit.recent(limit))
        finally:
            await storage.close()

    entries = run_async(go)
    if as_json:
        for entry in entries:
            echo_json(
                {
                    "id": entry.id,
                    "at": entry.at.astimezone(UTC).isoformat(),
                    "platform": entry.platform,
                    "user_id": entry.user_id,
                    "user_name": entry.user_name,
                    "action": entry.action,
                    "target": entry.target,
                    "detail": entry.detail,
                }
            )
        return
    if not entries:
        typer.echo("No admin actions recorded yet.")
    for entry in entries:
        typer.echo(audit_line(entry))
