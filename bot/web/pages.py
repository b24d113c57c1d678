"""The console's HTML pages (server-rendered, autoescaped Jinja2) and the login form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.web.auth import LoginLimiter, PasswordCheck
from bot.web.guard import COOKIE, SESSION_KEY, SESSIONS, same_origin
from bot.web.views import ConsoleViews

HERE = Path(__file__).parent
VIEWS: web.AppKey = web.AppKey("views", ConsoleViews)
PASSWORD: web.AppKey = web.AppKey("password", PasswordCheck)
LIMITER: web.AppKey = web.AppKey("limiter", LoginLimiter)
SECURE: web.AppKey = web.AppKey("secure", bool)

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: web.Request, name: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    session = request.get(SESSION_KEY)
    html = _env.get_template(name).render(
        csrf=session.csrf if session else "", logged_in=session is not None, **context
    )
    return web.Response(text=html, status=status, content_type="text/html")


def _int(request: web.Request, name: str) -> int:
    raw = request.match_info.get(name) or ""
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound(text=f"{name} must be a number")
    return int(raw)


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", {"error": None})


async def login(request: web.Request) -> web.Response:
    limiter = request.app[LIMITER]
    wait = limiter.wait_s(_client(request))
    if wait > 0:
        return render(
            request,
            "login.html",
            {"error": f"too many login attempts; try again in {int(wait) + 1} s"},
            status=429,
        )
    if not same_origin(request):
        return render(request, "login.html", {"error": "log in from this site"}, status=403)
    form = await request.post()
    if not await request.app[PASSWORD].matches(str(form.get("password", ""))):
        limiter.failed(_client(request))
        return render(request, "login.html", {"error": "wrong password"}, status=401)
    sid, _ = request.app[SESSIONS].create()
    response = web.Response(status=303, headers={"Location": "/"})
    secure = request.app[SECURE] or request.secure
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Strict", secure=secure, path="/")
    return response


async def logout(request: web.Request) -> web.Response:
    request.app[SESSIONS].end(request.cookies.get(COOKIE))
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(COOKIE, path="/")
    return response


async def dashboard(request: web.Request) -> web.Response:
    data = await request.app[VIEWS].dashboard()
    return render(request, "dashboard.html", {"d": data, "page": "dashboard"})


async def stories(request: web.Request) -> web.Response:
    q = request.query.get("q", "")
    views = request.app[VIEWS]
    try:
        rows, error = await views.stories(q), None
    except ValueError as exc:  # SearchError is a UserError: shown above an empty list
        rows, error = [], str(exc)
    latest = max((r["id"] for r in rows), default=0)
    context = {"rows": rows, "q": q, "error": error, "latest": latest, "page": "stories"}
    return render(request, "stories.html", context)


async def stories_poll(request: web.Request) -> web.Response:
    """Stories created after ``after`` (the open list polls this, every half second)."""
    raw = request.query.get("after", "0")
    after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
    rows = await request.app[VIEWS].stories(after=after)
    return web.json_response({"stories": rows})


async def story(request: web.Request) -> web.Response:
    data = await request.app[VIEWS].story(_int(request, "id"))
    return render(request, "story.html", {"s": data, "page": "stories"})


async def article(request: web.Request) -> web.Response:
    data = await request.app[VIEWS].article(_int(request, "id"))
    return render(request, "article.html", {"a": data, "page": "stories"})


async def audit(request: web.Request) -> web.Response:
    rows = await request.app[VIEWS].audit()
    return render(request, "audit.html", {"rows": rows, "page": "audit"})


async def chats(request: web.Request) -> web.Response:
    rows = await request.app[VIEWS].chats()
    return render(request, "chats.html", {"rows": rows, "page": "chats"})


async def chat(request: web.Request) -> web.Response:
    data = await request.app[VIEWS].chat(_int(request, "id"))
    return render(request, "chat.html", {"c": data, "page": "chats"})


async def subscription(request: web.Request) -> web.Response:
    """Pause or resume one subscription (the chat page's buttons)."""
    chat_id, subscription_id = _int(request, "id"), _int(request, "sid")
    form = await request.post()
    on = str(form.get("active", "")) == "yes"
    await request.app[VIEWS].set_subscription(chat_id, subscription_id, on)
    return web.Response(status=303, headers={"Location": f"/chats/{chat_id}"})


async def why(request: web.Request) -> web.Response:
    chat_id, article_id = _int(request, "id"), _int(request, "article")
    views = request.app[VIEWS]
    lines = await views.why(chat_id, article_id)
    article = await views.article(article_id)
    context = {"lines": lines, "a": article, "chat": chat_id, "page": "chats"}
    return render(request, "why.html", context)


async def why_form(request: web.Request) -> web.Response:
    """The chat page's "why" box: any article id, answered on its own page."""
    chat_id, raw = _int(request, "id"), request.query.get("article", "").strip()
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPBadRequest(text="an article id is a number (ids are on the stories pages)")
    return web.Response(status=303, headers={"Location": f"/chats/{chat_id}/why/{int(raw)}"})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/login", login_form),
        web.post("/login", login),
        web.post("/logout", logout),
        web.get("/", dashboard),
        web.get("/stories", stories),
        web.get("/stories/poll", stories_poll),
        web.get("/stories/{id}", story),
        web.get("/articles/{id}", article),
        web.get("/audit", audit),
        web.get("/chats", chats),
        web.get("/chats/{id}", chat),
        web.post("/chats/{id}/subscriptions/{sid}", subscription),
        web.get("/chats/{id}/why", why_form),
        web.get("/chats/{id}/why/{article}", why),
        web.static("/static", HERE / "static", append_version=False),
    ]
