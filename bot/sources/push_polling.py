"""After each successful feed poll: keep its WebSub subscription, pick the next poll.

The scheduler's one hook for feeds: a feed naming a hub is subscribed (when ``[http]
public_url`` is set) and, while the hub delivers, polled only as a safety net; a poll
that finds items the hub never pushed sends the feed back to its normal cadence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.config import Settings
from bot.sources import cadence
from bot.sources.base import PollReport
from bot.sources.http_fetch import Fetcher
from bot.sources.rss import FeedSource
from bot.sources.websub import PushHandler, WebSubSubscriber

log = logging.getLogger("cryptowire.sources")

MAX_PUSH_POLL_S = 3600.0


class FeedFollower:
    """Shared by every feed of one scheduler."""

    def __init__(self, websub: WebSubSubscriber | None) -> None:
        self.websub = websub
        self._told: set[str] = set()

    def after_poll(
        self,
        key: str,
        feed: FeedSource,
        report: PollReport,
        interval_s: float,
        on_push: PushHandler,
        on_active: Callable[[float], None],
    ) -> float:
        """Seconds until the next poll of this feed; ``on_active`` gets the (longer) delay
        once its hub verifies a subscription or pushes again after missing items."""
        push_poll_s = None
        if feed.hub and self.websub is not None:
            if self.websub.pushing(key) and (report.new or report.updated):
                self.websub.missed(key)
            hub_poll_s = self.push_poll_s(feed, interval_s)
            self.websub.ensure(
                key, feed.hub, feed.topic or feed.url, on_push, lambda: on_active(hub_poll_s)
            )
            if self.websub.pushing(key):
                push_poll_s = hub_poll_s
        elif feed.hub and key not in self._told:
            self._told.add(key)
            log.info(
                "%s advertises a WebSub hub; set [http] listen and public_url to get its "
                "items pushed instead of polled",
                feed.name,
            )
        return cadence.next_poll_s(
            interval_s, server_wait_s=feed.server_wait_s, gap_s=feed.gap_s, push_poll_s=push_poll_s
        )

    @staticmethod
    def push_poll_s(feed: FeedSource, interval_s: float) -> float:
        """The safety-net cadence while a hub delivers."""
        push_poll_s = max(interval_s, min(4 * interval_s, MAX_PUSH_POLL_S))
        return cadence.next_poll_s(
            interval_s, server_wait_s=feed.server_wait_s, push_poll_s=push_poll_s
        )


def websub_for(settings: Settings, fetcher: Fetcher) -> WebSubSubscriber | None:
    """Push subscriptions need a callback URL the hubs can reach ([http] public_url)."""
    if not (settings.http.public_url and settings.http.listen):
        return None
    return WebSubSubscriber(
        settings.http.public_url, fetcher.client, max_body_bytes=settings.http.max_response_bytes
    )
