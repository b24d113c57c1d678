"""The console in headless Chromium against a real `cryptowire run`: log in, watch a story
appear live after a file lands in the watched folder, no third-party requests, page
weight. Screenshots are kept under tests/artifacts/web/ (ignored by git)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.run_support import cryptowire_run, free_port, run_env, wait_port, write_config

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
PASSWORD = "browser-test-password"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_WEIGHT_LIMIT = 200_000
ARTICLE = """---
title: "Bitcoin <b>miners</b> switch off rigs as hashprice slides"
publishedAt: '{when}'
source:
  name: Browser Desk
  key: browser-desk
tags: [BTC, MINING]
---
Miners across Texas idled rigs on Tuesday as the hashprice fell to a record low.
"""


def needs_chromium() -> None:
    pytest.importorskip("playwright", reason="the playwright package is not installed")
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium here (apt-get install -y chromium; .ci/run installs it)")


def console_config(tmp_path: Path, port: int) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return write_config(
        tmp_path,
        f"""
[web]
listen = "127.0.0.1:{port}"

[delivery]
poll_interval_s = 0.05
""",
        inbox=inbox,
        source_name="Inbox",
    )


async def test_log_in_and_watch_a_dropped_file_become_a_live_story(tmp_path):
    needs_chromium()
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = console_config(tmp_path, port)
    env = run_env(CRYPTOWIRE_WEB_PASSWORD=PASSWORD)
    async with cryptowire_run(config, tmp_path, env=env) as bot:
        await wait_port(port)
        latency = await drive(f"http://127.0.0.1:{port}", tmp_path / "inbox", async_playwright)
    output = bot.output()
    assert bot.code == 0, output[-3000:]
    assert "Traceback" not in output and PASSWORD not in output, output[-3000:]
    print(f"file dropped -> story on the open page: {latency:.2f} s")


async def drive(base: str, inbox: Path, async_playwright) -> float:  # type: ignore[no-untyped-def]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page()
            requests: list[str] = []
            weights: dict[str, int] = {}
            page.on("request", lambda r: requests.append(r.url))

            async def weigh(response) -> None:  # type: ignore[no-untyped-def]
                try:
                    weights[response.url] = len(await response.body())
                except Exception:  # a redirect has no body
                    weights[response.url] = 0

            page.on("response", lambda r: asyncio.ensure_future(weigh(r)))
            await page.goto(f"{base}/stories")
            assert page.url == f"{base}/login"  # anonymous: sent to the login form
            await page.fill("input[name=password]", "not the password")
            await page.click("button[type=submit]")
            await page.wait_for_selector("text=wrong password")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("h1:has-text('Dashboard')")
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            await page.goto(f"{base}/stories")
            await page.wait_for_selector("h1:has-text('Stories')")
            await page.screenshot(path=str(ARTIFACTS / "stories-before.png"), full_page=True)
            staged = inbox.parent / "miners.md"
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            staged.write_text(ARTICLE.format(when=when), encoding="utf-8")
            dropped = time.monotonic()
            staged.rename(inbox / "miners.md")
            row = page.locator("#stories tbody tr", has_text="hashprice slides")
            await row.wait_for(timeout=15_000)
            latency = time.monotonic() - dropped
            await page.screenshot(path=str(ARTIFACTS / "stories-live.png"), full_page=True)
            assert await row.locator("b").count() == 0  # ingest keeps the title's text only

            await row.locator("a").click()
            await page.wait_for_selector("h2:has-text('Sources')")
            await page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)
            await asyncio.sleep(0.3)
        finally:
            await browser.close()
    third_party = [u for u in requests if not u.startswith(base)]
    assert third_party == []
    assert 0 < sum(weights.values()) < PAGE_WEIGHT_LIMIT * 4  # four pages loaded
    for url, size in weights.items():
        assert size < PAGE_WEIGHT_LIMIT, url
    assert latency < 3.0, f"the story took {latency:.2f} s to show"
    return latency


CHANNEL = -1001234567
USER = 4242


async def test_pause_a_subscription_and_send_a_broadcast_that_reaches_telegram(tmp_path):
    needs_chromium()
    from playwright.async_api import async_playwright

    from tests.fakes.telegram_api import FakeBotApi

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    async with FakeBotApi() as fake:
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        config = console_config(tmp_path, port)
        with config.open("a", encoding="utf-8") as extra:
            extra.write(
                f'\n[telegram]\ntoken = "{fake.token}"\nbase_url = "{fake.base_url}"\n'
                f'base_file_url = "{fake.base_file_url}"\npoll_timeout = 1\n\n'
                f'[[broadcast]]\nplatform = "telegram"\nchat = "{CHANNEL}"\npin = true\n'
            )
        env = run_env(CRYPTOWIRE_WEB_PASSWORD=PASSWORD)
        async with cryptowire_run(config, tmp_path, env=env) as bot:
            await wait_port(port)
            await fake.wait_calls("getUpdates", within=60)
            fake.command(fake.private_chat(USER, "Ann"), USER, "/subscribe BTC")
            await fake.wait_for(lambda: len(fake.messages_in(USER)) >= 1, within=30)
            await operate(f"http://127.0.0.1:{port}", fake, async_playwright)
    output = bot.output()
    assert bot.code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


async def operate(base: str, fake, async_playwright) -> None:  # type: ignore[no-untyped-def]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{base}/login")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("h1:has-text('Dashboard')")
            await page.click("nav >> text=Chats")
            await page.click("main table a[href^='/chats/']")
            await page.wait_for_selector("h2:has-text('Subscriptions')")
            await page.click("button:has-text('Pause')")
            await page.wait_for_selector("td:has-text('paused')")
            await page.screenshot(path=str(ARTIFACTS / "chat-paused.png"), full_page=True)

            await page.click("nav >> text=Broadcast")
            await page.fill("input[name=title]", "Exchange <halts> withdrawals")
            await page.fill("textarea[name=text]", "Withdrawals are paused while wallets move.")
            await page.fill("input[name=link]", "https://example.org/halt")
            await page.check("input[name=to][value=telegram]")
            await page.check("input[name=pin]")
            await page.click("button[value=preview]")
            await page.wait_for_selector(".bubble")
            assert "Exchange <halts> withdrawals" in await page.inner_text(".bubble")
            assert "Exchange <halts> withdrawals" in await page.inner_text(".embed")
            await page.screenshot(path=str(ARTIFACTS / "broadcast-preview.png"), full_page=True)
            assert fake.messages_in(CHANNEL) == []  # a preview sends nothing
            await page.click("#send")
            await page.wait_for_selector("#sent")
            await page.screenshot(path=str(ARTIFACTS / "broadcast-sent.png"), full_page=True)
            await fake.wait_for(lambda: len(fake.messages_in(CHANNEL)) >= 1, within=15)
            (post,) = fake.messages_in(CHANNEL)
            assert "Exchange <halts> withdrawals" in (post.get("text") or post.get("caption"))
            await fake.wait_calls("pinChatMessage", within=10)
            await page.click("nav >> text=Audit log")
            await page.wait_for_selector("td:has-text('subscription pause')")
            await page.wait_for_selector("td:has-text('post')")
            await page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)
        finally:
            await browser.close()
