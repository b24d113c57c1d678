"""The operator endpoints answer over real HTTP on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from bot.errors import UserError
from bot.ops.http_server import HealthReport, HealthServer, parse_listen
from bot.ops.metrics import Metrics


async def test_healthz_and_metrics_over_http():
    state = {"ok": True}

    async def probe() -> HealthReport:
        return HealthReport(ok=state["ok"], details={"database": "ok" if state["ok"] else "down"})

    metrics = Metrics()
    metrics.set_outbox(3, 1.0)
    server = HealthServer("127.0.0.1:0", metrics, probe)
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient() as client:
            healthy = await client.get(f"{base}/healthz")
            assert healthy.status_code == 200
            assert healthy.json() == {"status": "ok", "database": "ok"}
            state["ok"] = False
            sick = await client.get(f"{base}/healthz")
            assert sick.status_code == 503
            assert sick.json()["database"] == "down"
            scraped = await client.get(f"{base}/metrics")
            assert scraped.status_code == 200
            assert "cryptowire_outbox_depth 3.0" in scraped.text
    finally:
        await server.stop()


async def test_a_crashing_probe_reports_unhealthy_not_500():
    async def probe() -> HealthReport:
        raise ConnectionError("database unreachable")

    server = HealthServer("127.0.0.1:0", Metrics(), probe)
    await server.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{server.port}/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "unhealthy"
    finally:
        await server.stop()


@pytest.mark.parametrize("bad", ["9108", "host:", "host:99999", "a:b"])
def test_bad_listen_is_a_user_error(bad: str):
    with pytest.raises(UserError, match="listen"):
        parse_listen(bad)


def test_listen_forms():
    assert parse_listen("127.0.0.1:9108") == ("127.0.0.1", 9108)
    assert parse_listen(":9108") == ("127.0.0.1", 9108)
