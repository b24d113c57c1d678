"""The operator console over a real storage on 127.0.0.1: anonymous access refused on every
route, login (hash, rate limit, cookie flags), CSRF, security headers, escaping, the API."""

from __future__ import annotations

import pytest
from aiohttp import web
from web_support import HOSTILE, PASSWORD, TOKEN, client, log_in, seed, serve

from bot.web import api, pages, sources_page, template_page

RAW = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def every_path(ids: dict[str, int]) -> list[str]:
    """Every GET route the console registers, with real ids filled in."""
    paths = []
    for route in pages.routes() + api.routes() + sources_page.routes() + template_page.routes():
        if not isinstance(route, web.RouteDef) or route.method != "GET":
            continue  # the static folder holds assets, no data
        path = route.path
        story = ids["hostile"]
        paths.append(
            path.replace("/stories/{id}", f"/stories/{story}")
            .replace("/articles/{id}", f"/articles/{ids['hostile_article']}")
            .replace("/chats/{id}", f"/chats/{ids['chat']}")
            .replace("{article}", str(ids["ether_article"]))
            .replace("{sid}", str(ids["subscription"]))
            .replace("{key}", "wire")
        )
    return sorted(set(paths) - {"/login"})


async def test_every_page_and_api_route_refuses_anonymous_access(settings, storage):
    ids = await seed(settings, storage)
    async with serve(storage) as base, client() as http:
        paths = every_path(ids)
        assert "/" in paths and "/api/v1/openapi.json" in paths and len(paths) >= 17
        for path in paths:
            async with http.get(base + path, allow_redirects=False) as response:
                body = await response.text()
                assert response.status in (303, 401), (path, response.status)
                if response.status == 303:
                    assert response.headers["Location"] == "/login"
                assert "Ether" not in body and "Solana" not in body, path
            async with http.get(
                base + path, headers={"Authorization": "Bearer wrong"}, allow_redirects=False
            ) as response:
                assert response.status in (303, 401), (path, response.status)
        sub = f"/chats/{ids['chat']}/subscriptions/{ids['subscription']}"
        for path in ("/logout", "/api/v1/stories", sub, "/api/v1" + sub):
            async with http.post(base + path, allow_redirects=False) as response:
                assert response.status in (401, 405), (path, response.status)


async def test_login_sets_a_strict_httponly_cookie_and_wrong_passwords_are_limited(
    settings, storage
):
    await seed(settings, storage)
    async with serve(storage) as base, client() as http:
        async with http.get(f"{base}/login") as response:
            assert response.status == 200
            assert 'name="password"' in await response.text()
        for _ in range(5):
            assert await log_in(http, base, "wrong") == 401
        assert await log_in(http, base, PASSWORD) == 429  # even the right one, for a while
        async with http.post(f"{base}/login", data={"password": "x"}) as response:
            assert "too many login attempts" in await response.text()
    async with serve(storage) as base, client() as http:
        async with http.post(
            f"{base}/login", data={"password": PASSWORD}, allow_redirects=False
        ) as response:
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert PASSWORD not in cookie
        async with http.get(f"{base}/", allow_redirects=False) as response:
            assert response.status == 200
            assert "Dashboard" in await response.text()


async def test_a_login_posted_from_another_site_is_refused(settings, storage):
    async with serve(storage) as base, client() as http:
        async with http.post(
            f"{base}/login",
            data={"password": PASSWORD},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as response:
            assert response.status == 403


async def test_a_post_without_the_csrf_token_is_refused(settings, storage):
    await seed(settings, storage)
    async with serve(storage) as base, client() as http:
        assert await log_in(http, base) == 303
        async with http.post(f"{base}/logout", allow_redirects=False) as response:
            assert response.status == 403
            assert "CSRF" in await response.text()
        async with http.post(
            f"{base}/logout", data={"csrf": "forged"}, allow_redirects=False
        ) as response:
            assert response.status == 403
        async with http.get(f"{base}/") as response:  # still logged in
            page = await response.text()
            assert response.status == 200
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        async with http.post(
            f"{base}/logout", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        async with http.get(f"{base}/", allow_redirects=False) as response:
            assert response.status == 303  # the session ended


async def test_security_headers_and_html_in_titles_escaped_on_every_page(settings, storage):
    ids = await seed(settings, storage)
    async with serve(storage) as base, client() as http:
        assert await log_in(http, base) == 303
        seen_title = 0
        for path in every_path(ids):
            if path.startswith("/api/"):
                continue
            async with http.get(base + path) as response:
                body = await response.text()
                csp = response.headers["Content-Security-Policy"]
            assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            if path.endswith("/poll"):
                continue
            assert RAW not in body and "<img src=x" not in body, path
            assert "<script>" not in body.replace('<script src="/static/app.js" defer>', "")
            seen_title += ESCAPED in body
        assert seen_title >= 3  # the list, the story and the article show the title


async def test_the_api_needs_the_bearer_token_and_answers_json(settings, storage):
    ids = await seed(settings, storage)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with serve(storage) as base, client() as http:
        async with http.get(f"{base}/api/v1/stories", headers=auth) as response:
            assert response.status == 200
            stories = (await response.json())["stories"]
        assert [s["id"] for s in stories] == [ids["sol"], ids["ether"], ids["hostile"]]
        assert stories[2]["title"] == HOSTILE and stories[1]["sentiment"] == "POSITIVE"
        async with http.get(f"{base}/api/v1/stories?q=tag:ETH", headers=auth) as response:
            assert [s["id"] for s in (await response.json())["stories"]] == [ids["ether"]]
        async with http.get(f"{base}/api/v1/stories?q=since:yesterdayish", headers=auth) as r:
            assert r.status == 400
            error = (await r.json())["error"]
            assert "since" in error and "\n" not in error
        async with http.get(f"{base}/api/v1/stories?limit=0", headers=auth) as response:
            assert response.status == 400
        async with http.get(f"{base}/api/v1/stories/{ids['ether']}", headers=auth) as response:
            story = await response.json()
            assert story["articles"][0]["title"] == "Ether upgrade ships on mainnet"
        async with http.get(f"{base}/api/v1/stories/999999", headers=auth) as response:
            assert response.status == 404
            assert (await response.json()) == {"error": "story 999999 not found"}
        async with http.get(f"{base}/api/v1/dashboard", headers=auth) as response:
            data = await response.json()
        assert sum(data["articles_per_hour"]) == 3 and sum(data["stories_per_hour"]) == 3
        assert data["adapters"] == ["console"] and "pending" in data["outbox"]
        async with http.get(f"{base}/api/v1/openapi.json", headers=auth) as response:
            document = await response.json()
        assert document["openapi"].startswith("3.") and "/stories/{id}" in document["paths"]
    async with serve(storage, api_token=None) as base, client() as http:
        async with http.get(f"{base}/api/v1/stories", headers=auth) as response:
            assert response.status == 401
            assert "api_token" in (await response.json())["error"]


@pytest.mark.parametrize("query", ["tag:SOL", '"upgrade ships"'])
async def test_the_story_page_searches_with_the_search_syntax(settings, storage, query):
    await seed(settings, storage)
    async with serve(storage) as base, client() as http:
        assert await log_in(http, base) == 303
        async with http.get(f"{base}/stories", params={"q": query}) as response:
            body = await response.text()
        assert ("Solana" in body) == (query == "tag:SOL")
        assert ("Ether upgrade" in body) == (query != "tag:SOL")
        assert "data-live" not in body


def test_the_console_needs_a_password_and_an_https_public_url(tmp_path):
    from bot.config import ConfigError, load_settings

    path = tmp_path / "c.toml"
    path.write_text('[web]\nlisten = "127.0.0.1:8080"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"web\.listen needs web\.password"):
        load_settings(path, env={})
    settings = load_settings(path, env={"CRYPTOWIRE_WEB_PASSWORD": "from-the-env"})
    assert settings.web.password.get_secret_value() == "from-the-env"
    assert "from-the-env" not in repr(settings)
    path.write_text('[web]\npassword = "x"\npublic_url = "http://a.example"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="https"):
        load_settings(path, env={})


async def test_a_chat_shows_why_and_its_subscription_can_be_paused_with_csrf(settings, storage):
    ids = await seed(settings, storage)
    chat, sub = ids["chat"], ids["subscription"]
    async with serve(storage) as base, client() as http:
        assert await log_in(http, base) == 303
        async with http.get(f"{base}/chats/{chat}") as response:
            page = await response.text()
        assert "&lt;i&gt;Desk&lt;/i&gt; chat" in page and "Pause" in page
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        async with http.get(f"{base}/chats/{chat}/why/{ids['ether_article']}") as response:
            assert "matches" in (await response.text()).lower()
        async with http.get(f"{base}/chats/{chat}/why/{ids['sol_article']}") as response:
            assert "No subscription matches" in await response.text()
        form = {"active": "no"}
        async with http.post(f"{base}/chats/{chat}/subscriptions/{sub}", data=form) as response:
            assert response.status == 403  # no CSRF token
        assert [s.id for s in await storage.chats.list_subscriptions(chat)] == [sub]
        async with http.post(
            f"{base}/chats/{chat}/subscriptions/{sub}", data={**form, "csrf": token}
        ) as response:
            assert response.status == 200 and "paused" in await response.text()
        assert await storage.chats.list_subscriptions(chat) == []  # the index's view too
        changes = await storage.chats.changes_since(0)
        assert [(c.op, c.subscription_id) for c in changes][-1] == ("remove", sub)
        audit = await storage.audit.recent()
        assert audit[0].action == "subscription pause" and audit[0].platform == "web"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with http.post(
            f"{base}/api/v1/chats/{chat}/subscriptions/{sub}", json={"active": True}, headers=auth
        ) as response:
            assert response.status == 200
        assert [s.id for s in await storage.chats.list_subscriptions(chat)] == [sub]
        async with http.post(
            f"{base}/api/v1/chats/{chat}/subscriptions/{sub}", json={"on": 1}, headers=auth
        ) as response:
            assert response.status == 400 and "active" in (await response.json())["error"]
        async with http.get(
            f"{base}/api/v1/chats/{chat}/why/{ids['ether_article']}", headers=auth
        ) as response:
            assert any("match" in line for line in (await response.json())["why"])
