"""The metrics text an operator scrapes reflects what happened."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ops.metrics import Metrics


@dataclass
class Outcome:
    status: str


async def test_metrics_count_ingest_sends_and_outbox():
    metrics = Metrics()
    await metrics.on_ingest(Outcome("new"))
    await metrics.on_ingest(Outcome("new"))
    await metrics.on_ingest(Outcome("rejected"))
    metrics.record_send("telegram", "SENT", 0.12)
    metrics.record_send("telegram", "RETRY_AFTER", 0.05)
    metrics.record_source_failure("coindesk")
    metrics.set_outbox(17, 3.5)
    text = metrics.render().decode()
    assert 'cryptowire_articles_ingested_total{status="new"} 2.0' in text
    assert 'cryptowire_articles_ingested_total{status="rejected"} 1.0' in text
    assert 'cryptowire_deliveries_total{platform="telegram",result="SENT"} 1.0' in text
    assert 'cryptowire_send_latency_seconds_count{platform="telegram"} 2.0' in text
    assert 'cryptowire_source_failures_total{source="coindesk"} 1.0' in text
    assert "cryptowire_outbox_depth 17.0" in text
    assert "cryptowire_outbox_oldest_age_seconds 3.5" in text


def test_two_metrics_objects_do_not_share_counters():
    first, second = Metrics(), Metrics()
    first.record_send("discord", "SENT", 0.1)
    assert 'platform="discord"' not in second.render().decode()
