"""Polling every live source on its own schedule (APScheduler 3, owned by the core).

One job per source with jitter and coalescing of missed runs; every poll runs as its own
asyncio task, one per source at a time (``overrun.py``), and fetches carry their own
deadline, so a slow or failing source never delays the others. A failing source backs
off exponentially with jitter (the job's next run is moved, and the health record shows
when). Folders are also watched for filesystem events; their job is the polling fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import ConfigError, Settings
from bot.errors import Unavailable
from bot.ingest.parse import SourceHint
from bot.models import Article
from bot.sources.backoff import Backoff
from bot.sources.base import (
    Ingestor,
    PollReport,
    SourceError,
    SourceMetrics,
    SourceStore,
    one_line,
    short_error,
    source_key,
)
from bot.sources.control import CONTROL_JOB, CONTROL_S, ConsoleControls, Switches, job_id
from bot.sources.enrichment import finish_item
from bot.sources.folder import DEFAULT_SETTLE_S, FolderSource
from bot.sources.folder_paths import database_files
from bot.sources.http_fetch import Fetcher
from bot.sources.overrun import PollTicks
from bot.sources.push_polling import FeedFollower, websub_for
from bot.sources.rss import FeedSource, MappedItem

__all__ = ["PollReport", "SourceScheduler"]

log = logging.getLogger("cryptowire.sources")

MAX_BACKOFF_S = 3600.0
MAX_JITTER_S = 30.0
MISFIRE_GRACE_S = 60
DEFAULT_FOLDER_INTERVAL_S = 30.0


@dataclass
class _Entry:
    """A scheduled source and its backoff state."""

    key: str
    name: str
    interval_s: float
    runner: FolderSource | FeedSource
    retry_at: datetime | None = None
    server_wait_s: float | None = None
    ensured: bool = False
    halt: asyncio.Event = field(default_factory=asyncio.Event)  # ends its folder watcher


class SourceScheduler(Switches):
    """Owns the jobs, the folder watchers and the shared fetcher of every enabled source.

    Pass ``apscheduler`` to put the jobs on the core's own AsyncIOScheduler (ids
    ``source:<key>``); its owner starts and shuts it down, ``stop()`` only removes ours.
    ``stop()`` is final (build a new SourceScheduler to start again) unless
    ``final=False``, after which ``start()`` resumes.
    """

    def __init__(
        self,
        settings: Settings,
        pipeline: Ingestor,
        sources_store: SourceStore,
        *,
        clock: Callable[[], datetime] | None = None,
        fetcher: Fetcher | None = None,
        rng: random.Random | None = None,
        settle_s: float = DEFAULT_SETTLE_S,
        finish: Callable[[MappedItem], Article] = finish_item,
        force_polling: bool | None = None,
        apscheduler: AsyncIOScheduler | None = None,
        metrics: SourceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.store = sources_store
        self.clock = clock or (lambda: datetime.now(UTC))
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(settings.http)
        self.rng = rng or random.Random()
        self.settle_s = settle_s
        self.finish = finish
        self.force_polling = force_polling
        self._entries: dict[str, _Entry] = {}
        self._shared = apscheduler
        self.metrics = metrics
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[object]] = set()
        self._ticks = PollTicks(self._running)  # its tasks are ours: stop() cancels them
        self.websub = websub_for(settings, self.fetcher)
        self.follower = FeedFollower(self.websub)
        self.controls = ConsoleControls(sources_store, self.websub)
        for config in settings.sources:
            if not config.enabled:
                continue
            if config.kind == "folder" and config.path is not None:
                self.add_folder(config.name, config.path, interval_s=config.interval_seconds)
            elif config.kind == "rss" and config.url:
                self.add_feed(config.name, config.url, interval_s=config.interval_seconds)

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self._entries.values()]

    def add_folder(
        self, name: str, path: str | Path, *, interval_s: float = DEFAULT_FOLDER_INTERVAL_S
    ) -> None:
        """Watch one more folder (the demo's inbox, say); starts at once when running."""
        key = self._new_key(name)
        runner = FolderSource(
            name,
            Path(path),
            self.pipeline,
            source_hint=SourceHint(key=key, name=name),
            max_bytes=self.settings.ingest.max_file_bytes,
            settle_s=self.settle_s,
            memory=self.store,
            key=key,
            now=self.clock,
            skip=database_files(self.settings.storage.url),
        )
        self._add(_Entry(key, name, interval_s, runner))

    def add_feed(self, name: str, url: str, *, interval_s: float = 300.0) -> None:
        """Poll one more RSS/Atom feed; starts at once when running."""
        key = self._new_key(name)
        runner = FeedSource(
            name,
            url,
            self.pipeline,
            self.fetcher,
            self.store,
            key=key,
            finish=self.finish,
            now=self.clock,
        )
        self._add(_Entry(key, name, interval_s, runner))

    def _new_key(self, name: str) -> str:
        key = source_key(name)
        if key in self._entries:
            other = self._entries[key].name
            raise ConfigError(f"source names {name!r} and {other!r} are too alike (key {key!r})")
        return key

    def _add(self, entry: _Entry) -> None:
        self._entries[entry.key] = entry
        if self._scheduler is not None:
            self._begin(entry)

    async def start(self) -> None:
        """Schedule every source (first runs now) and start the folder watchers."""
        if self._scheduler is not None:
            return
        self._stop.clear()
        if self._shared is not None:
            self._scheduler = self._shared  # its owner starts and shuts it down
        else:
            self._scheduler = AsyncIOScheduler(timezone=UTC)
            self._scheduler.start()
        await self.controls.read()  # what the console switched off stays off after a restart
        for entry in self._entries.values():
            self._begin(entry)
        self._scheduler.add_job(self.control_tick, IntervalTrigger(seconds=CONTROL_S),
                                id=CONTROL_JOB, replace_existing=True, coalesce=True,
                                max_instances=1, misfire_grace_time=MISFIRE_GRACE_S)  # fmt: skip

    def _schedule(self, entry: _Entry) -> None:
        assert self._scheduler is not None
        trigger = IntervalTrigger(
            seconds=entry.interval_s,
            jitter=min(entry.interval_s * 0.1, MAX_JITTER_S),
            timezone=UTC,
        )
        self._scheduler.add_job(
            self._tick,
            trigger,
            args=[entry.name],
            id=job_id(entry.key),
            name=f"poll {entry.name}",
            next_run_time=datetime.now(UTC),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_S,
        )

    def _watch(self, entry: _Entry) -> None:
        if not isinstance(entry.runner, FolderSource):
            return
        entry.halt = asyncio.Event()
        self._watchers[entry.key] = asyncio.create_task(
            self._watch_folder(entry), name=f"watch {entry.name}"
        )

    async def _watch_folder(self, entry: _Entry) -> None:
        runner = entry.runner
        assert isinstance(runner, FolderSource)

        async def on_report(report: PollReport) -> None:
            await self._record(entry, report)

        last_error = ""
        while not (self._stop.is_set() or entry.halt.is_set()):
            try:
                await runner.watch(on_report, entry.halt, force_polling=self.force_polling)
            except Exception as exc:
                # A missing folder or an exhausted inotify limit: the scheduled scan keeps
                # the source alive, and watching is tried again after each interval.
                error = one_line(str(exc)) or type(exc).__name__
                if error != last_error:
                    log.warning(
                        "%s: cannot watch %s (%s); scanning every %gs meanwhile",
                        entry.name, runner.path, error, entry.interval_s,
                    )  # fmt: skip
                last_error = error
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry.halt.wait(), entry.interval_s)

    async def stop(self, *, final: bool = True) -> None:
        """Stop jobs and watchers, wait for them, close the fetcher (``final=False``:
        keep it, ``start`` resumes: the ingest leader lost its lock and may regain it)."""
        self._stop.set()
        for entry in self._entries.values():
            entry.halt.set()
        if self._scheduler is self._shared and self._scheduler is not None:
            for job in [*map(job_id, self._entries), CONTROL_JOB]:
                if self._scheduler.get_job(job) is not None:
                    self._scheduler.remove_job(job)
        elif self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        running = list(self._running)
        for task in running:
            task.cancel()
        watchers = list(self._watchers.values())
        self._watchers.clear()
        if watchers:
            # Watchers end on the stop event; a scan in progress gets a moment to finish.
            _done, pending = await asyncio.wait(watchers, timeout=2.0)
            for task in pending:
                task.cancel()
        await asyncio.gather(*running, *watchers, return_exceptions=True)
        if self.websub is not None:  # pushes stop with the sources; polls re-subscribe
            await self.websub.close()
        if self._own_fetcher and final:
            await self.fetcher.aclose()

    async def settle(self, *, within_s: float = 10.0) -> None:
        """Finish what is in flight: running polls complete, then every folder is scanned
        until nothing in it is still being written (bounded by ``within_s``). The demo
        calls this at the end of piped input, before it drains deliveries."""
        folders = [e for e in self._entries.values() if isinstance(e.runner, FolderSource)
                   and e.key not in self.controls.disabled]  # fmt: skip
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                if self._running:
                    await asyncio.wait(list(self._running))
                await asyncio.gather(*(self._poll(entry) for entry in folders))

    async def poll_once(self) -> list[PollReport]:
        """Poll every source now, concurrently, ignoring backoff; reports in config order
        (not those switched off in the console)."""
        await self.controls.read()
        entries = [e for e in self._entries.values() if e.key not in self.controls.disabled]
        return list(await asyncio.gather(*(self._poll(entry) for entry in entries)))

    async def _tick(self, name: str) -> None:
        """Each scheduled job: ``run_job`` in its own task unless one runs (``overrun.py``)."""
        entry = self._entries.get(source_key(name))
        if entry is not None and not self._stop.is_set():
            self._ticks.tick(entry.key, entry.name, entry.interval_s, lambda: self.run_job(name))

    async def run_job(self, name: str) -> PollReport | None:
        """One scheduled poll, unless the source is backing off."""
        entry = self._entries.get(source_key(name))
        if entry is None or entry.key in self.controls.disabled:
            return None
        if entry.retry_at is not None and self.clock() < entry.retry_at:
            log.debug("%s: backing off until %s", entry.name, entry.retry_at.isoformat())
            return None
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            return await self._poll(entry)
        except asyncio.CancelledError:
            # Only stop() cancels a job; ending quietly keeps APScheduler from logging
            # a traceback for an orderly shutdown.
            log.debug("%s: poll cancelled by shutdown", entry.name)
            return None
        finally:
            if task is not None:
                self._running.discard(task)

    async def _poll(self, entry: _Entry) -> PollReport:
        """Poll one source and record its health; never raises."""
        try:
            if not entry.ensured:
                target = str(entry.runner.target)
                await self.store.ensure(
                    entry.key, name=entry.name, kind=entry.runner.kind, url=target
                )
                entry.ensured = True
            report = await entry.runner.poll()
        except SourceError as exc:
            report = PollReport(entry.name, entry.runner.kind, ok=False, error=str(exc))
            entry.server_wait_s = exc.retry_after
        except Unavailable:  # the database is away (logged once by storage): poll later
            log.debug("%s: poll skipped: database unreachable", entry.name)
            return PollReport(entry.name, entry.runner.kind, ok=False, error="database away")
        except Exception as exc:
            # one line (no SQL, no traceback) where operators look; details at debug level
            log.debug("%s: poll failed", entry.name, exc_info=True)
            report = PollReport(entry.name, entry.runner.kind, ok=False, error=short_error(exc))
        await self._record(entry, report)
        if report.ok and isinstance(entry.runner, FeedSource):
            self._next_feed_poll(entry, report)
        return report

    def _next_feed_poll(self, entry: _Entry, report: PollReport) -> None:
        """Adaptive cadence and WebSub (``push_polling``): move the feed's next poll."""
        runner = entry.runner
        assert isinstance(runner, FeedSource)

        async def on_push(body: bytes, content_type: str | None) -> None:
            if entry.key not in self.controls.disabled:
                await self._record(entry, await runner.push(body, content_type))

        def move(delay: float) -> None:
            if self._scheduler is not None and self._scheduler.get_job(job_id(entry.key)):
                next_run = datetime.now(UTC) + timedelta(seconds=delay)
                self._scheduler.modify_job(job_id(entry.key), next_run_time=next_run)

        move(self.follower.after_poll(entry.key, runner, report, entry.interval_s, on_push, move))

    async def _record(self, entry: _Entry, report: PollReport) -> None:
        """Store health, log, and move the job when the source must back off."""
        now = self.clock()
        try:
            if report.ok:
                entry.retry_at = None
                runner = entry.runner
                await self.store.record_success(
                    entry.key,
                    at=now,
                    items=report.items_seen,
                    etag=getattr(runner, "etag", None),
                    last_modified=getattr(runner, "last_modified", None),
                )
                level = logging.INFO if report.items_seen - report.duplicates else logging.DEBUG
                log.log(level, "%s", report.summary())
                return
            if self.metrics is not None:
                self.metrics.record_source_failure(entry.name)
            failures = await self.store.record_failure(
                entry.key, at=now, error=report.error or "failed"
            )
            backoff = Backoff(entry.interval_s, max(entry.interval_s, MAX_BACKOFF_S), self.rng)
            delay = max(backoff.delay(max(failures, 1)), entry.server_wait_s or 0.0)
            entry.server_wait_s = None
            report.retry_at = entry.retry_at = now + timedelta(seconds=delay)
            await self.store.set_retry_at(entry.key, entry.retry_at)
        except Unavailable:  # the database is away (logged once by storage)
            log.debug("%s: source health not recorded: database unreachable", entry.name)
            return
        except Exception as exc:
            log.warning("%s: cannot record source health: %s", entry.name, short_error(exc))
            log.debug("%s: health not recorded", entry.name, exc_info=True)
            return
        log.warning("%s (failure %d, next try in %.0fs)", report.summary(), failures, delay)
        if self._scheduler is not None and self._scheduler.get_job(job_id(entry.key)):
            next_run = datetime.now(UTC) + timedelta(seconds=delay)
            self._scheduler.modify_job(job_id(entry.key), next_run_time=next_run)
