"""Prometheus metrics for operators: ingestion, deliveries, outbox depth and age, sources.

One ``Metrics`` object per process, passed through constructors (no global registry), so
tests and several apps in one process never share counters.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The counters, gauges and histograms Cryptowire exposes on ``/metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.articles_ingested = Counter(
            "cryptowire_articles_ingested",
            "Documents processed by the ingest pipeline, by outcome status.",
            ["status"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "cryptowire_deliveries",
            "Send attempts by platform and result (SENT, RETRY_AFTER, CHAT_GONE, FAILED).",
            ["platform", "result"],
            registry=self.registry,
        )
        self.send_latency = Histogram(
            "cryptowire_send_latency_seconds",
            "Time one adapter send took.",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.source_failures = Counter(
            "cryptowire_source_failures",
            "Failed polls per source.",
            ["source"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "cryptowire_outbox_depth",
            "Deliveries waiting in the outbox.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "cryptowire_outbox_oldest_age_seconds",
            "Age of the oldest due delivery still waiting.",
            registry=self.registry,
        )

    async def on_ingest(self, outcome: Any) -> None:
        """Ingest pipeline listener: count each outcome by status."""
        self.articles_ingested.labels(status=str(outcome.status)).inc()

    def record_send(self, platform: str, result: str, seconds: float) -> None:
        self.deliveries.labels(platform=platform, result=result).inc()
        self.send_latency.labels(platform=platform).observe(seconds)

    def record_source_failure(self, source: str) -> None:
        self.source_failures.labels(source=source).inc()

    def set_outbox(self, depth: int, oldest_age_s: float) -> None:
        self.outbox_depth.set(depth)
        self.outbox_oldest_age.set(oldest_age_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)
