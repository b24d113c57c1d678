"""A real HTTP server on 127.0.0.1 for the source tests: feeds, redirects, errors, stalls.

Each path gets a behaviour; the server records every request (path and headers) and how
many requests were in flight at once, so tests assert what a real origin would see.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    """An aiohttp server whose routes tests change between polls."""

    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(Hit(request.path, dict(request.headers)))
        self.arrived.set()
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    # -- behaviours -------------------------------------------------------------------

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str = "application/rss+xml; charset=utf-8",
        gzipped: bool = False,
    ) -> None:
        """Serve ``body``; answer 304 when the client's validators match."""

        async def handler(request: web.Request) -> web.StreamResponse:
            headers = {"Content-Type": content_type}
            if etag:
                headers["ETag"] = etag
            if last_modified:
                headers["Last-Modified"] = last_modified
            if (etag and request.headers.get("If-None-Match") == etag) or (
                last_modified
                and not etag
                and request.headers.get("If-Modified-Since") == last_modified
            ):
                return web.Response(status=304, headers=headers)
            payload = body
            if gzipped:
                payload = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            return web.Response(body=payload, headers=headers)

        self.routes[path] = handler

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": to})

        self.routes[path] = handler

    def status(self, path: str, code: int, headers: dict[str, str] | None = None) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=code, text="server trouble", headers=headers)

        self.routes[path] = handler

    def slow(self, path: str, delay: float, body: bytes = b"<rss/>") -> None:
        """Headers and body only after ``delay`` seconds."""

        async def handler(request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(delay)
            return web.Response(body=body, content_type="application/rss+xml")

        self.routes[path] = handler

    def trickle(self, path: str, chunk: bytes, count: int, pause: float = 0.0) -> None:
        """A chunked body with no Content-Length, ``count`` chunks long."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(count):
                await response.write(chunk)
                if pause:
                    await asyncio.sleep(pause)
            await response.write_eof()
            return response

        self.routes[path] = handler


# -- feed documents ---------------------------------------------------------------------

RSS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
    "<channel><title>Test Wire</title><link>http://127.0.0.1/</link>"
    "<description>test</description><language>en-us</language>\n"
)


def rss_item(
    guid: str,
    title: str,
    *,
    link: str | None = None,
    description: str = "",
    pub_date: str = "Tue, 06 Jan 2026 10:00:00 GMT",
    categories: tuple[str, ...] = (),
    extra: str = "",
) -> str:
    """One RSS 2.0 <item>; ``description`` is HTML and gets escaped as feeds do."""
    from xml.sax.saxutils import escape

    cats = "".join(f"<category>{escape(c)}</category>" for c in categories)
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>{escape(link or 'http://127.0.0.1/a/' + guid)}</link>"
        f'<guid isPermaLink="false">{escape(guid)}</guid>'
        f"<description>{escape(description)}</description>"
        f"<pubDate>{pub_date}</pubDate>{cats}{extra}</item>\n"
    )


def rss_document(*items: str) -> bytes:
    return (RSS_HEAD + "".join(items) + "</channel></rss>\n").encode()


def atom_document(*entries: str, title: str = "Atom Wire") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test:feed</id>"
        "<updated>2026-01-06T12:00:00Z</updated>\n" + "".join(entries) + "</feed>\n"
    ).encode()


def atom_entry(
    entry_id: str,
    title: str,
    *,
    link: str = "http://127.0.0.1/atom/1",
    summary: str = "",
    content: str = "",
    published: str = "2026-01-06T09:00:00+02:00",
    updated: str = "2026-01-06T09:30:00+02:00",
    categories: tuple[str, ...] = (),
) -> str:
    from xml.sax.saxutils import escape

    cats = "".join(f'<category term="{escape(c)}"/>' for c in categories)
    body = f'<content type="html">{escape(content)}</content>' if content else ""
    return (
        f"<entry><id>{escape(entry_id)}</id><title>{escape(title)}</title>"
        f'<link rel="alternate" href="{escape(link)}"/>'
        f"<published>{published}</published><updated>{updated}</updated>"
        f'<summary type="html">{escape(summary)}</summary>{body}{cats}</entry>\n'
    )


# -- article files ------------------------------------------------------------------------


def article_md(
    title: str,
    external_id: str,
    *,
    body: str = "The market moved and traders reacted across every major venue.",
    published: str = "2026-01-06T10:00:00Z",
    updated: str | None = None,
    source: str = "Folder Desk",
) -> str:
    """A front matter article as the folder sources receive them (invented, not a sample)."""
    lines = [
        "---",
        f"title: '{title}'",
        f"externalId: '{external_id}'",
        f"publishedAt: '{published}'",
    ]
    if updated:
        lines.append(f"updatedAt: '{updated}'")
    key = source.lower().replace(" ", "-")
    lines += ["source:", f"  name: {source}", f"  key: {key}", "---", "", body, ""]
    return "\n".join(lines)
