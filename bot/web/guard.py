"""Middlewares every response passes: one-line errors, security headers, authentication
(session cookie for pages, ``Authorization: Bearer`` for /api/v1) and CSRF tokens."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.errors import Unavailable, UserError
from bot.web.auth import Session, Sessions, TokenCheck, same_token
from bot.web.views import NotFound

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "cw_session"
PUBLIC = ("/login", "/static/", "/miniapp")
API = "/api/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Telegram's web client shows a Mini App in a frame; its apps use a web view
MINIAPP_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors https://web.telegram.org")


def wants_json(request: web.Request) -> bool:
    return request.path.startswith((API, "/miniapp/api")) or request.path == "/stories/poll"


def error_response(request: web.Request, status: int, message: str) -> web.Response:
    """The same one line as a chat or the CLI would show, as JSON or a small page."""
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    render = request.app.get(RENDER)
    if render is None:
        return web.Response(text=message, status=status)
    return render(request, "error.html", {"message": message, "status": status}, status=status)


# aiohttp >= 3.12 types request storage keys; older versions take a string
SESSION_KEY: Any = web.RequestKey("session", Session) if hasattr(web, "RequestKey") else "cw.s"
RENDER: web.AppKey = web.AppKey("render", object)
SESSIONS: web.AppKey = web.AppKey("sessions", Sessions)
TOKEN: web.AppKey = web.AppKey("token", TokenCheck)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPRedirection:
        raise
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(str(exc.status)) else None
        return error_response(request, exc.status, message or exc.reason)
    except NotFound as exc:
        return error_response(request, 404, str(exc))
    except Unavailable:
        return error_response(request, 503, "the database is unreachable right now; try again")
    except UserError as exc:
        return error_response(request, 400, str(exc).splitlines()[0] if str(exc) else "bad input")
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        return error_response(request, 500, "internal error; the log has the details")


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    miniapp = request.path.startswith("/miniapp")
    response.headers["Content-Security-Policy"] = MINIAPP_CSP if miniapp else CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # "same-origin", not "no-referrer": with the latter a browser sends ``Origin: null``
    # on our own login form, and the login's origin check would refuse it
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not miniapp:
        response.headers["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if path.startswith(API):
        token = request.app[TOKEN]
        if not token.enabled:
            return error_response(request, 401, "the API is off: set [web] api_token")
        if not token.matches(_bearer(request)):
            return error_response(request, 401, "missing or wrong API token (Bearer)")
        return await handler(request)
    if path.startswith(PUBLIC):
        return await handler(request)
    session = request.app[SESSIONS].get(request.cookies.get(COOKIE))
    if session is None:
        if request.method == "GET" and not wants_json(request):
            return web.Response(status=303, headers={"Location": "/login"})
        return error_response(request, 401, "log in first")
    if request.method not in SAFE_METHODS and not await _csrf_ok(request, session):
        return error_response(request, 403, "missing or wrong CSRF token; reload the page")
    request[SESSION_KEY] = session
    return await handler(request)


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    given = request.headers.get("X-CSRF-Token")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get("csrf", ""))
    return same_token(given, session.csrf)


def same_origin(request: web.Request) -> bool:
    """A login POST must come from our own page (no cross-site login): Origin, when the
    browser sends one, names this host."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.host
