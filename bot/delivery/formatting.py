"""Neutral rendering helpers every adapter shares: cutting, splitting, plain-text alerts.

Adapters with rich markup (Telegram HTML, Discord embeds) build their own layout but reuse
the pieces (hashtags, sentiment markers, "+N sources", cutting to their declared limits);
the console and any plain-text fallback use ``render_alert`` as is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.alerts import schedule_rules
from bot.i18n import N_, _, _n, current, use_locale
from bot.i18n.formats import stamp
from bot.models import Alert, Article, DeliveryKind, RenderedAlert, Reply, Sentiment

ELLIPSIS = "…"
SUMMARY_CHARS = 320
_TAG_CHARS = re.compile(r"[^0-9A-Za-z_]")
_MARKERS = {
    Sentiment.POSITIVE: ("▲", N_("positive")),
    Sentiment.NEGATIVE: ("▼", N_("negative")),
    Sentiment.NEUTRAL: ("●", N_("neutral")),
}


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, ending in ``ellipsis``."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    room = limit - len(ellipsis)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    # a word longer than a third of the room is cut mid-word rather than losing the text
    head = cut[:space] if space > room * 2 // 3 else text[:room]
    return head.rstrip(" \t\n.,;:-—") + ellipsis


def split_text(text: str, limit: int) -> list[str]:
    """Split into parts of at most ``limit`` characters: at paragraphs, lines, then words."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def hashtag(tag: str) -> str:
    """``#BTC``; characters a hashtag cannot hold are dropped (``#DEFI_2``)."""
    cleaned = _TAG_CHARS.sub("", tag.replace("-", "_").replace(" ", "_"))
    return f"#{cleaned}" if cleaned else ""


def hashtags(tags: tuple[str, ...] | list[str], limit: int = 8) -> str:
    seen = dict.fromkeys(h for h in (hashtag(t) for t in tags) if h)
    return " ".join(list(seen)[:limit])


def sentiment_marker(sentiment: Sentiment) -> str:
    symbol, word = _MARKERS.get(sentiment, ("", ""))
    return f"{symbol} {_(word)}" if symbol else ""


def local_time(moment: datetime, zone: str | None = None) -> datetime:
    """``moment`` (naive means UTC) in the chat's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(schedule_rules.zone(zone))


def format_time(moment: datetime, zone: str | None = None) -> str:
    """To the minute in the chat's zone, named: ``2026-01-07 04:54 CET`` (UTC by default)."""
    local = local_time(moment, zone)
    if current() == "en":
        return local.strftime("%Y-%m-%d %H:%M %Z")
    return f"{stamp(local)} {local.strftime('%Z')}"


def sources_note(extra: int) -> str:
    """``+2 sources`` when others reported the same story; empty otherwise."""
    if extra <= 0:
        return ""
    return _n("+{count} source", "+{count} sources", extra)


def status_markers(alert: Alert) -> list[str]:
    """BREAKING / UPDATED / RETRACTED, in that order, as words adapters can style."""
    markers = []
    if alert.kind is DeliveryKind.BREAKING:
        markers.append(_("BREAKING"))
    if alert.retracted or alert.article.retracted:
        markers.append(_("RETRACTED"))
    elif alert.updated:
        markers.append(_("UPDATED"))
    return markers


def byline(article: Article, extra_sources: int = 0, zone: str | None = None) -> str:
    """``Decrypt · 2026-01-07 03:54 UTC · ▼ negative · +1 source``."""
    bits = [
        article.source_name or article.source_key,
        format_time(article.updated_at or article.published_at, zone),
        sentiment_marker(article.sentiment),
        sources_note(extra_sources),
    ]
    return " · ".join(b for b in bits if b)


def article_line(article: Article) -> str:
    """One line for lists (digests, /latest): ``[12] Title — Decrypt, 2026-01-07 03:54 UTC``."""
    ref = f"[{article.id}] " if article.id is not None else ""
    when = format_time(article.published_at)
    return f"{ref}{article.title} — {article.source_name or article.source_key}, {when}"


def render_alert(alert: Alert, max_len: int = 4096) -> str:
    """The plain-text alert: markers, title, byline, summary, hashtags, link, mention (the
    bot's words in the receiving chat's language)."""
    with use_locale(alert.language):
        return _render_alert(alert, max_len)


def _render_alert(alert: Alert, max_len: int) -> str:
    if alert.rendered is not None:  # the chat's own template
        return render_plain(alert.rendered, max_len)
    if alert.kind is DeliveryKind.DIGEST or alert.digest_items:
        return render_digest(alert, max_len)
    article = alert.article
    head = [" · ".join(status_markers(alert))] if status_markers(alert) else []
    head += [article.title, byline(article, alert.extra_sources, alert.timezone)]
    tail = [hashtags(article.tags), article.url or "", alert.mention or ""]
    summary = truncate(" ".join(article.summary.split()), SUMMARY_CHARS)
    fixed = "\n".join(line for line in head + tail if line)
    room = max_len - len(fixed) - 2
    lines = head + ([truncate(summary, room)] if summary and room > 20 else []) + tail
    return truncate("\n".join(line for line in lines if line), max_len)


def render_plain(rendered: RenderedAlert, max_len: int = 4096) -> str:
    """A template's output as plain text; the summary (elastic) shrinks first to fit."""
    lines = ["".join(span.text for span in line) for line in rendered.lines]
    if rendered.mention:
        lines.append(rendered.mention)
    text = "\n".join(lines)
    if len(text) <= max_len:
        return text
    for index, line in enumerate(rendered.lines):
        body = "".join(span.text for span in line if span.elastic)
        if body:
            rest = "".join(span.text for span in line if not span.elastic)
            room = max_len - (len(text) - len(body)) - 2
            lines[index] = rest + truncate(body, room) if room > 20 else rest
            text = "\n".join(lines)
            break
    return truncate(text, max_len)


def render_digest(alert: Alert, max_len: int = 4096) -> str:
    """A chat's digest as one message: a numbered list of stories with their links."""
    items = alert.digest_items or (alert.article,)
    title = _n("Digest: {count} story", "Digest: {count} stories", len(items))
    lines = [title]
    for number, article in enumerate(items, 1):
        marker = sentiment_marker(article.sentiment).split(" ")[0]
        lines.append(f"{number}. {article.title} — {article.source_name} {marker}".rstrip())
        if article.url:
            lines.append(f"   {article.url}")
    text = "\n".join(lines)
    if len(text) <= max_len:
        return text
    kept = [title]
    for line in lines[1:]:
        if len("\n".join([*kept, line])) + 24 > max_len:
            break
        kept.append(line)
    shown = sum(1 for line in kept[1:] if not line.startswith("   "))
    kept.append(_("… and {count} more", count=len(items) - shown))
    return truncate("\n".join(kept), max_len)


def render_reply(reply: Reply, max_len: int = 4096) -> str:
    """A command reply in plain text.

    ``Reply.text`` is already complete for plain-text chats; ``articles`` are there for
    adapters that draw cards. Only a reply with no text gets one line per article.
    """
    if reply.text:
        return truncate(reply.text, max_len)
    lines = []
    for article in reply.articles:
        lines.append(article_line(article))
        if article.url:
            lines.append(f"   {article.url}")
    return truncate("\n".join(lines), max_len)
