"""``/chats/{id}/template``: a chat's alert template, edited with a live preview on the
archive's newest articles (the ones the chat would get first), checked exactly as
``/template`` checks it (same sandbox, same limits, one line back), audited when saved.
The page works without script; ``app.js`` refreshes the preview as the operator types.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.delivery.formatting import render_plain
from bot.delivery.templating import presets
from bot.delivery.templating.book import TemplateBook
from bot.delivery.templating.engine import normalise
from bot.delivery.templating.sandbox import MAX_TEMPLATE_CHARS
from bot.delivery.templating.values import sample_article
from bot.models import Alert, Article, ChatSettings
from bot.web.pages import VIEWS, render
from bot.web.views import NotFound

BOOK: web.AppKey = web.AppKey("template_book", TemplateBook)
PREVIEWS = 3
MAX_TAGS = 10


class TemplateEditor:
    """Previews and saves one chat's template through ``storage.chats``."""

    def __init__(self, storage: Any, book: TemplateBook) -> None:
        self.storage = storage
        self.book = book

    async def chat(self, chat_id: int) -> ChatSettings:
        chat = await self.storage.chats.get(chat_id)
        if chat is None:
            raise NotFound(f"chat {chat_id} not found")
        return chat

    async def articles(self, chat: ChatSettings) -> list[Article]:
        """The newest archived articles the chat subscribes to (else the newest at all)."""
        subscriptions = await self.storage.chats.list_subscriptions(chat.id)
        tags = sorted({tag for s in subscriptions for tag in s.filter.tags})[:MAX_TAGS]
        found: dict[int | None, Article] = {}
        for tag in tags or [None]:
            for article in await self.storage.archive.latest(tag, PREVIEWS):
                found.setdefault(article.id, article)
        if not found and tags:
            found = {a.id: a for a in await self.storage.archive.latest(None, PREVIEWS)}
        newest = sorted(found.values(), key=lambda a: a.published_at, reverse=True)
        return newest[:PREVIEWS] or [sample_article()]

    def problem(self, text: str) -> str | None:
        """``/template``'s verdict on ``text``: None, or one line."""
        if any(ord(c) < 32 and c not in "\n\t" for c in text):
            return "a template cannot contain control characters"
        return self.book.templates.check(text)

    def previews(
        self, chat: ChatSettings, text: str | None, articles: list[Article]
    ) -> list[dict[str, str]]:
        """Each article as this chat would get it with ``text`` (None: its default look)."""
        shown = []
        for article in articles:
            alert = self.book.apply(
                Alert(article=article, timezone=chat.timezone), replace(chat, template=text)
            )
            rendered = alert.rendered or self.book.templates.render(
                presets.standard(chat.ref.platform), alert
            )
            shown.append({"title": article.title[:120], "text": render_plain(rendered)})
        return shown

    @staticmethod
    def _read(chat: ChatSettings, raw: str | None) -> str | None:
        """As /template and /format read it: a preset's name stands for the preset."""
        if raw is None:
            return None
        text = normalise(raw)
        return presets.preset(text.lower(), chat.ref.platform) or text

    async def preview(self, chat_id: int, raw: str | None) -> dict[str, Any]:
        chat = await self.chat(chat_id)
        text = self._read(chat, raw)
        error = self.problem(text) if text is not None else None
        articles = await self.articles(chat)
        current = self.book.text_for(chat)
        return {
            "chat": chat.id,
            "template": chat.template,
            "default": self.book.default_for(chat),
            "text": text if text is not None else (current or presets.standard(chat.ref.platform)),
            "error": error,
            "previews": [] if error else self.previews(chat, text or current, articles),
        }

    async def save(self, chat_id: int, raw: str | None, *, who: str) -> dict[str, Any]:
        """Store the template (None: back to the default); ValueError with one line."""
        chat = await self.chat(chat_id)
        text = self._read(chat, raw)
        if text is not None:
            problem = self.problem(text)
            if problem:
                raise ValueError(f"template not changed: {problem}")
        await self.storage.chats.update_settings(chat.id, template=text)
        await self.storage.audit.record(
            platform="web",
            user_id=who,
            action="template set" if text else "template reset",
            target=f"chat {chat.id}",
            detail={"chars": len(text or "")},
        )
        return await self.preview(chat.id, None)


def _editor(request: web.Request) -> TemplateEditor:
    book = request.app.get(BOOK) or TemplateBook()
    return TemplateEditor(request.app[VIEWS].storage, book)


def _chat_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 16:
        raise web.HTTPNotFound(text=f"no such chat: {raw[:20]!r}")
    return int(raw)


def _page(request: web.Request, data: dict[str, Any], **extra: Any) -> web.Response:
    context = {"t": data, "limit": MAX_TEMPLATE_CHARS, "page": "chats", **extra}
    status = 400 if data.get("error") or extra.get("error") else 200
    return render(request, "template.html", context, status=status)


async def page(request: web.Request) -> web.Response:
    return _page(request, await _editor(request).preview(_chat_id(request), None))


async def submit(request: web.Request) -> web.Response:
    """Preview, Save or Reset (a form post, CSRF-checked by the guard)."""
    form = await request.post()
    editor, chat_id = _editor(request), _chat_id(request)
    action, text = str(form.get("action", "preview")), str(form.get("text", ""))
    if action == "preview":
        return _page(request, await editor.preview(chat_id, text))
    try:
        data = await editor.save(chat_id, None if action == "reset" else text, who="operator")
    except ValueError as exc:
        return _page(request, await editor.preview(chat_id, text), error=str(exc))
    return _page(request, data, saved=True)


async def live(request: web.Request) -> web.Response:
    """The page's script: ``{"template": text}`` -> the error line or the previews."""
    body = await _body(request)
    data = await _editor(request).preview(_chat_id(request), _text(body, allow_none=False))
    return web.json_response({"error": data["error"], "previews": data["previews"]})


async def api_get(request: web.Request) -> web.Response:
    return web.json_response(await _editor(request).preview(_chat_id(request), None))


async def api_set(request: web.Request) -> web.Response:
    """``{"template": "..."}`` sets, ``{"template": null}`` resets; 400 with one line."""
    text = _text(await _body(request), allow_none=True)
    try:
        data = await _editor(request).save(_chat_id(request), text, who="api")
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(data)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='send JSON: {"template": "{{ title }}"}')
    return body


def _text(body: dict[str, Any], *, allow_none: bool) -> str | None:
    text = body.get("template")
    if text is None and allow_none and "template" in body:
        return None
    if not isinstance(text, str):
        raise web.HTTPBadRequest(text='send JSON: {"template": "{{ title }}"}')
    return text  # the body is capped (64 kB); the check refuses more than the limit


def routes() -> list[web.RouteDef]:
    return [
        web.get("/chats/{id}/template", page),
        web.post("/chats/{id}/template", submit),
        web.post("/chats/{id}/template/preview", live),
        web.get("/api/v1/chats/{id}/template", api_get),
        web.post("/api/v1/chats/{id}/template", api_set),
    ]
