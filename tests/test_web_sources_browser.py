"""Sources in a real `cryptowire run`, driven in headless Chromium: disable the watched
folder on the Sources page, drop a file (not read), restart the process (still off),
enable it (the file becomes a story), poll now (audited). Screenshots in tests/artifacts/web/."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from test_web_browser import (
    ARTIFACTS,
    CHROMIUM,
    LAUNCH_ARGS,
    PASSWORD,
    console_config,
    needs_chromium,
)

from tests.run_support import cryptowire_run, free_port, run_env, wait_port

pytestmark = pytest.mark.slow
TOKEN = "sources-browser-token-0123456789"
ARTICLE = """---
title: "Solana validators vote on fee market"
publishedAt: '{when}'
source:
  name: Sources Desk
  key: sources-desk
tags: [SOL]
---
Validators voted for a new fee market on Tuesday.
"""


class Run:
    """One `cryptowire run` process with the console and the API on."""

    def __init__(self, tmp_path: Path, config: Path) -> None:
        self.tmp_path, self.config = tmp_path, config

    async def __aenter__(self) -> Run:
        env = run_env(CRYPTOWIRE_WEB_PASSWORD=PASSWORD)
        # appended: the restart's output follows the first run's
        self.running = cryptowire_run(self.config, self.tmp_path, env=env, log_mode="ab")
        self.bot = await self.running.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.running.__aexit__(None, None, None)
        output = self.bot.output()
        assert self.bot.code == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]


async def stories(base: str) -> list[str]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v1/stories", headers=auth) as response:
            return [s["title"] for s in (await response.json())["stories"]]


async def test_disable_a_folder_in_the_browser_and_it_stays_off_across_a_restart(tmp_path):
    needs_chromium()
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = console_config(tmp_path, port)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[web]\n", f'[web]\napi_token = "{TOKEN}"\n', 1), "utf-8")
    base, inbox = f"http://127.0.0.1:{port}", tmp_path / "inbox"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            async with Run(tmp_path, config):
                await wait_port(port)
                page = await browser.new_page()
                await page.goto(f"{base}/login")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("button[type=submit]")
                await page.wait_for_selector("h1:has-text('Dashboard')")
                await page.click("nav >> text=Sources")
                row = page.locator("#sources tr[data-key=inbox]")
                await row.wait_for(timeout=15_000)  # after its first poll
                await row.locator("button[value=disable]").click()
                await page.locator("#sources tr[data-key=inbox] td.state",
                                   has_text="disabled").wait_for()  # fmt: skip
                await page.screenshot(path=str(ARTIFACTS / "sources-disabled.png"), full_page=True)
                await asyncio.sleep(2.5)  # the polling process reads the switch
                when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                staged = tmp_path / "sol.md"
                staged.write_text(ARTICLE.format(when=when), encoding="utf-8")
                staged.rename(inbox / "sol.md")
                await asyncio.sleep(3.0)
                assert "Solana validators vote on fee market" not in await stories(base)
            async with Run(tmp_path, config):  # a restart: the folder stays off
                await wait_port(port)
                await asyncio.sleep(4.0)
                assert "Solana validators vote on fee market" not in await stories(base)
                page = await browser.new_page()
                await page.goto(f"{base}/login")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("button[type=submit]")
                await page.goto(f"{base}/sources")
                row = page.locator("#sources tr[data-key=inbox]")
                await row.locator("button[value=enable]").click()
                await page.locator("#sources tr[data-key=inbox] button[value=poll]").click()
                deadline = time.monotonic() + 15
                while "Solana validators vote on fee market" not in await stories(base):
                    assert time.monotonic() < deadline, "the enabled folder was not read"
                    await asyncio.sleep(0.2)
                await page.goto(f"{base}/audit")
                for action in ("source disable", "source enable", "source poll"):
                    await page.wait_for_selector(f"td:has-text('{action}')")
                await page.screenshot(path=str(ARTIFACTS / "sources-audit.png"), full_page=True)
        finally:
            await browser.close()
