"""The console's template editor: a chat's template edited with a preview on the newest
archived articles it subscribes to, checked exactly as /template checks it (one line back,
nothing stored), saved and audited; the same through /api/v1; the live preview script in
Chromium follows the text as it is typed."""

from __future__ import annotations

import pytest
from web_support import TOKEN, client, log_in, seed, serve

from bot.delivery.templating import presets
from bot.delivery.templating.sandbox import MAX_TEMPLATE_CHARS

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOD = "⚡ {{ title }} ({{ tags|join(' ') }})"


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_edit_preview_and_save_a_chat_template_with_csrf_and_audit(settings, storage):
    ids = await seed(settings, storage)
    chat = ids["chat"]  # subscribed to ETH: the previews are ETH articles first
    url = f"/chats/{chat}/template"
    async with serve(storage) as base, client() as http:
        async with http.get(base + url, allow_redirects=False) as response:
            assert response.status == 303
        assert await log_in(http, base) == 303
        async with http.get(f"{base}/chats/{chat}") as response:
            assert url in await response.text()
        async with http.get(base + url) as response:
            page = await response.text()
        assert "Ether upgrade ships on mainnet" in page  # the chat's newest article, default look
        token = csrf_of(page)

        form = {"csrf": token, "action": "preview", "text": GOOD}
        async with http.post(base + url, data=form) as response:
            page = await response.text()
        assert response.status == 200 and "⚡ Ether upgrade ships on mainnet (ETH)" in page
        assert (await storage.chats.get(chat)).template is None  # a preview stores nothing

        bad = {
            "{{ titel }}": "unknown placeholder {{ titel }} (did you mean title?)",
            "{% for x in tags %}": "syntax error on line 1",
            "{{ title }}" + "x" * MAX_TEMPLATE_CHARS: f"at most {MAX_TEMPLATE_CHARS} characters",
            "{{ title.__class__ }}": "",
        }
        for text, wanted in bad.items():
            async with http.post(base + url, data={**form, "action": "save", "text": text}) as r:
                page = await r.text()
                assert r.status == 400, text
            line = page.split('id="template-error">', 1)[1].split("</p>", 1)[0]
            assert line.startswith("template not changed: ") and wanted in line, line
            assert "\n" not in line and "Traceback" not in page
        assert (await storage.chats.get(chat)).template is None

        async with http.post(base + url, data={"action": "save", "text": GOOD}) as response:
            assert response.status == 403  # no CSRF token
        async with http.post(base + url, data={**form, "action": "save"}) as response:
            assert response.status == 200 and 'id="saved"' in await response.text()
        assert (await storage.chats.get(chat)).template == GOOD
        async with http.post(base + url, data={**form, "action": "save", "text": "compact"}) as r:
            assert r.status == 200
        assert (await storage.chats.get(chat)).template == presets.preset("compact", "telegram")
        async with http.post(base + url, data={**form, "action": "reset"}) as response:
            assert response.status == 200
        assert (await storage.chats.get(chat)).template is None
        audit = [(e.action, e.target) for e in await storage.audit.recent()]
        assert audit[:3] == [
            ("template reset", f"chat {chat}"),
            ("template set", f"chat {chat}"),
            ("template set", f"chat {chat}"),
        ]

        live = f"{base}{url}/preview"
        async with http.post(live, json={"template": "{{ nope }}"}) as response:
            assert response.status == 403  # scripts send the token in X-CSRF-Token
        headers = {"X-CSRF-Token": token}
        async with http.post(live, json={"template": "{{ nope }}"}, headers=headers) as r:
            answer = await r.json()
        assert answer["previews"] == [] and "unknown placeholder" in answer["error"]
        async with http.post(live, json={"template": GOOD}, headers=headers) as response:
            answer = await response.json()
        assert answer["error"] is None
        assert answer["previews"][0]["text"] == "⚡ Ether upgrade ships on mainnet (ETH)"


async def test_the_template_api_sets_resets_and_refuses_in_one_line(settings, storage):
    ids = await seed(settings, storage)
    url = f"/api/v1/chats/{ids['chat']}/template"
    async with serve(storage) as base, client() as http:
        async with http.get(base + url) as response:
            assert response.status == 401
        async with http.post(base + url, json={"template": GOOD}, headers=AUTH) as response:
            data = await response.json()
        assert response.status == 200 and data["template"] == GOOD
        assert data["previews"][0]["text"].startswith("⚡ Ether upgrade")
        async with http.post(base + url, json={"template": "{{ a"}, headers=AUTH) as response:
            error = (await response.json())["error"]
        assert response.status == 400 and error.startswith("template not changed: syntax error")
        async with http.post(base + url, json={"template": "a\x00b"}, headers=AUTH) as response:
            assert (
                response.status == 400 and "control characters" in (await response.json())["error"]
            )
        async with http.post(base + url, json={"text": "x"}, headers=AUTH) as response:
            assert response.status == 400
        assert (await storage.chats.get(ids["chat"])).template == GOOD
        async with http.post(base + url, json={"template": None}, headers=AUTH) as response:
            assert response.status == 200 and (await response.json())["template"] is None
        async with http.get(f"{base}/api/v1/chats/999999/template", headers=AUTH) as response:
            assert response.status == 404
        (entry, *_) = await storage.audit.recent()
        assert (entry.action, entry.user_id) == ("template reset", "api")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_preview_follows_the_text_as_it_is_typed_in_chromium(settings, storage):
    from test_web_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, needs_chromium
    from web_support import PASSWORD

    needs_chromium()
    from playwright.async_api import async_playwright

    ids = await seed(settings, storage)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with serve(storage) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{base}/login")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("h1:has-text('Dashboard')")
            await page.goto(f"{base}/chats/{ids['chat']}")
            await page.click("#edit-template")
            await page.fill("#template-text", "")
            await page.type("#template-text", "{{ titel }}")
            error = page.locator("#template-error")
            await error.filter(has_text="did you mean title").wait_for(timeout=10_000)
            await page.fill("#template-text", "")
            await page.type("#template-text", "NEW: {{ title }}")
            await page.locator("#previews pre", has_text="NEW: Ether upgrade").wait_for()
            assert not await error.is_visible()
            await page.screenshot(path=str(ARTIFACTS / "template-editor.png"), full_page=True)
            await page.click("#save")
            await page.wait_for_selector("#saved")
        finally:
            await browser.close()
    assert (await storage.chats.get(ids["chat"])).template == "NEW: {{ title }}"
