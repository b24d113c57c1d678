"""The broadcast composer: an operator writes a post (title, text, link), picks the
``[[broadcast]]`` platforms and pin, previews it, and sends it as breaking news the way
`cryptowire post FILE` does (archived, to the targets and to matching subscribers;
audited as platform "web")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.commands.admin import post_detail, with_weight
from bot.errors import UserError
from bot.models import Article

MAX_TITLE = 300
MAX_TEXT = 3000
MAX_LINK = 2000


class ComposeError(UserError):
    """A post that cannot be sent as written; the message names the field."""


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    text: str
    link: str | None
    platforms: frozenset[str]
    pin: bool


def read_draft(form: Any, configured: list[str]) -> Draft:
    """The form's fields, checked: one line naming the first problem."""
    title = " ".join(str(form.get("title", "")).split())
    text = str(form.get("text", "")).strip().replace("\r\n", "\n")
    link = str(form.get("link", "")).strip() or None
    if not title:
        raise ComposeError("a post needs a title")
    if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise ComposeError(f"title up to {MAX_TITLE} characters, text up to {MAX_TEXT}")
    if link and (len(link) > MAX_LINK or not link.startswith(("https://", "http://"))):
        raise ComposeError("the link must start with https:// or http://")
    platforms = frozenset(str(p) for p in form.getall("to", []) if str(p) in configured)
    if not platforms:
        raise ComposeError("pick at least one target platform ([[broadcast]] in the config)")
    return Draft(title, text, link, platforms, str(form.get("pin", "")) == "yes")


class Composer:
    """Sends drafts through the pipeline and the broadcaster of this process."""

    def __init__(self, pipeline: Any, broadcaster: Any, audit: Any, weight: int) -> None:
        self.pipeline = pipeline
        self.broadcaster = broadcaster
        self.audit = audit
        self.weight = weight

    async def send(self, draft: Draft) -> str:
        article = Article(
            title=draft.title,
            summary=draft.text,
            body=draft.text or draft.title,
            url=draft.link,
            source_key="console",
            source_name="Cryptowire console",
            published_at=datetime.now(UTC),
        )
        article = with_weight(article, self.weight)
        origin = f"web:post:{uuid.uuid4().hex}"
        request = self.broadcaster.expect(origin, platforms=draft.platforms, pin=draft.pin)
        try:
            outcome = await self.pipeline.ingest_article(article, origin=origin)
        finally:
            self.broadcaster.forget(origin)
        if outcome.article is None:
            raise ComposeError(outcome.error or "the post was rejected")
        result = request.result or await self.broadcaster.post(
            outcome.article, platforms=draft.platforms, pin=draft.pin
        )
        await self.audit.record(
            platform="web",
            user_id="operator",
            action="post",
            target=f"article {result.article.id}",
            detail=post_detail(result, where="web console", pin=draft.pin),
        )
        return f"Article {result.article.id} posted: {result.summary()}."
