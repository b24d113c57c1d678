"""Alerts and replies as Telegram HTML: every piece of article or user text escaped.

Telegram counts a message's length on the visible text (after entities are parsed) in
UTF-16 code units: 4096 for messages, 1024 for photo captions. Alerts are cut to fit (the
summary shrinks, the title, source and tags stay); long command replies are split.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from bot.delivery.formatting import local_time
from bot.i18n import N_, _, _n, current, use_locale
from bot.i18n.formats import stamp
from bot.models import Alert, Article, DeliveryKind, Line, RenderedAlert, Sentiment, Span

MAX_TEXT = 4096
MAX_CAPTION = 1024
ELLIPSIS = "…"
_TAG = re.compile(r"<[^>]+>")
_NOT_WORD = re.compile(r"[^\w]+")
SENTIMENT_MARKERS = {
    Sentiment.POSITIVE: "🟢 Positive",
    Sentiment.NEGATIVE: "🔴 Negative",
    Sentiment.NEUTRAL: "⚪ Neutral",
}
SENTIMENT_WORDS = {
    Sentiment.POSITIVE: N_("Positive"),
    Sentiment.NEGATIVE: N_("Negative"),
    Sentiment.NEUTRAL: N_("Neutral"),
}


def sentiment_marker(sentiment: Sentiment) -> str:
    """``🟢 Positive`` in the call's language."""
    marker = SENTIMENT_MARKERS.get(sentiment)
    if marker is None:
        return esc(str(sentiment))
    return f"{marker.split(' ')[0]} {esc(_(SENTIMENT_WORDS[sentiment]))}"


LIST_TITLE = 200  # characters of a title in lists and digests


def esc(text: str | None) -> str:
    """Escape text for HTML parse mode (quotes too: the same helper serves attributes)."""
    return html.escape(text or "", quote=True)


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Visible length of HTML we generated ourselves (tags dropped, entities decoded)."""
    return tg_len(html.unescape(_TAG.sub("", markup)))


def hashtag(tag: str) -> str:
    """A tag as a clickable Telegram hashtag: letters, digits and underscores only."""
    word = _NOT_WORD.sub("_", tag.strip()).strip("_")
    return f"#{word}" if word else ""


def format_time(moment: datetime, zone: str | None = None) -> str:
    """``07 Jan 2026, 04:54 CET``: in the chat's zone (``/timezone``), UTC by default."""
    local = local_time(moment, zone)
    if current() == "en":
        return local.strftime("%d %b %Y, %H:%M %Z")
    return f"{stamp(local)} {local.strftime('%Z')}"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become anchors; anything else is shown as plain text or dropped."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def link(title: str, url: str | None) -> str:
    target = safe_url(url)
    return f'<a href="{esc(target)}">{esc(title)}</a>' if target else esc(title)


def _truncate(text: str, budget: int) -> str:
    """Cut plain text to ``budget`` UTF-16 units, at a word boundary when one is near."""
    if tg_len(text) <= budget:
        return text
    if budget <= 1:
        return ""
    room = budget - 1
    cut = text[:room]
    while tg_len(cut) > room:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _fit(head: str, body: str, tail: str, limit: int) -> str:
    """Join head, escaped ``body`` (plain text) and tail, shrinking the body to fit."""
    fixed = visible_len(head) + visible_len(tail) + (4 if body else 0)
    budget = limit - fixed
    if budget < 0:  # even without the summary too long: cut the head itself (title)
        return esc(_truncate(html.unescape(_TAG.sub("", head + tail)), limit))
    parts = [head]
    if body and budget > 1:
        parts.append(esc(_truncate(body, budget)))
    if tail:
        parts.append(tail)
    return "\n\n".join(parts)


def alert_head(alert: Alert) -> str:
    """Markers, bold linked title and the meta line (sentiment, source, time, +N sources)."""
    article = alert.article
    lines: list[str] = []
    if alert.retracted or article.retracted:
        lines.append(_("⚠️ <b>RETRACTED</b>: the source withdrew this story."))
    elif alert.kind is DeliveryKind.BREAKING:
        lines.append(_("🚨 <b>BREAKING</b>"))
    if alert.updated and not (alert.retracted or article.retracted):
        lines.append(_("✏️ <i>Updated</i>"))
    title = link(article.title, article.url)
    if alert.retracted or article.retracted:
        title = f"<s>{title}</s>"
    lines.append(f"<b>{title}</b>")
    meta = [
        sentiment_marker(article.sentiment),
        f"<i>{esc(article.source_name or article.source_key)}</i>",
        esc(format_time(article.updated_at or article.published_at, alert.timezone)),
    ]
    if alert.extra_sources > 0:
        sources = _n("+{count} source", "+{count} sources", alert.extra_sources)
        meta.append(f"<b>{esc(sources)}</b>")
    lines.append(" · ".join(meta))
    return "\n".join(lines)


def alert_tail(alert: Alert) -> str:
    tags = " ".join(filter(None, (hashtag(tag) for tag in alert.article.tags)))
    mention = esc(alert.mention) if alert.mention else ""
    return "\n".join(part for part in (tags, mention) if part)


def render_alert(alert: Alert, *, limit: int = MAX_TEXT) -> str:
    """The alert as HTML whose visible length is at most ``limit`` (use 1024 for captions),
    the bot's words in the receiving chat's language."""
    if alert.rendered is not None:  # the chat's own template: no words of the bot's own
        return render_template(alert.rendered, limit=limit)
    with use_locale(alert.language):
        return _render_alert(alert, limit)


def _render_alert(alert: Alert, limit: int) -> str:
    if alert.rendered is not None:  # the chat's own template
        return render_template(alert.rendered, limit=limit)
    if alert.kind is DeliveryKind.DIGEST or alert.digest_items:
        return render_digest(alert, limit=limit)
    summary = " ".join(alert.article.summary.split())
    return _fit(alert_head(alert), summary, alert_tail(alert), limit)


def article_line(number: int, article: Article, zone: str | None = None) -> str:
    """One compact list entry: number, linked title, source, time, sentiment dot, id."""
    dot = SENTIMENT_MARKERS.get(article.sentiment, "").split(" ")[0]
    details = [f"<i>{esc(article.source_name or article.source_key)}</i>"]
    details.append(esc(format_time(article.published_at, zone)))
    if article.id is not None:
        details.append(_("id <code>{id}</code>", id=article.id))
    if article.story_id is not None:
        details.append(_("story <code>{id}</code>", id=article.story_id))
    title = article.title if len(article.title) <= LIST_TITLE else article.title[:199] + "…"
    return f"<b>{number}.</b> {dot} {link(title, article.url)}\n" + " · ".join(details)


def render_digest(alert: Alert, *, limit: int = MAX_TEXT) -> str:
    items = alert.digest_items or (alert.article,)
    head = _n("🗞 <b>Digest</b> · {count} story", "🗞 <b>Digest</b> · {count} stories", len(items))
    lines = [head]
    for number, article in enumerate(items, 1):
        entry = article_line(number, article, alert.timezone)
        more = _("…and {count} more", count=len(items) - number + 1)
        if visible_len("\n\n".join([*lines, entry])) + len(more) + 2 > limit:
            lines.append(esc(more))
            break
        lines.append(entry)
    return "\n\n".join(lines)


def reply_parts(text: str, articles: Sequence[Article]) -> tuple[str, str]:
    """The core's plain reply around a list: (lines before the entries, lines after).

    The core writes each entry as "[ID] title" plus indented lines, for consoles; we show
    the entries natively, so only the words around them are kept. Without ids to find,
    the first line is the header.
    """
    ids = {f"[{a.id}]" for a in articles if a.id is not None}
    before: list[str] = []
    after: list[str] = []
    in_entries = False
    for line in text.splitlines():
        if ids and line.split(" ", 1)[0] in ids:
            in_entries = True
            continue
        if in_entries and line.startswith((" ", "\t")):
            continue
        (after if in_entries else before).append(line)
    if not in_entries:
        return (before[0] if before else ""), ""
    return "\n".join(before).strip(), "\n".join(after).strip()


def render_article_list(
    header: str, articles: Sequence[Article], *, start: int = 1, footer: str = ""
) -> str:
    """A page of /latest, /search or /story results around the core's own header/footer."""
    head_lines = header.splitlines()
    blocks = []
    if head_lines:
        blocks.append("\n".join([f"<b>{esc(head_lines[0])}</b>", *map(esc, head_lines[1:])]))
    blocks.extend(article_line(start + index, article) for index, article in enumerate(articles))
    if footer:
        blocks.append(f"<i>{esc(footer)}</i>")
    return "\n\n".join(blocks)


def _hard_wrap(line: str, limit: int) -> list[str]:
    """Break one over-long line into pieces of at most ``limit``, at spaces when possible."""
    pieces: list[str] = []
    while tg_len(line) > limit:
        cut = line[:limit]
        while tg_len(cut) > limit:
            cut = cut[:-1]
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
        pieces.append(cut)
        line = line[len(cut) :].lstrip()
    pieces.append(line)
    return pieces


def split_text(text: str, *, limit: int = MAX_TEXT) -> list[str]:
    """Escape a plain reply and split it into messages at line (or word) boundaries.

    Escaping does not change the visible length, so chunks are measured on the plain text.
    An empty reply gives no message at all (Telegram refuses empty texts).
    """
    chunks: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        for piece in _hard_wrap(line, limit):
            candidate = piece if current is None else f"{current}\n{piece}"
            if current is not None and tg_len(candidate) > limit:
                chunks.append(current)
                current = piece
            else:
                current = candidate
    if current is not None:
        chunks.append(current)
    return [esc(chunk.strip("\n")) for chunk in chunks if chunk.strip()]


# -- a chat template's neutral output as Telegram HTML -------------------------------------


def span_html(span: Span) -> str:
    """One span escaped and styled; a link only to the article's http(s) URL."""
    text = esc(span.text)
    target = safe_url(span.url)
    if target:
        text = f'<a href="{esc(target)}">{text}</a>'
    if span.code:
        text = f"<code>{text}</code>"
    if span.strike:
        text = f"<s>{text}</s>"
    if span.italic:
        text = f"<i>{text}</i>"
    if span.bold:
        text = f"<b>{text}</b>"
    return text


@lru_cache(maxsize=8192)
def _line_html(line: Line) -> str:
    """One line's HTML; kept, as one alert's lines are shared by every chat it goes to."""
    return "".join(span_html(span) for span in line)


@lru_cache(maxsize=8192)
def _line_len(line: Line) -> int:
    return tg_len("".join(span.text for span in line))


def _lines_html(lines: Sequence[Line]) -> str:
    return "\n".join(_line_html(line) for line in lines)


def _collapse(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _visible(lines: Sequence[Line]) -> int:
    """Visible length of ``_lines_html(lines)`` without building it: escaping and tags do
    not count, so it is the plain text's length."""
    return sum(_line_len(line) for line in lines) + max(0, len(lines) - 1)  # UTF-16 adds up


@lru_cache(maxsize=1024)
def _cut_span(style: Span, body: str, budget: int) -> Span:
    return replace(style, text=_truncate(body, budget), elastic=False)


def render_template(rendered: RenderedAlert, *, limit: int = MAX_TEXT) -> str:
    """A template's output as HTML of at most ``limit`` visible characters.

    As the fixed layout does: the elastic part (the summary) shrinks first, then, if even
    the rest is too long, the whole message is cut as plain text.
    """
    lines = list(rendered.lines)
    if rendered.mention:
        lines += [(), (Span(rendered.mention),)]
    visible = _visible(lines)
    if visible <= limit:
        return _lines_html(lines)
    elastic = [i for i, line in enumerate(lines) if any(s.elastic for s in line)]
    if elastic:
        index = elastic[0]
        body = "".join(s.text for s in lines[index] if s.elastic)
        style = next(s for s in lines[index] if s.elastic)
        # the fixed layout reserved a separator on both sides of the summary
        last = all(not line for line in lines[index + 1 :])
        budget = limit - (visible - tg_len(body)) - (2 if last else 0)
        kept = [
            tuple(s for s in line if not s.elastic) if i in elastic else line
            for i, line in enumerate(lines)
        ]
        if budget >= 0:
            if budget > 1:
                cut = _cut_span(style, body, budget)
                kept[index] = (*kept[index], cut)
            kept = _collapse(kept)
            if _visible(kept) <= limit:
                return _lines_html(kept)
        lines = [line for i, line in enumerate(kept) if i != index or line]
    text = "\n".join("".join(s.text for s in line) for line in _collapse(lines))
    return esc(_truncate(text, limit))
