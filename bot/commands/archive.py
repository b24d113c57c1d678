"""/latest, /search, /story and /why: reading the archive from a chat."""

from __future__ import annotations

import difflib

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.schedule_rules import in_quiet_hours, is_muted
from bot.alerts.subscription_filter import FilterError, matches, normalize_tag
from bot.commands.context import ArchiveReader, ChatStore, Context
from bot.commands.parser import CommandError, parse_positive_int
from bot.commands.replies import article_line, article_list, delivery_mode, story_text
from bot.commands.search_query import parse_search, require_valid
from bot.i18n import _
from bot.models import Reply

DEFAULT_COUNT, MAX_COUNT = 5, 20


class ArchiveCommands:
    """Read-only commands; replies carry the articles so adapters can list them natively."""

    def __init__(self, archive: ArchiveReader, chats: ChatStore) -> None:
        self.archive = archive
        self.chats = chats

    async def latest(self, ctx: Context) -> Reply:
        example = "/latest BTC 5"
        tag, count = None, DEFAULT_COUNT
        if len(ctx.args) > 2:
            raise CommandError(_("at most a tag and a count; example: {example}", example=example))
        for arg in ctx.args:
            if arg.isdigit():
                count = int(arg)
                if not 1 <= count <= MAX_COUNT:
                    raise CommandError(
                        _(
                            "the count goes from 1 to {limit}; example: {example}",
                            limit=MAX_COUNT,
                            example=example,
                        )
                    )
            else:
                try:
                    tag = normalize_tag(arg)
                except FilterError as exc:
                    raise CommandError(
                        _("{problem}; example: {example}", problem=exc, example=example)
                    ) from None
        articles = await self.archive.latest(tag, count)
        if not articles:
            return ctx.reply(await self._nothing_for(tag))
        title = _("Latest {tag} news:", tag=tag) if tag else _("Latest news:")
        return ctx.reply(article_list(title, articles, ctx.tz), articles=tuple(articles))

    async def search(self, ctx: Context) -> Reply:
        query = ctx.rest.strip()
        if not query:
            raise CommandError(_('what should I look for? Example: /search "spot etf" approval'))
        require_valid(parse_search(query, now=ctx.now))  # a filter we cannot apply: say so
        articles = await self.archive.search(query, 10)
        if not articles:
            return ctx.reply(
                _("Nothing found for {query}; try fewer or other words.", query=query[:100])
            )
        title = _("Search results for {query}:", query=query[:100])
        return ctx.reply(article_list(title, articles, ctx.tz), articles=tuple(articles))

    async def story(self, ctx: Context) -> Reply:
        if len(ctx.args) != 1:
            raise CommandError(_("which story? Example: /story 12 (ids are in alerts and /latest)"))
        story_id = parse_positive_int(ctx.args[0], _("a story id"), "/story 12")
        story = await self.archive.get_story(story_id)
        articles = await self.archive.story_articles(story_id) if story else []
        if story is None or not articles:  # a story of drafts only is not published
            raise CommandError(_("there is no story {id}; /latest shows recent ones", id=story_id))
        return ctx.reply(story_text(story, articles, ctx.tz), articles=tuple(articles))

    async def why(self, ctx: Context) -> Reply:
        if len(ctx.args) != 1:
            raise CommandError(_("which article? Example: /why 42 (ids are shown by /latest)"))
        article_id = parse_positive_int(ctx.args[0], _("an article id"), "/why 42")
        article = await self.archive.get_article(article_id)
        if article is None or article.draft:  # a draft looks exactly like an unknown id
            raise CommandError(
                _("there is no article {id}; /latest shows recent ones", id=article_id)
            )
        lines = [article_line(article, ctx.tz)]
        if article.retracted:
            return ctx.reply("\n".join([*lines, _("It was retracted, so it is not sent.")]))
        subscriptions = await self.chats.list_subscriptions(ctx.chat.id)
        if not subscriptions:
            lines.append(_("This chat has no subscriptions, so nothing is sent here."))
            return ctx.reply("\n".join(lines))
        explained = [SubscriptionIndex.explain(article, s) for s in subscriptions]
        matched = [s for s in subscriptions if matches(s.filter, article)]
        lines += explained
        if not matched:
            lines.append(_("No subscription matches, so it was not sent here."))
        else:
            lines.append(await self._delivery_note(ctx, article.story_id))
        return ctx.reply("\n".join(lines))

    async def _delivery_note(self, ctx: Context, story_id: int | None) -> str:
        """What happened or would happen to a matching article in this chat."""
        if story_id is not None and await self.chats.chats_with_story(story_id, [ctx.chat.id]):
            return _(
                "An alert for its story ({id}) was sent or is queued here; "
                "a chat gets one alert per story.",
                id=story_id,
            )
        if not ctx.chat.active:
            return _("This chat was unreachable, so alerts were stopped.")
        if is_muted(ctx.chat, ctx.now):
            return _("The chat is muted now: matching alerts are dropped until the mute ends.")
        if in_quiet_hours(ctx.chat, ctx.now):
            return _("It is quiet hours now: alerts are held for the digest when they end.")
        mode = delivery_mode(ctx.chat)
        return _(
            "No alert for it was queued here: alerts go out when an article is first "
            "published, and it may predate the subscription. This chat gets {mode}.",
            mode=mode,
        )

    async def _nothing_for(self, tag: str | None) -> str:
        if tag is None:
            return _("The archive is empty so far.")
        known = await self.archive.known_tags("", 500)
        near = difflib.get_close_matches(tag, [t.upper() for t in known], n=3, cutoff=0.6)
        if near:
            return _(
                "No articles tagged {tag} yet. Did you mean {tags}?", tag=tag, tags=", ".join(near)
            )
        return _("No articles tagged {tag} yet.", tag=tag)
