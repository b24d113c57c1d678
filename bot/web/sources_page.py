"""``/sources``: every source's health, "poll now" and the on/off switch (HTML and API).

The switches are rows in the ``sources`` table, not calls into a scheduler: the process
that polls (the ingest leader of a fleet, or this one) reads them every couple of
seconds (``bot/sources/control.py``), so the console works from any process. Every
change is audited with who asked for it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.config import mask_url
from bot.sources.base import SourceHealth
from bot.web.pages import VIEWS, render
from bot.web.views import NotFound

LIVE = ("folder", "rss")
MAX_KEY = 100


class Refused(ValueError):
    """A switch that cannot apply (a disabled source polled, an archive-only source)."""


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def source_dict(row: SourceHealth) -> dict[str, Any]:
    """What the page and the API show of one source (credentials in URLs masked)."""
    kind = "feed" if row.kind == "rss" else row.kind
    return {
        "key": row.key,
        "name": row.name,
        "kind": kind,
        "websub": row.push_state,
        "target": mask_url(row.url) if row.url else None,
        "live": row.kind in LIVE,
        "enabled": row.enabled,
        "state": row.status,
        "last_polled_at": _iso(row.last_polled_at),
        "last_success_at": _iso(row.last_success_at),
        "last_error": mask_url(row.last_error) if row.last_error else None,
        "last_error_at": _iso(row.last_error_at),
        "consecutive_failures": row.consecutive_failures,
        "items_seen": row.items_seen,
        "retry_at": _iso(row.retry_at),
        "poll_requested_at": _iso(row.poll_requested_at),
    }


class SourceViews:
    """Reads and switches through ``storage.sources``; audited through ``storage.audit``."""

    def __init__(self, storage: Any, clock: Any) -> None:
        self.storage = storage
        self.clock = clock

    async def all(self) -> list[dict[str, Any]]:
        rows = await self.storage.sources.all()
        return [source_dict(r) for r in sorted(rows, key=lambda r: (r.kind not in LIVE, r.key))]

    async def _live(self, key: str) -> SourceHealth:
        row = None
        if len(key) <= MAX_KEY and key.isprintable():  # a NUL would be a database error
            row = await self.storage.sources.get(key)
        if row is None:
            raise NotFound(f"there is no source {key[:40]!r}")
        if row.kind not in LIVE:
            raise Refused(f"{row.name} is not polled (only folders and feeds are)")
        return row

    async def set_enabled(self, key: str, on: bool, *, who: str = "operator") -> bool:
        row = await self._live(key)
        await self.storage.sources.set_enabled(row.key, on)
        await self._audit(who, "source enable" if on else "source disable", row)
        return on

    async def poll(self, key: str, *, who: str = "operator") -> None:
        row = await self._live(key)
        if not row.enabled:
            raise Refused(f"{row.name} is disabled; enable it first")
        await self.storage.sources.request_poll(row.key, at=self.clock())
        await self._audit(who, "source poll", row)

    async def _audit(self, who: str, action: str, row: SourceHealth) -> None:
        await self.storage.audit.record(
            platform="web", user_id=who, action=action, target=f"source {row.key}"
        )


def _views(request: web.Request) -> SourceViews:
    views = request.app[VIEWS]
    return SourceViews(views.storage, views.clock)


async def page(request: web.Request, *, error: str | None = None) -> web.Response:
    rows = await _views(request).all()
    context = {"rows": rows, "error": error, "page": "sources"}
    return render(request, "sources.html", context, status=400 if error else 200)


async def switch(request: web.Request) -> web.Response:
    """The page's Enable/Disable and "Poll now" buttons (CSRF-checked by the guard)."""
    form = await request.post()
    key, action = request.match_info["key"], str(form.get("action", ""))
    try:
        if action == "poll":
            await _views(request).poll(key)
        elif action in ("enable", "disable"):
            await _views(request).set_enabled(key, action == "enable")
        else:
            raise Refused("action must be poll, enable or disable")
    except Refused as exc:
        return await page(request, error=str(exc))
    request.app[VIEWS].forget_dashboard()
    return web.Response(status=303, headers={"Location": "/sources"})


async def api_list(request: web.Request) -> web.Response:
    return web.json_response({"sources": await _views(request).all()})


async def api_set(request: web.Request) -> web.Response:
    """``{"enabled": true|false}``."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise web.HTTPBadRequest(text='send JSON: {"enabled": true} or {"enabled": false}')
    try:
        on = await _views(request).set_enabled(
            request.match_info["key"], body["enabled"], who="api"
        )
    except Refused as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    request.app[VIEWS].forget_dashboard()
    return web.json_response({"enabled": on})


async def api_poll(request: web.Request) -> web.Response:
    try:
        await _views(request).poll(request.match_info["key"], who="api")
    except Refused as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response({"requested": True}, status=202)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/sources", page),
        web.post("/sources/{key}", switch),
        web.get("/api/v1/sources", api_list),
        web.post("/api/v1/sources/{key}", api_set),
        web.post("/api/v1/sources/{key}/poll", api_poll),
    ]
