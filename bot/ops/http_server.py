"""The operator endpoints: ``/healthz`` (JSON, 503 when unhealthy) and ``/metrics``.

aiohttp is already required by discord.py, so serving from it adds no dependency and runs
inside our own asyncio loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.errors import Unavailable, UserError
from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Whether this process can do its job, and the facts behind the answer."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)


HealthProbe = Callable[[], Awaitable[HealthReport]]


def parse_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9108"`` or ``":9108"`` -> (host, port); a bad value is a user error."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise UserError(f"[http] listen: {listen!r} is not HOST:PORT (e.g. 127.0.0.1:9108)")
    return host.strip("[]") or "127.0.0.1", int(port)


async def serve(
    app: web.Application, host: str, port: int, *, shutdown_timeout: float = 60.0
) -> tuple[web.AppRunner, int]:
    """Start ``app`` on ``host:port`` (port 0 = any free one): the runner and the port bound."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, (sockets[0].getsockname()[1] if sockets else port)


async def stop_runner(runner: web.AppRunner | None) -> None:
    """Stop what ``serve`` started (nothing if it never started); returns None for the slot."""
    if runner is not None:
        await runner.cleanup()


class HealthServer:
    """Serves health and metrics until stopped; started and stopped by the app."""

    def __init__(
        self,
        listen: str,
        metrics: Metrics,
        probe: HealthProbe,
        *,
        refresh: Callable[[], Awaitable[object]] | None = None,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.metrics = metrics
        self.probe = probe
        self.refresh = refresh  # updates gauges read from storage (outbox depth) per scrape
        self.routes = list(routes)  # more endpoints on the same server (WebSub callbacks)
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        app.add_routes(self.routes)
        return app

    async def _healthz(self, _request: web.Request) -> web.Response:
        try:
            report = await self.probe()
        except Unavailable:  # storage logs the outage once; a probe every few s stays quiet
            report = HealthReport(ok=False, details={"database": "unreachable"})
        except Exception as exc:  # the probe itself failing means unhealthy, not a 500
            log.warning("health probe failed: %s", exc)
            report = HealthReport(ok=False, details={"error": type(exc).__name__})
        body = {"status": "ok" if report.ok else "unhealthy", **report.details}
        return web.json_response(body, status=200 if report.ok else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.refresh is not None:
            try:
                await self.refresh()
            except Unavailable:  # stale gauges beat a failed scrape; the outage is logged
                pass
            except Exception as exc:  # stale gauges beat a failed scrape
                log.warning("metrics refresh failed: %s", exc)
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": self.metrics.content_type}
        )

    async def start(self) -> None:
        self._runner, self.port = await serve(self._app(), self.host, self.port)
        log.info("health and metrics on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        self._runner = await stop_runner(self._runner)
