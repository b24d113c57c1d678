"""``/broadcast``: the composer page (preview and send; CSRF-checked like every POST)."""

from __future__ import annotations

from aiohttp import web

from bot.web.compose import ComposeError, Composer, Draft, read_draft
from bot.web.pages import render

COMPOSER: web.AppKey = web.AppKey("composer", object)
TARGETS: web.AppKey = web.AppKey("targets", dict)
EMPTY = Draft("", "", None, frozenset(), False)


async def form(request: web.Request) -> web.Response:
    return _page(request, EMPTY)


async def submit(request: web.Request) -> web.Response:
    data = await request.post()
    targets = request.app[TARGETS]
    try:
        draft = read_draft(data, list(targets))
    except ComposeError as exc:
        return _page(request, EMPTY, error=str(exc), status=400)
    if str(data.get("action", "preview")) != "send":
        return _page(request, draft, preview=True)
    composer = request.app.get(COMPOSER)
    if not isinstance(composer, Composer):
        return _page(request, draft, error="this process cannot post", status=503)
    try:
        sent = await composer.send(draft)
    except ComposeError as exc:
        return _page(request, draft, error=str(exc), status=400)
    return _page(request, EMPTY, sent=sent)


def _page(
    request: web.Request,
    draft: Draft,
    *,
    error: str | None = None,
    sent: str | None = None,
    preview: bool = False,
    status: int = 200,
) -> web.Response:
    context = {
        "d": draft,
        "targets": request.app[TARGETS],
        "error": error,
        "sent": sent,
        "preview": preview,
        "page": "broadcast",
    }
    return render(request, "broadcast.html", context, status=status)


def routes() -> list[web.RouteDef]:
    return [web.get("/broadcast", form), web.post("/broadcast", submit)]
