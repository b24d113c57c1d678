"""The settings Mini App in headless Chromium, as Telegram opens it: ``/miniapp`` with the
signed ``initData`` in the URL fragment. A valid one (signed with the fake bot token)
shows the user's chat and changes it through taps; a forged, stale or someone else's is
refused on the page and changes nothing. Screenshots go to tests/artifacts/web/."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from test_web_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, needs_chromium
from test_web_miniapp import OTHER, USER, Served, init_data
from web_support import seed

from bot.models import ChatRef

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


def opened(base: str, data: str, chat: str = "") -> str:
    """The address Telegram opens: initData in the fragment (``tgWebAppData``)."""
    query = f"?chat={chat}" if chat else ""
    return f"{base}/miniapp{query}#tgWebAppData={quote(data, safe='')}&tgWebAppVersion=7.0"


async def test_the_mini_app_in_chromium_accepts_signed_init_data_and_refuses_forged(
    settings, storage
):
    needs_chromium()
    from playwright.async_api import async_playwright

    ids = await seed(settings, storage)
    await storage.chats.get_or_create(ChatRef("telegram", str(OTHER)), title="Other")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with Served(storage) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            await page.goto(opened(base, init_data(USER)))
            await page.wait_for_selector("#subs li")
            assert await page.is_visible("#app")
            assert "ETH" in await page.inner_text("#subs")
            await page.screenshot(path=str(ARTIFACTS / "miniapp.png"), full_page=True)

            await page.click("#subs li button:has-text('Pause')")
            await page.wait_for_selector("#subs li button:has-text('Resume')")
            assert await storage.chats.list_subscriptions(ids["chat"]) == []
            await page.fill("#add input[name=args]", "BTC")
            await page.click("#add button")
            await page.wait_for_selector("#reply:not(:empty)")
            await page.wait_for_selector("#subs li:has-text('BTC')")
            await page.fill("#quiet input[name=from]", "23:00")
            await page.fill("#quiet input[name=to]", "07:00")
            await page.click("#quiet button")
            await page.wait_for_selector("#quiet-now:has-text('Quiet 23:00-07:00')")
            await page.click("button[data-command=digest][data-args=hourly]")
            await page.wait_for_selector("#digest-now:has-text('hourly')")
            await page.screenshot(path=str(ARTIFACTS / "miniapp-changed.png"), full_page=True)
            chat = await storage.chats.find(ChatRef("telegram", str(USER)))
            assert (chat.quiet_start, chat.quiet_end, chat.digest_schedule) == (
                "23:00", "07:00", "hourly",
            )  # fmt: skip
            subs = await storage.chats.list_subscriptions(ids["chat"])
            assert [sorted(s.filter.tags) for s in subs] == [["BTC"]]

            refused = {  # what the page says, in one line
                "forged": (opened(base, init_data(USER, forge="0" * 64)), "not signed"),
                "stale": (opened(base, init_data(USER, age_s=2 * 3600)), "too old"),
                "other bot": (opened(base, init_data(USER, token="9:other")), "not signed"),
                "none": (f"{base}/miniapp", "Settings button"),
                "theirs": (opened(base, init_data(OTHER), chat=str(USER)), "your own chat"),
            }
            for name, (url, wanted) in refused.items():
                fresh = await browser.new_page()
                await fresh.goto(url)
                status = fresh.locator("#status")
                await status.filter(has_not_text="Loading").wait_for(timeout=10_000)
                text = await status.inner_text()
                assert not await fresh.is_visible("#app"), name
                assert "ETH" not in await fresh.content() and "BTC" not in text, name
                assert wanted in text and "\n" not in text.strip(), (name, text)
                await fresh.screenshot(path=str(ARTIFACTS / f"miniapp-refused-{name[:6]}.png"))
                await fresh.close()
            await asyncio.sleep(0.2)
        finally:
            await browser.close()
    chat = await storage.chats.find(ChatRef("telegram", str(USER)))
    assert chat.digest_schedule == "hourly"  # the refused pages changed nothing
    assert [u for u in requests if not u.startswith(base)] == []  # no third-party request
