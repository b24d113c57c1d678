"""Neutral types shared by every source: errors, poll reports, health and the ports used.

``storage.sources.SqlSources`` implements ``SourceStore`` and
``bot.ingest.pipeline.IngestPipeline`` implements ``Ingestor``; sources only see these
protocols, so they can be built and tested without either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.ingest.fields import source_key_for
from bot.models import Article


class SourceError(Exception):
    """A source could not be polled; the message is one line a user can act on.

    ``retry_after`` is the server's own wish (HTTP Retry-After), in seconds: backoff
    never retries sooner than that.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def source_key(name: str) -> str:
    """The stable key of a configured source, as the parsers derive keys from names
    ("The Block" -> "the-block"), so health rows and articles agree."""
    return source_key_for(name)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so an error always fits one line of a table or log."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def short_error(exc: BaseException) -> str:
    """``Type: first line`` of an unexpected error, for health rows and logs: database
    drivers put the statement and its parameters on later lines (``[SQL: ...]``), which
    are no use to an operator and may hold data."""
    lines = str(exc).strip().splitlines()
    first = lines[0].split(" [SQL:", 1)[0] if lines else ""
    return one_line(f"{type(exc).__name__}: {first}" if first else type(exc).__name__, 200)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What `cryptowire sources` shows for one source."""

    key: str
    name: str
    kind: str
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    items_seen: int = 0
    retry_at: datetime | None = None
    enabled: bool = True  # switched in the console; a disabled source is not polled
    poll_requested_at: datetime | None = None  # "poll now" waiting for the polling process
    push_state: str | None = None  # its WebSub subscription (active, requested, failed ...)

    @property
    def status(self) -> str:
        """ "never" before the first poll, "ok" after a success, "failing" otherwise."""
        if not self.enabled:
            return "disabled"
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_success_at else "never"


class SourceStore(Protocol):
    """Persistence of source health and conditional-GET validators."""

    async def ensure(self, key: str, *, name: str, kind: str, url: str | None) -> None:
        """Create the source row when missing; refresh its name, kind and url."""

    async def get(self, key: str) -> SourceHealth | None: ...

    async def all(self) -> list[SourceHealth]: ...

    async def record_success(
        self,
        key: str,
        *,
        at: datetime,
        items: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """A poll worked: reset failures, add ``items`` to items seen, keep validators."""

    async def record_failure(self, key: str, *, at: datetime, error: str) -> int:
        """A poll failed: store the message; return the consecutive failures so far."""

    async def set_retry_at(self, key: str, retry_at: datetime | None) -> None:
        """When a failing source will be tried again (backoff), for the health view."""

    async def controls(self) -> dict[str, tuple[bool, datetime | None]]:
        """(enabled, poll requested at) by key: what the console asked of the poller."""

    async def poll_started(self, key: str, requested_at: datetime) -> None:
        """Clear that "poll now" request (unless a newer one came in meanwhile)."""

    async def set_push_state(self, key: str, state: str | None) -> None:
        """Record the feed's WebSub subscription state for the console."""

    async def known_files(self, key: str) -> dict[str, tuple[int, int]]:
        """(size, mtime_ns) by path (relative to the folder) of files already ingested."""

    async def remember_files(
        self, key: str, files: Mapping[str, tuple[int, int]], *, at: datetime
    ) -> None: ...

    async def forget_files(self, key: str, paths: Iterable[str]) -> None: ...


class SourceMetrics(Protocol):
    """The operator metrics sources feed (``bot.ops.metrics.Metrics``)."""

    def record_source_failure(self, source: str) -> None: ...


class Outcome(Protocol):
    """What the pipeline says about one input (``bot.ingest.outcome.IngestOutcome``)."""

    status: str
    error: str | None


class Ingestor(Protocol):
    """The ingest pipeline as sources use it: the same path as `cryptowire ingest`."""

    async def ingest_bytes(self, raw: bytes, *, origin: str, source: Any = None) -> Any: ...

    async def ingest_article(self, article: Article, *, origin: str) -> Any: ...

    def batch(self, *, group: int = 1000) -> AbstractAsyncContextManager[None]:
        """Bulk mode for a finite loop of saves (grouped commits; see IngestPipeline)."""
        ...


@dataclass
class PollReport:
    """The result of polling one source once."""

    source: str
    kind: str
    ok: bool = True
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    drafts: int = 0
    rejected: int = 0
    pending: int = 0
    not_modified: bool = False
    error: str | None = None
    retry_at: datetime | None = None
    rejections: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome, origin: str) -> None:
        """Tally one pipeline outcome (and keep a rejected input's reason)."""
        self.items_seen += 1
        status = str(outcome.status)
        if status == "new":
            self.new += 1
        elif status == "updated":
            self.updated += 1
        elif status == "duplicate":
            self.duplicates += 1
        elif status == "draft":
            self.drafts += 1
        elif status == "rejected":
            self.rejected += 1
            self.rejections.append(one_line(f"{origin}: {outcome.error or 'rejected'}"))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["retry_at"] = self.retry_at.isoformat() if self.retry_at else None
        return data

    def summary(self) -> str:
        """One line for the terminal."""
        if not self.ok:
            return f"{self.source}: FAILED: {self.error}"
        if self.not_modified:
            return f"{self.source}: ok, not modified (304)"
        line = (
            f"{self.source}: ok, {self.items_seen} item(s): {self.new} new, "
            f"{self.updated} updated, {self.duplicates} unchanged"
        )
        extras = [f"{self.drafts} draft(s)"] if self.drafts else []
        extras += [f"{self.rejected} rejected"] if self.rejected else []
        extras += [f"{self.pending} still being written"] if self.pending else []
        return line + (f", {', '.join(extras)}" if extras else "")
