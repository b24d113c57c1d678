"""``/api/v1``: the console's data as JSON (Bearer ``[web] api_token``), described by the
OpenAPI document served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.pages import VIEWS

MAX_ID = 2**53


def _number(raw: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 16 or not low <= int(raw) <= high:
        raise web.HTTPBadRequest(text=f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 16 or not 1 <= int(raw) <= MAX_ID:
        raise web.HTTPNotFound(text=f"no such id: {raw[:20]!r}")
    return int(raw)


async def dashboard(request: web.Request) -> web.Response:
    return web.json_response(await request.app[VIEWS].dashboard())


async def stories(request: web.Request) -> web.Response:
    q = request.query.get("q", "")
    after = _number(request.query.get("after"), "after", default=0, low=0, high=MAX_ID)
    limit = _number(request.query.get("limit"), "limit", default=50, low=1, high=200)
    rows = await request.app[VIEWS].stories(q, after=after, limit=limit)
    return web.json_response({"stories": rows})


async def story(request: web.Request) -> web.Response:
    return web.json_response(await request.app[VIEWS].story(_id(request)))


async def article(request: web.Request) -> web.Response:
    return web.json_response(await request.app[VIEWS].article(_id(request)))


async def audit(request: web.Request) -> web.Response:
    limit = _number(request.query.get("limit"), "limit", default=100, low=1, high=200)
    return web.json_response({"entries": await request.app[VIEWS].audit(limit)})


async def chats(request: web.Request) -> web.Response:
    return web.json_response({"chats": await request.app[VIEWS].chats()})


async def chat(request: web.Request) -> web.Response:
    return web.json_response(await request.app[VIEWS].chat(_id(request)))


async def why(request: web.Request) -> web.Response:
    raw = request.match_info["article"]
    if not raw.isdigit() or len(raw) > 16:
        raise web.HTTPNotFound(text=f"no such article: {raw[:20]!r}")
    lines = await request.app[VIEWS].why(_id(request), int(raw))
    return web.json_response({"why": lines})


async def subscription(request: web.Request) -> web.Response:
    raw = request.match_info["sid"]
    if not raw.isdigit() or len(raw) > 16:
        raise web.HTTPNotFound(text=f"no such subscription: {raw[:20]!r}")
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='send JSON: {"active": true} or {"active": false}') from None
    if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
        raise web.HTTPBadRequest(text='send JSON: {"active": true} or {"active": false}')
    on = await request.app[VIEWS].set_subscription(_id(request), int(raw), body["active"])
    return web.json_response({"active": on})


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


def _get(summary: str, *, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    error = {"$ref": "#/components/responses/Error"}
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {"200": ok, "400": error, "401": error, "404": error, "503": error},
        }
    }


def _query(name: str, low: int, high: int) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": low, "maximum": high}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _post(summary: str, params: list[dict[str, Any]], flag: str) -> dict[str, Any]:
    """A POST whose body is ``{flag: true|false}``."""
    schema = {"type": "object", "properties": {flag: {"type": "boolean"}}, "required": [flag]}
    return {
        "post": {
            "summary": summary,
            "parameters": params,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": _get("")["get"]["responses"],
        }
    }


TEMPLATE_BODY = {
    "type": "object",
    "properties": {"template": {"type": "string", "nullable": True, "maxLength": 4000}},
    "required": ["template"],
}
KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
}
ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Cryptowire console API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {
            "Error": {
                "description": "One line saying what went wrong",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"error": {"type": "string"}},
                            "required": ["error"],
                        }
                    }
                },
            }
        },
    },
    "paths": {
        "/dashboard": _get("Articles and stories per hour, deliveries, outbox, sources"),
        "/stories": _get(
            "Newest stories; q= searches with the /search syntax",
            params=[
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 300}},
                _query("after", 0, MAX_ID),
                _query("limit", 1, 200),
            ],
        ),
        "/stories/{id}": _get("A story: articles, revisions, chats alerted", params=[ID]),
        "/articles/{id}": _get("An article: revisions, chats alerted", params=[ID]),
        "/audit": _get("The admin audit log, newest first", params=[_query("limit", 1, 200)]),
        "/chats": _get("Chats with settings and subscription counts"),
        "/chats/{id}": _get("A chat: settings, subscriptions, deliveries", params=[ID]),
        "/chats/{id}/why/{article}": _get(
            "The /why explanation of an article in a chat",
            params=[ID, {**ID, "name": "article"}],
        ),
        "/chats/{id}/subscriptions/{sid}": _post(
            "Pause or resume a subscription (audited)", [ID, {**ID, "name": "sid"}], "active"
        ),
        "/chats/{id}/template": {
            **_get(
                "A chat's template, its default and previews on the newest articles", params=[ID]
            ),
            "post": {
                "summary": "Set (or with null reset) a chat's template, checked as /template",
                "parameters": [ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": TEMPLATE_BODY}},
                },
                "responses": _get("")["get"]["responses"],
            },
        },
        "/sources": _get("Every source: kind, state, last poll, last error, items, WebSub"),
        "/sources/{key}": _post("Enable or disable a folder or feed (audited)", [KEY], "enabled"),
        "/sources/{key}/poll": {
            "post": {
                "summary": "Ask for a poll now (audited); 409 when the source is disabled",
                "parameters": [KEY],
                "responses": {
                    "202": _get("")["get"]["responses"]["200"],
                    **{
                        code: {"$ref": "#/components/responses/Error"}
                        for code in ("400", "401", "403", "404", "409", "503")
                    },
                },
            }
        },
    },
}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/v1/openapi.json", openapi),
        web.get("/api/v1/dashboard", dashboard),
        web.get("/api/v1/stories", stories),
        web.get("/api/v1/stories/{id}", story),
        web.get("/api/v1/articles/{id}", article),
        web.get("/api/v1/audit", audit),
        web.get("/api/v1/chats", chats),
        web.get("/api/v1/chats/{id}", chat),
        web.get("/api/v1/chats/{id}/why/{article}", why),
        web.post("/api/v1/chats/{id}/subscriptions/{sid}", subscription),
    ]
