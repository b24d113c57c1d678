"""The words of the bot: plain-text replies every adapter can show as they are.

Adapters render ``Reply.articles`` natively (links, buttons); the text here is the
fallback and what the console prints, so it must read well on its own.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.schedule_rules import zone
from bot.alerts.subscription_filter import describe
from bot.models import Article, ChatSettings, Story, Subscription

HELP_FOOTER = "Filters: tags (any), positive|negative|neutral, source:KEY, keyword:WORD, "
HELP_FOOTER += '-keyword:WORD, keyword:"a phrase", lang:en.'
WELCOME = (
    "Cryptowire sends one alert per crypto news story, however many sources report it.\n"
    "Start with /subscribe BTC (or any tags), see /latest BTC, and /help for everything."
)
# [N] is the article id (/why N); "story M" is the story id (/story M).
LIST_FOOTER = "/story STORY_ID lists every source of a story; /why [ID] says why an article "
LIST_FOOTER += "was (not) sent here."


LIST_TITLE = 200  # characters of a title in lists
LIST_URL = 300  # longer links are left out of lists (the article keeps them)


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, the cut marked with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def article_line(article: Article, tz: ZoneInfo) -> str:
    """One entry of a list; the title and link are cut, so a list of 20 fits one message
    whatever an archived article carries (a 4 MiB title once broke /latest for all)."""
    tags = " ".join(f"#{t}" for t in article.tags[:5])
    mood = article.sentiment.value.lower()
    story = f"story {article.story_id}, " if article.story_id is not None else ""
    title = cut(article.title, LIST_TITLE)
    parts = [f"[{article.id}] {title}", f"{story}{article.source_name[:60]}, "]
    parts[1] += f"{when(article.published_at, tz)}, {mood}" + (f" {tags}" if tags else "")
    if article.url and len(article.url) <= LIST_URL:
        parts.append(article.url)
    return "\n  ".join(parts)


def article_list(title: str, articles: list[Article], tz: ZoneInfo) -> str:
    lines = [title, *(article_line(a, tz) for a in articles)]
    lines.append(LIST_FOOTER)
    return "\n".join(lines)


def subscription_line(subscription: Subscription) -> str:
    mention = f" (mention {subscription.mention})" if subscription.mention else ""
    return f"#{subscription.id} {describe(subscription.filter)}{mention}"


def subscription_list(subscriptions: list[Subscription]) -> str:
    if not subscriptions:
        return "No subscriptions yet. Example: /subscribe BTC ETH positive"
    lines = ["Subscriptions (remove one with /unsubscribe ID):"]
    lines += [subscription_line(s) for s in subscriptions]
    return "\n".join(lines)


def delivery_mode(chat: ChatSettings) -> str:
    if chat.mode != "digest":
        return "instant alerts"
    if chat.digest_schedule == "daily" and chat.digest_time:
        return f"a daily digest at {chat.digest_time} ({chat.timezone})"
    return "an hourly digest"


def settings_summary(chat: ChatSettings, now: datetime) -> str:
    parts = [f"Delivery: {delivery_mode(chat)}", f"time zone {chat.timezone}"]
    if chat.quiet_start and chat.quiet_end:
        parts.append(f"quiet {chat.quiet_start}-{chat.quiet_end}")
    if chat.muted_until and chat.muted_until > now:
        parts.append(f"muted until {when(chat.muted_until, zone(chat.timezone))}")
    return "; ".join(parts) + "."


def story_text(story: Story, articles: list[Article], tz: ZoneInfo) -> str:
    sources = len({a.source_key for a in articles}) or len(story.source_keys)
    head = f"Story {story.id}: {cut(story.title, LIST_TITLE)}\n"
    head += f"{len(articles)} article(s) from {sources} source(s), first "
    head += f"{when(story.first_published_at, tz)}, last {when(story.last_updated_at, tz)}."
    return "\n".join([head, *(article_line(a, tz) for a in articles)])
