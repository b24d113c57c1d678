"""The console's own aiohttp server (``[web] listen``), started and stopped by the app.

A separate listener from ``[http] listen`` (health, metrics, WebSub): those are for
machines on the inside, this one is for people and may sit behind a TLS proxy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.config import Settings
from bot.delivery.templating.book import TemplateBook
from bot.ops.http_server import parse_listen, serve, stop_runner
from bot.web import api, broadcast_page, pages, sources_page, template_page
from bot.web.auth import LoginLimiter, PasswordCheck, Sessions, TokenCheck
from bot.web.compose import Composer
from bot.web.guard import RENDER, SESSIONS, TOKEN, authenticate, errors, headers
from bot.web.miniapp import HandleCommand, MiniApp
from bot.web.settings import WebConfig
from bot.web.views import ConsoleViews

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class MalformedRequests(logging.Filter):
    """aiohttp logs a malformed request (a NUL in a header, a broken request line) with a
    traceback; anyone can send one, so it becomes one line without the trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            record.msg, record.args, record.exc_info = (
                "refused a malformed request: %s",
                (first,),
                None,
            )
            record.exc_text = None
        return True


def quiet_malformed_requests() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequests) for f in server_log.filters):
        server_log.addFilter(MalformedRequests())


def build_app(
    config: WebConfig,
    views: ConsoleViews,
    *,
    extra: Sequence[web.RouteDef] = (),
    composer: Composer | None = None,
    targets: dict[str, list[str]] | None = None,
    book: TemplateBook | None = None,
) -> web.Application:
    """The whole console as an aiohttp application (tests serve it directly)."""
    app = web.Application(middlewares=[headers, errors, authenticate], client_max_size=MAX_BODY)
    password = config.password.get_secret_value() if config.password else ""
    token = config.api_token.get_secret_value() if config.api_token else None
    app[pages.VIEWS] = views
    app[pages.PASSWORD] = PasswordCheck(password)
    app[pages.LIMITER] = LoginLimiter()
    app[pages.SECURE] = bool(config.public_url and config.public_url.startswith("https://"))
    app[SESSIONS] = Sessions(config.session_hours * 3600)
    app[TOKEN] = TokenCheck(token)
    app[RENDER] = pages.render
    app[broadcast_page.TARGETS] = targets or {}
    if composer is not None:
        app[broadcast_page.COMPOSER] = composer
    app.add_routes(pages.routes())
    app.add_routes(broadcast_page.routes())
    app.add_routes(api.routes())
    app.add_routes(sources_page.routes())
    app.add_routes(template_page.routes())
    if book is not None:
        app[template_page.BOOK] = book
    app.add_routes(list(extra))
    return app


class WebServer:
    """Serves the console until stopped."""

    def __init__(
        self,
        config: WebConfig,
        views: ConsoleViews,
        *,
        extra: Sequence[web.RouteDef] = (),
        composer: Composer | None = None,
        targets: dict[str, list[str]] | None = None,
        book: TemplateBook | None = None,
    ) -> None:
        assert config.listen
        self.host, self.port = parse_listen(config.listen)
        self.config = config
        self.views = views
        self.extra = extra
        self.composer = composer
        self.targets = targets
        self.book = book
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        quiet_malformed_requests()
        app = build_app(
            self.config,
            self.views,
            extra=self.extra,
            composer=self.composer,
            targets=self.targets,
            book=self.book,
        )
        self._runner, self.port = await serve(app, self.host, self.port, shutdown_timeout=2.0)
        log.info("web console on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        self._runner = await stop_runner(self._runner)


def console_server(
    settings: Settings,
    storage: object,
    adapters: Sequence[object],
    handle: HandleCommand | None = None,
    core: Any = None,
) -> WebServer:
    """The server ``[web] listen`` asks for, over this process's storage and adapters; the
    Mini App runs the chat commands through ``handle``."""
    names = [str(getattr(a, "name", "?")) for a in adapters]
    views = ConsoleViews(storage, lambda: names, lambda: datetime.now(UTC))
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else None
    app = MiniApp(views, handle, token)
    targets: dict[str, list[str]] = {}
    for target in settings.broadcast:
        targets.setdefault(target.platform, []).append(target.chat)
    composer = None
    if core is not None and getattr(core, "broadcast", None) is not None:
        weight = settings.delivery.breaking_sticky_weight
        composer = Composer(core.pipeline, core.broadcast.broadcaster, storage.audit, weight)  # type: ignore[attr-defined]
    book = getattr(core, "templates", None)  # the core's: the admin's defaults, its cache
    return WebServer(
        settings.web, views, extra=app.routes(), composer=composer, targets=targets, book=book
    )
