"""`cryptowire sources` (health of every live source) and `cryptowire poll --once`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.alerts.pipeline import alerting_pipeline
from bot.cli.main import app, echo_json, fail, ready_storage, run_async, settings_or_exit
from bot.config import Settings, mask_url
from bot.errors import RuntimeFailure
from bot.ports import Storage
from bot.sources.base import PollReport, SourceHealth, source_key
from bot.sources.scheduler import SourceScheduler

LIVE_KINDS = ("folder", "rss")


def _repository(storage: Storage, name: str) -> Any:
    """A repository the storage plugin attaches (``SqlStorage.sources``, ``.archive``)."""
    repository = getattr(storage, name, None)
    if repository is None:
        raise RuntimeFailure(f"this storage has no {name} repository")
    return repository


def source_views(settings: Settings, rows: list[SourceHealth]) -> list[dict[str, Any]]:
    """Configured sources (in config order) joined with their health, then unconfigured
    live sources that still have a health record (an extra watched folder, say)."""
    by_key = {row.key: row for row in rows}
    views: list[dict[str, Any]] = []
    for config in settings.sources:
        key = source_key(config.name)
        target = str(config.path) if config.kind == "folder" else config.url
        health = by_key.pop(key, None)
        views.append(_view(config.name, key, config.kind, target, config.enabled, health))
    for row in rows:
        if row.key in by_key and row.kind in LIVE_KINDS:
            views.append(_view(row.name, row.key, row.kind, row.url, None, row))
    return views


def _view(
    name: str,
    key: str,
    kind: str,
    target: str | None,
    enabled: bool | None,
    health: SourceHealth | None,
) -> dict[str, Any]:
    health = health or SourceHealth(key=key, name=name, kind=kind, url=target)
    status = "disabled" if enabled is False else health.status
    return {
        "name": name,
        "key": key,
        "kind": kind,
        "target": mask_url(target) if target else target,
        "enabled": enabled is not False and health.enabled,  # config and the console's switch
        "configured": enabled is not None,
        "status": status,
        "last_success_at": _iso(health.last_success_at),
        "last_polled_at": _iso(health.last_polled_at),
        "last_error": mask_url(health.last_error) if health.last_error else None,
        "last_error_at": _iso(health.last_error_at),
        "consecutive_failures": health.consecutive_failures,
        "items_seen": health.items_seen,
        "retry_at": _iso(health.retry_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _ago(value: str | None, now: datetime) -> str:
    if not value:
        return "-"
    seconds = (now - datetime.fromisoformat(value)).total_seconds()
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    delta = timedelta(seconds=round(seconds))
    if delta < timedelta(minutes=1):
        return f"{delta.seconds}s"
    if delta < timedelta(hours=1):
        return f"{delta.seconds // 60}m"
    if delta < timedelta(days=1):
        return f"{delta.seconds // 3600}h{delta.seconds % 3600 // 60:02d}m"
    return f"{delta.days}d"


def _table(views: list[dict[str, Any]]) -> Table:
    now = datetime.now(UTC)
    table = Table(title="Sources")
    for column in ("name", "kind", "status", "last ok", "fails", "items"):
        table.add_column(column, no_wrap=column != "name")
    table.add_column("target", overflow="fold")
    table.add_column("last error (next try)", overflow="fold")
    colours = {"ok": "green", "failing": "red", "never": "yellow", "disabled": "dim"}
    for view in views:
        status = view["status"]
        note = (view["last_error"] or "") if status == "failing" else ""
        if view["retry_at"] and status == "failing":
            note += f" (retry {_ago(view['retry_at'], now)})"
        table.add_row(
            view["name"] + ("" if view["configured"] else " (not configured)"),
            view["kind"],
            f"[{colours.get(status, 'white')}]{status}[/]",
            _ago(view["last_success_at"], now),
            str(view["consecutive_failures"]),
            str(view["items_seen"]),
            view["target"] or "-",
            note,
        )
    return table


@app.command("sources")
def sources_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show every live source and its health: last success, last error, failures, items."""
    settings = settings_or_exit(ctx)

    async def go() -> list[SourceHealth]:
        storage = await ready_storage(settings, create=False)
        try:
            rows: list[SourceHealth] = await _repository(storage, "sources").all()
            return rows
        finally:
            await storage.close()

    views = source_views(settings, run_async(go))
    if as_json:
        for view in views:
            echo_json(view)
    elif not views:
        typer.echo("no sources configured (add [[sources]] to the configuration)")
    else:
        # Piped output gets a wide table rather than rich's 80-column default.
        Console(width=None if sys.stdout.isatty() else 160).print(_table(views))


@app.command("poll")
def poll_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Poll every source now, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Poll every enabled source once into the archive (exit 2 when a source failed)."""
    if not once:
        raise fail("add --once (continuous polling runs inside `cryptowire run`)")
    settings = settings_or_exit(ctx)

    async def go() -> tuple[list[PollReport], list[str]]:
        storage = await ready_storage(settings)
        try:
            pipeline = await alerting_pipeline(settings, storage)
            scheduler = SourceScheduler(settings, pipeline, _repository(storage, "sources"))
            try:
                reports = await scheduler.poll_once()
                off = scheduler.controls.disabled
                return reports, [n for n in scheduler.names if source_key(n) in off]
            finally:
                await scheduler.stop()
        finally:
            await storage.close()

    reports, switched_off = run_async(go)
    for name in switched_off:
        typer.echo(f"{name}: disabled in the web console, not polled", err=True)
    if not reports and not switched_off:
        typer.echo("no enabled sources configured (add [[sources]] to the configuration)")
    for report in reports:
        if as_json:
            echo_json(report.to_json())
        else:
            typer.echo(report.summary())
            for rejection in report.rejections:
                typer.echo(f"  rejected: {rejection}", err=True)
    failed = [r for r in reports if not r.ok]
    if failed:
        names = "; ".join(f"{r.source} ({r.error})" for r in failed)
        raise fail(f"{len(failed)} source(s) failed: {names}")
