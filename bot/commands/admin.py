"""The admin commands: ``/breaking TITLE | TEXT [| URL]``, ``/post ARTICLE_ID``, ``/audit``.

``AdminCommands.handle`` sits in front of the ``CommandHandler``: it answers these three
and passes everything else on. Admins are the users the adapter marked ``is_admin``
(``[telegram] admins``, ``[discord] admins``, Discord members with Manage Server, the
local console user) or listed in the config for that platform. Anyone else gets one line
and nothing is posted. Every post is written to the audit log (who, platform, what,
where, when).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.alerts.breaking import Broadcaster, PostResult
from bot.commands.parser import CommandError, ParsedCommand, split_command
from bot.enrich.enrich import enrich_article
from bot.errors import UserError
from bot.i18n import N_, _, _n, use_locale
from bot.i18n.formats import when
from bot.models import Article, IncomingCommand, Reply

log = logging.getLogger("cryptowire.admin")

ADMIN_NAMES = frozenset({"breaking", "post", "audit"})
REFUSAL = N_("Only Cryptowire admins can use /{name}; nothing was posted.")
APOLOGY = N_("Something went wrong on our side; please try again in a minute.")
BREAKING_USAGE = "/breaking TITLE | TEXT [| URL], e.g. /breaking SEC approves ETH ETFs | The SEC"
BREAKING_USAGE += " approved spot ether funds. | https://example.org/eth-etf"
ADMIN_SOURCE = ("cryptowire", "Cryptowire")
MAX_TITLE, MAX_TEXT = 300, 4000
AUDIT_LIMIT = 20


class AuditLog(Protocol):
    """``storage.audit.SqlAudit``."""

    async def record(
        self,
        *,
        platform: str,
        user_id: str,
        action: str,
        target: str | None = None,
        user_name: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int: ...

    async def recent(self, limit: int = 20) -> list[Any]: ...


class ArticleSource(Protocol):
    async def get_article(self, article_id: int) -> Article | None: ...


class Ingest(Protocol):
    """``bot.ingest.pipeline.IngestPipeline.ingest_article``."""

    async def ingest_article(self, article: Article, *, origin: str) -> Any: ...


def breaking_article(title: str, text: str, url: str | None, now: datetime, weight: int) -> Article:
    """A breaking story written by an admin, enriched (tags, sentiment) like any article."""
    key, name = ADMIN_SOURCE
    article = Article(
        title=title,
        source_key=key,
        source_name=name,
        published_at=now,
        summary=text,
        body=text,
        url=url,
        sticky_weight=max(1, weight),
    )
    given = frozenset({"title", "summary", "body", "url", "published_at", "sticky_weight"})
    return enrich_article(article, given)


def parse_breaking(rest: str) -> tuple[str, str, str | None]:
    """``TITLE | TEXT [| URL]`` -> (title, text, url); one-line errors with an example."""
    fields = [" ".join(part.split()) for part in rest.split("|")]
    if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
        raise CommandError(_("usage: {usage}", usage=BREAKING_USAGE))
    title, text = fields[0], fields[1]
    url = fields[2] if len(fields) == 3 and fields[2] else None
    if len(title) > MAX_TITLE:
        raise CommandError(
            _(
                "the title is {length} characters; at most {limit}",
                length=len(title),
                limit=MAX_TITLE,
            )
        )
    if len(text) > MAX_TEXT:
        raise CommandError(
            _("the text is {length} characters; at most {limit}", length=len(text), limit=MAX_TEXT)
        )
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            raise CommandError(_("'{url}' is not a web link (http:// or https://)", url=url[:60]))
    return title, text, url


def parse_article_id(args: list[str]) -> int:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise CommandError(_("usage: /post ARTICLE_ID, e.g. /post 42 (ids are in /latest)"))
    return int(args[0].lstrip("#"))


class AdminCommands:
    """Answers the admin commands; hands every other command to ``inner``."""

    def __init__(
        self,
        inner: Callable[[IncomingCommand], Awaitable[Reply]],
        *,
        broadcaster: Broadcaster,
        pipeline: Ingest,
        archive: ArticleSource,
        audit: AuditLog,
        clock: Callable[[], datetime],
        admins: Mapping[str, Collection[str]] | None = None,
        breaking_weight: int = 10,
    ) -> None:
        self.inner = inner
        self.broadcaster = broadcaster
        self.pipeline = pipeline
        self.archive = archive
        self.audit = audit
        self.clock = clock
        self.admins = {k: {str(v) for v in vs} for k, vs in (admins or {}).items()}
        self.breaking_weight = breaking_weight

    def is_admin(self, cmd: IncomingCommand) -> bool:
        return cmd.is_admin or cmd.user_id in self.admins.get(cmd.chat.platform, set())

    async def handle(self, cmd: IncomingCommand) -> Reply:
        with use_locale(cmd.language):  # None: the adapter's language for this update
            return await self._handle(cmd)

    async def _handle(self, cmd: IncomingCommand) -> Reply:
        try:
            parsed = split_command(cmd.text)
        except CommandError:
            parsed = None
        if parsed is None or parsed.name not in ADMIN_NAMES:
            return await self.inner(cmd)
        if not self.is_admin(cmd):
            log.info("refused /%s from %s user %s", parsed.name, cmd.chat.platform, cmd.user_id)
            return Reply(_(REFUSAL, name=parsed.name), error=True, ephemeral=True)
        try:
            if parsed.name == "breaking":
                return await self._breaking(cmd, parsed)
            if parsed.name == "post":
                return await self._post(cmd, parsed)
            return await self._audit(parsed)
        except UserError as exc:
            text = str(exc).splitlines()[0] if str(exc) else _("That did not work; see /help.")
            return Reply(text[:1].upper() + text[1:], error=True, ephemeral=True)
        except Exception:
            log.exception("admin command /%s failed (%s)", parsed.name, cmd.text[:200])
            return Reply(_(APOLOGY), error=True, ephemeral=True)

    # ------------------------------------------------------------------ commands

    async def _breaking(self, cmd: IncomingCommand, parsed: ParsedCommand) -> Reply:
        title, text, url = parse_breaking(parsed.rest)
        article = breaking_article(title, text, url, self.clock(), self.breaking_weight)
        origin = f"admin:{cmd.chat.platform}:{cmd.user_id}:{uuid.uuid4().hex[:8]}"
        request = self.broadcaster.expect(origin)
        try:
            outcome = await self.pipeline.ingest_article(article, origin=origin)
        finally:
            self.broadcaster.forget(origin)
        stored: Article | None = outcome.article
        if outcome.status == "rejected" or stored is None or stored.id is None:
            raise CommandError(
                _("not posted: {reason}", reason=outcome.error or _("the story was refused"))
            )
        result = request.result
        if result is None:  # not new: already in the archive (same title or link)
            result = await self.broadcaster.post(stored)
        await self._record(cmd, "breaking", result)
        if outcome.status == "new":
            text = _(
                "Posted breaking article {id}: {title} - {summary}.",
                id=stored.id,
                title=stored.title,
                summary=result.summary(),
            )
        else:
            text = _(
                "Already archived ({status}); breaking article {id}: {title} - {summary}.",
                status=outcome.status,
                id=stored.id,
                title=stored.title,
                summary=result.summary(),
            )
        return Reply(text)

    async def _post(self, cmd: IncomingCommand, parsed: ParsedCommand) -> Reply:
        article_id = parse_article_id(parsed.args)
        article = await self.archive.get_article(article_id)
        if article is None or article.draft:  # a draft looks exactly like an unknown id
            raise CommandError(
                _("no article {id} in the archive; /latest shows ids", id=article_id)
            )
        if article.retracted:
            raise CommandError(
                _("article {id} is retracted, so it cannot be posted", id=article_id)
            )
        result = await self.broadcaster.post(article)
        await self._record(cmd, "post", result)
        return Reply(
            _(
                "Posted article {id} as breaking: {summary}.",
                id=article.id,
                summary=result.summary(),
            )
        )

    async def _audit(self, parsed: ParsedCommand) -> Reply:
        limit = AUDIT_LIMIT
        if parsed.args:
            if not parsed.args[0].isdigit() or not 1 <= int(parsed.args[0]) <= 100:
                raise CommandError(_("usage: /audit [N], N from 1 to 100, e.g. /audit 10"))
            limit = int(parsed.args[0])
        entries = await self.audit.recent(limit)
        if not entries:
            return Reply(_("No admin actions recorded yet."), ephemeral=True)
        head = _("Recent admin actions (newest first):")
        lines = [head, *(audit_line(e) for e in entries)]
        return Reply("\n".join(lines), ephemeral=True)

    async def _record(self, cmd: IncomingCommand, action: str, result: PostResult) -> None:
        await self.audit.record(
            platform=cmd.chat.platform,
            user_id=cmd.user_id,
            user_name=cmd.user_name,
            action=action,
            target=f"article {result.article.id}",
            detail=post_detail(result, where=str(cmd.chat)),
        )


def post_detail(result: PostResult, *, where: str, pin: bool | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "title": result.article.title[:200],
        "story": result.article.story_id,
        "from": where,
        "to": result.targets,
        "already": result.already,
        "pinned": result.pinned,
        "subscribers": result.subscribers,
    }
    if pin is not None:
        detail["pin"] = pin
    return detail


UTC_ZONE = ZoneInfo("UTC")
# what the audit log records, shown in the reader's language (the log keeps the English)
_ACTIONS = {
    "breaking": N_("breaking"),
    "post": N_("post"),
    "template set": N_("template set"),
    "template reset": N_("template reset"),
    "subscription pause": N_("subscription pause"),
    "subscription resume": N_("subscription resume"),
    "poll": N_("poll now"),
    "enable": N_("enable"),
    "disable": N_("disable"),
}
_TARGETS = {"article": N_("article {id}"), "chat": N_("chat {id}"), "source": N_("source {id}")}


def audit_line(entry: Any) -> str:
    """``2026-11-21 14:50 UTC telegram 42 (alice) breaking article 7 "Title" -> ...``, the
    bot's words in the call's language (dates as it writes them)."""
    detail = dict(getattr(entry, "detail", {}) or {})
    who = entry.user_id + (f" ({entry.user_name})" if entry.user_name else "")
    action = _ACTIONS.get(entry.action)
    action = _(action) if action else entry.action
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    text = f"{when(at, UTC_ZONE)} UTC {entry.platform} {who} {action}"
    if entry.target:
        kind, _space, name = str(entry.target).partition(" ")
        shown = _TARGETS.get(kind)
        text += " " + (_(shown, id=name) if shown and name else str(entry.target))
    if detail.get("title"):
        text += f' "{detail["title"]}"'
    where = list(detail.get("to") or []) + list(detail.get("already") or [])
    if where:
        text += f" -> {', '.join(where)}"
    if detail.get("subscribers"):
        count = int(detail["subscribers"])
        text += " " + _n("+{count} subscribed chat", "+{count} subscribed chats", count)
    if detail.get("from"):
        text += " " + _("(from {where})", where=detail["from"])
    return text


def with_weight(article: Article, weight: int) -> Article:
    """The article made breaking by weight (explicit posts of a file), hash recomputed."""
    return replace(article, sticky_weight=max(article.sticky_weight, weight, 1), content_hash="")
