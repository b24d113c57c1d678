"""The feed fetcher: one httpx client, polite and bounded.

Conditional GET (ETag / Last-Modified) so unchanged feeds cost a 304, a descriptive
User-Agent, redirects followed up to a limit, gzip and deflate decoded here a bounded
piece at a time, a per-host concurrency limit, a total deadline per fetch and a size cap
enforced while streaming (the decoded size counts, and no step inflates past it, so a
gzip bomb is cut off at the cap). Every failure becomes a
``SourceError`` with one line a user can act on.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from bot.config import HttpConfig
from bot.sources.base import SourceError, one_line

MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 86400.0


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched feed body, or ``not_modified`` (304) with an empty body."""

    url: str
    status_code: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    cache_control: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


class Fetcher:
    """Fetches URLs for every feed source; share one per process (it pools connections)."""

    def __init__(self, config: HttpConfig, *, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(config.timeout_s),
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _slot(self, url: str) -> asyncio.Semaphore:
        parts = urlsplit(url)
        host = f"{parts.hostname or ''}:{parts.port or ''}"
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.config.per_host_concurrency)
        return self._hosts[host]

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally; raise SourceError on any failure or oversize body."""
        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._slot(url):
            try:
                async with asyncio.timeout(self.config.timeout_s):
                    return await self._get(url, headers)
            except TimeoutError:
                raise SourceError(f"timed out after {self.config.timeout_s:g}s") from None
            except httpx.TimeoutException:
                raise SourceError(f"timed out after {self.config.timeout_s:g}s") from None
            except httpx.TooManyRedirects:
                raise SourceError(f"more than {MAX_REDIRECTS} redirects") from None
            except httpx.UnsupportedProtocol:
                raise SourceError(
                    f"unsupported URL scheme in {url!r} (use http or https)"
                ) from None
            except httpx.ConnectError as exc:
                raise SourceError(f"cannot connect: {one_line(str(exc)) or 'refused'}") from None
            except httpx.DecodingError:
                raise SourceError("response body could not be decoded (bad compression)") from None
            except httpx.HTTPError as exc:
                raise SourceError(f"{type(exc).__name__}: {one_line(str(exc))}") from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        cap = self.config.max_response_bytes
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return _result(response, b"")
            if response.status_code >= 400:
                message = f"HTTP {response.status_code} {response.reason_phrase or ''}".strip()
                wait = retry_after(response.headers.get("Retry-After"))
                if wait is not None and response.status_code in (429, 503):
                    raise SourceError(f"{message} (retry after {wait:.0f}s)", retry_after=wait)
                raise SourceError(message)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise SourceError(f"response is {declared} bytes, over the {cap}-byte cap")
            decoder = _Decoder(response.headers.get("Content-Encoding", ""), cap)
            chunks: list[bytes] = []
            async for chunk in response.aiter_raw():
                chunks += decoder.decode(chunk)
            chunks += decoder.finish()
            return _result(response, b"".join(chunks))

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), at most a day."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _result(response: httpx.Response, body: bytes) -> FetchResult:
    return FetchResult(
        url=str(response.url),
        status_code=response.status_code,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        content_type=response.headers.get("Content-Type"),
        cache_control=response.headers.get("Cache-Control"),
    )


class _Decoder:
    """The body as received, decompressed here rather than by httpx so that no step
    holds more than the cap: zlib yields at most the room left (``max_length``), so a
    gzip bomb (200 MiB of zeros in 200 KiB) stops at the cap instead of inflating each
    64 KiB network chunk to 64 MiB first."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        coding = encoding.strip().lower()
        self.first, self.raw_deflate_ok = True, coding == "deflate"
        if coding in ("", "identity"):
            self.inflate = None
        elif coding in ("gzip", "x-gzip"):
            self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send
            self.inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)
        else:
            raise SourceError(f"unsupported Content-Encoding {encoding[:40]!r}")

    def decode(self, data: bytes) -> list[bytes]:
        if self.inflate is None:
            return [self._count(data)]
        out: list[bytes] = []
        try:
            while data:
                piece = self.inflate.decompress(data, self.cap - self.size + 1)
                out.append(self._count(piece))
                data = self.inflate.unconsumed_tail
        except zlib.error:
            if not (self.first and self.raw_deflate_ok):
                raise SourceError("response body could not be decoded (bad compression)") from None
            self.inflate, self.first = zlib.decompressobj(-zlib.MAX_WBITS), False
            return self.decode(data)
        self.first = False
        return out

    def finish(self) -> list[bytes]:
        if self.inflate is None:
            return []
        try:
            return [self._count(self.inflate.flush())]
        except zlib.error:
            raise SourceError("response body could not be decoded (bad compression)") from None

    def _count(self, piece: bytes) -> bytes:
        self.size += len(piece)
        if self.size > self.cap:
            raise SourceError(f"response exceeds the {self.cap}-byte cap")
        return piece
