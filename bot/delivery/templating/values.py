"""What a template can show: one dict of placeholders per alert, documented in one table.

``PLACEHOLDERS`` is the single list: ``docs/templates.md``, ``/help template`` and the
set-time check ("unknown placeholder") all read it. Every text value is stripped of styling
marks, so article text cannot style itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from bot.alerts import schedule_rules
from bot.delivery.templating.markup import ELASTIC, wrap
from bot.i18n import N_
from bot.models import Alert, Article, DeliveryKind, Sentiment

BODY_CHARS = 3000  # the body is long; nobody wants more than this in a chat message
# No platform shows more than 4,096 characters of a message, so a longer summary is cut to
# fit anyway; a summary longer than this is taken as its first SUMMARY_CHARS (the
# adapter's cut, with its ellipsis, then happens within them exactly as before).
SUMMARY_CHARS = 4200
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"
EMOJI = {Sentiment.POSITIVE: "🟢", Sentiment.NEGATIVE: "🔴", Sentiment.NEUTRAL: "⚪"}
ARROW = {Sentiment.POSITIVE: "▲", Sentiment.NEGATIVE: "▼", Sentiment.NEUTRAL: "●"}
_elastic = wrap(ELASTIC)
_STRIP = {0xE000 + n: None for n in range(0x20)}

# name -> what it holds (shown by /template and /help template, and in docs/templates.md);
# marked for translation: /help template shows them in the chat's language
PLACEHOLDERS: dict[str, str] = {
    "title": N_("the headline"),
    "summary": N_("the summary (shortened first when the message is too long)"),
    "body": N_("the article text, at most {chars} characters (shortened first too)"),
    "source": N_("the source's name, e.g. Decrypt"),
    "source_key": N_("the source's key, e.g. decrypt"),
    "sources": N_("list of the story's sources (keys); e.g. {{ sources | join(', ') }}"),
    "sources_count": N_("how many sources report the story (1 or more)"),
    "extra_sources": N_("sources beyond this one (0 or more)"),
    "time": N_("when it was published or last updated, in the chat's zone: 2026-01-07 04:54 CET"),
    "published": N_("the same moment as a date for | date('%d %b %H:%M')"),
    "zone": N_("the chat's time zone name"),
    "tags": N_("list of tags; e.g. {{ tags | join(' ') }}"),
    "hashtags": N_("the tags as hashtags: #BTC #ETF"),
    "coins": N_("list of the coin tags only (BTC, ETH ...)"),
    "sentiment": N_("positive, negative or neutral"),
    "sentiment_emoji": "🟢, 🔴 or ⚪",
    "sentiment_arrow": "▲, ▼ or ●",
    "link": N_("the article's URL (empty when it has none)"),
    "image": N_("the article's cover image URL (empty when none)"),
    "id": N_("the article's id (for /why and /show)"),
    "story_id": N_("the story's id (for /story)"),
    "breaking": N_("true for breaking news"),
    "updated": N_("true when this message is an edit after the story changed"),
    "retracted": N_("true when the source withdrew the story"),
    "digest": N_("true when the message is a digest of several stories"),
    "items": N_("a digest's stories: each has the placeholders above (item.title, item.link ...)"),
    "count": N_("how many stories a digest holds"),
    "mention": N_("who /mention pings for this alert (added at the end when not placed)"),
}
# helpers (functions and filters) -> what they do
HELPERS: dict[str, str] = {
    "bold(x), italic(x), strike(x), code(x)": N_("style text; also as filters: {{ title | bold }}"),
    "linked(x)": N_("x as a link to the article (the only link a template can make)"),
    "x | cut(N)": N_("shorten to N characters at a word, ending with …"),
    "x | join(', '), x | upper, x | lower, x | capitalize, x | default('-')": N_("Jinja2 filters"),
    "x | date('%H:%M')": N_("format published (strftime codes)"),
    "embed(title=, footer=, author=, colour=, image=, timestamp=)": (
        N_("Discord embed parts; colour is 'sentiment', 'none' or '#rrggbb'")
    ),
    "field(name, value, inline=true)": N_("one Discord embed field"),
    "telegram(cover=, preview=)": N_("Telegram: send the cover image; show the link preview"),
}


@cache
def topic_tags() -> frozenset[str]:
    """Topic tags (ETF, DEFI ...) from the shipped table; every other tag is a coin."""
    text = resources.files("bot").joinpath("data/topics.tsv").read_text(encoding="utf-8")
    return frozenset(
        line.split("\t", 1)[0].strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


_MARK = re.compile("[\ue000-\ue01f]")


def _clean(text: str | None) -> str:
    text = text or ""
    return text.translate(_STRIP) if _MARK.search(text) else text  # almost never has one


def _hashtag(tag: str) -> str:
    word = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in tag.strip()).strip("_")
    return f"#{word}" if word else ""


def article_values(article: Article, zone: str, extra_sources: int = 0) -> dict[str, Any]:
    """The placeholders one article fills (used for the alert and for each digest item)."""
    moment = article.updated_at or article.published_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(schedule_rules.zone(zone))
    tags = [_clean(tag) for tag in article.tags]
    topics = topic_tags()
    summary = _clean(" ".join(article.summary[: SUMMARY_CHARS * 2].split())[:SUMMARY_CHARS])
    body = _clean(article.body[:BODY_CHARS])
    sentiment = article.sentiment
    return {
        "title": _clean(article.title),
        "summary": _elastic(summary),
        "body": _elastic(body),
        "source": _clean(article.source_name or article.source_key),
        "source_key": _clean(article.source_key),
        "sources_count": 1 + max(0, extra_sources),
        "extra_sources": max(0, extra_sources),
        "time": local.strftime(TIME_FORMAT),
        "published": local,
        "zone": zone,
        "tags": tags,
        "hashtags": " ".join(h for h in dict.fromkeys(map(_hashtag, tags)) if h),
        "coins": [tag for tag in tags if tag not in topics],
        "sentiment": sentiment.value.lower(),
        "sentiment_emoji": EMOJI.get(sentiment, ""),
        "sentiment_arrow": ARROW.get(sentiment, ""),
        "link": _clean(article.url) if _web(article.url) else "",
        "image": _clean(article.image_url) if _web(article.image_url) else "",
        "id": article.id if article.id is not None else "",
        "story_id": article.story_id if article.story_id is not None else "",
        "retracted": bool(article.retracted),
    }


def _web(url: str | None) -> bool:
    return bool(url and url.lower().startswith(("http://", "https://")))


def alert_values(alert: Alert, sources: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every placeholder for one alert (a digest fills ``items`` and ``count`` too)."""
    values = article_values(alert.article, alert.timezone, alert.extra_sources)
    digest = alert.kind is DeliveryKind.DIGEST or bool(alert.digest_items)
    items = alert.digest_items or ((alert.article,) if digest else ())
    values["sources"] = [_clean(s) for s in sources] or [values["source_key"]]
    values["breaking"] = alert.kind is DeliveryKind.BREAKING
    values["updated"] = bool(alert.updated)
    values["retracted"] = bool(alert.retracted or alert.article.retracted)
    values["digest"] = digest
    values["items"] = [article_values(a, alert.timezone) for a in items] if digest else []
    values["count"] = len(items)
    return values


def sample_article(now: datetime | None = None) -> Article:
    """The article a template is tried on when it is set (a typical alert)."""
    moment = now or datetime(2026, 1, 7, 3, 54, tzinfo=UTC)
    return Article(
        title="Bitcoin ETF inflows hit a record as funds add 12,000 BTC",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=moment,
        summary="Spot funds took in more than expected; analysts say demand holds.",
        body="Spot bitcoin funds took in more than expected this week.",
        url="https://decrypt.co/etf-inflows",
        tags=("BTC", "ETF"),
        sentiment=Sentiment.POSITIVE,
        image_url="https://decrypt.co/cover.jpg",
        id=12,
        story_id=7,
    )


def article_urls(alert: Alert) -> frozenset[str]:
    """The http(s) links a template may make: the article's and each digest item's."""
    found = {a.url for a in (alert.article, *alert.digest_items) if _web(a.url)}
    return frozenset(u for u in found if u)


def allowed_text(alert: Alert, mention: str | None = None) -> str:
    """Everything the article (and digest items) say: links and names found here may show."""
    parts: list[str] = [mention or ""]
    for article in (alert.article, *alert.digest_items):
        parts += [article.title, article.summary, article.body[:BODY_CHARS], article.url or ""]
        parts += [article.source_name, article.source_key, article.image_url or ""]
    return "\n".join(parts)
