"""The words of the bot: plain-text replies every adapter can show as they are.

Adapters render ``Reply.articles`` natively (links, buttons); the text here is the
fallback and what the console prints, so it must read well on its own.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.schedule_rules import zone
from bot.alerts.subscription_filter import describe
from bot.i18n import N_, _
from bot.i18n.formats import when
from bot.models import Article, ChatSettings, Story, Subscription

HELP_FOOTER = N_(
    "Filters: tags (any), positive|negative|neutral, source:KEY, keyword:WORD, "
    '-keyword:WORD, keyword:"a phrase", lang:en.'
)
WELCOME = N_(
    "Cryptowire sends one alert per crypto news story, however many sources report it.\n"
    "Start with /subscribe BTC (or any tags), see /latest BTC, and /help for everything."
)
# [N] is the article id (/why N); "story M" is the story id (/story M).
LIST_FOOTER = N_(
    "/story STORY_ID lists every source of a story; /why [ID] says why an article "
    "was (not) sent here."
)
SENTIMENTS = {
    "positive": N_("positive"),
    "negative": N_("negative"),
    "neutral": N_("neutral"),
}


LIST_TITLE = 200  # characters of a title in lists
LIST_URL = 300  # longer links are left out of lists (the article keeps them)


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, the cut marked with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def article_line(article: Article, tz: ZoneInfo) -> str:
    """One entry of a list; the title and link are cut, so a list of 20 fits one message
    whatever an archived article carries (a 4 MiB title once broke /latest for all)."""
    tags = " ".join(f"#{t}" for t in article.tags[:5])
    mood = _(SENTIMENTS.get(article.sentiment.value.lower(), article.sentiment.value.lower()))
    story = _("story {id}, ", id=article.story_id) if article.story_id is not None else ""
    title = cut(article.title, LIST_TITLE)
    parts = [f"[{article.id}] {title}", f"{story}{article.source_name[:60]}, "]
    parts[1] += f"{when(article.published_at, tz)}, {mood}" + (f" {tags}" if tags else "")
    if article.url and len(article.url) <= LIST_URL:
        parts.append(article.url)
    return "\n  ".join(parts)


def article_list(title: str, articles: list[Article], tz: ZoneInfo) -> str:
    lines = [title, *(article_line(a, tz) for a in articles)]
    lines.append(_(LIST_FOOTER))
    return "\n".join(lines)


def subscription_line(subscription: Subscription) -> str:
    mention = _(" (mention {who})", who=subscription.mention) if subscription.mention else ""
    return f"#{subscription.id} {describe(subscription.filter)}{mention}"


def subscription_list(subscriptions: list[Subscription]) -> str:
    if not subscriptions:
        return _("No subscriptions yet. Example: /subscribe BTC ETH positive")
    lines = [_("Subscriptions (remove one with /unsubscribe ID):")]
    lines += [subscription_line(s) for s in subscriptions]
    return "\n".join(lines)


def delivery_mode(chat: ChatSettings) -> str:
    if chat.mode != "digest":
        return _("instant alerts")
    if chat.digest_schedule == "daily" and chat.digest_time:
        return _("a daily digest at {time} ({zone})", time=chat.digest_time, zone=chat.timezone)
    return _("an hourly digest")


def settings_summary(chat: ChatSettings, now: datetime) -> str:
    parts = [
        _("Delivery: {mode}", mode=delivery_mode(chat)),
        _("time zone {zone}", zone=chat.timezone),
    ]
    if chat.quiet_start and chat.quiet_end:
        parts.append(_("quiet {start}-{end}", start=chat.quiet_start, end=chat.quiet_end))
    if chat.muted_until and chat.muted_until > now:
        until = when(chat.muted_until, zone(chat.timezone))
        parts.append(_("muted until {time}", time=until))
    return "; ".join(parts) + "."


def story_text(story: Story, articles: list[Article], tz: ZoneInfo) -> str:
    sources = len({a.source_key for a in articles}) or len(story.source_keys)
    head = _("Story {id}: {title}", id=story.id, title=cut(story.title, LIST_TITLE)) + "\n"
    head += _(
        "{count} article(s) from {sources} source(s), first {first}, last {last}.",
        count=len(articles),
        sources=sources,
        first=when(story.first_published_at, tz),
        last=when(story.last_updated_at, tz),
    )
    return "\n".join([head, *(article_line(a, tz) for a in articles)])
