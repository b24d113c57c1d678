"""Neutral alerts and replies -> Discord embeds, always within Discord's embed limits.

Discord rejects an oversized embed with a 400, which would turn a news alert into a
permanent failure; so every text is cut here, to limits declared as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import discord

from adapters.discord import escape
from bot.i18n import N_, _, _n, use_locale
from bot.models import (
    Alert,
    Article,
    DeliveryKind,
    Line,
    RenderedAlert,
    Reply,
    Sentiment,
    Span,
)

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class EmbedLimits:
    """Discord's documented limits (characters unless said otherwise)."""

    title: int = 256
    description: int = 4096
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    total: int = 6000
    fields: int = 25
    content: int = 2000
    embeds_per_message: int = 10
    thread_name: int = 100
    url: int = 2048


LIMITS = EmbedLimits()

COLOURS: dict[Sentiment, int] = {
    Sentiment.POSITIVE: 0x2ECC71,
    Sentiment.NEGATIVE: 0xE74C3C,
    Sentiment.NEUTRAL: 0x95A5A6,
}
RETRACTED_COLOUR = 0x2C2F33
DIGEST_COLOUR = 0x3498DB
SENTIMENT_NAMES = {
    Sentiment.POSITIVE: N_("Positive"),
    Sentiment.NEGATIVE: N_("Negative"),
    Sentiment.NEUTRAL: N_("Neutral"),
}


def cut(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters, marking the cut with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def web_url(url: str | None) -> str | None:
    """Only http(s) URLs within the limit: Discord rejects anything else with a 400."""
    if url and url.startswith(("https://", "http://")) and len(url) <= LIMITS.url:
        return url
    return None


def embed_size(embed: discord.Embed) -> int:
    """Characters that count towards Discord's 6000 total (discord.py's own ``len``)."""
    return len(embed)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _markers(alert: Alert) -> tuple[str, list[str]]:
    """Title prefix (BREAKING / RETRACTED) and footer markers (updated, +N sources)."""
    prefix = ""
    if alert.retracted or alert.article.retracted:
        prefix = _("RETRACTED") + " · "
    elif alert.kind is DeliveryKind.BREAKING:
        prefix = "🔴 " + _("BREAKING") + " · "
    footer: list[str] = []
    if alert.updated:
        footer.append(_("updated"))
    if alert.extra_sources > 0:
        footer.append(_n("+{count} source", "+{count} sources", alert.extra_sources))
    return prefix, footer


def alert_embed(alert: Alert, limits: EmbedLimits = LIMITS) -> discord.Embed:
    """One article as an embed: linked title, summary, colour by sentiment, fields, image;
    the bot's words in the receiving chat's language."""
    with use_locale(alert.language):
        return _alert_embed(alert, limits)


def _alert_embed(alert: Alert, limits: EmbedLimits) -> discord.Embed:
    if alert.rendered is not None:  # the chat's own template
        return template_embed(alert, alert.rendered, limits)
    if alert.kind is DeliveryKind.DIGEST and alert.digest_items:
        return digest_embed(alert.digest_items, limits)
    article = alert.article
    prefix, footer = _markers(alert)
    retracted = alert.retracted or article.retracted
    embed = discord.Embed(
        title=cut(prefix + escape.markdown(article.title), limits.title),
        url=web_url(article.url),
        colour=RETRACTED_COLOUR if retracted else COLOURS.get(article.sentiment, 0),
        timestamp=_aware(article.updated_at or article.published_at),
    )
    if article.source_name or article.source_key:
        source = article.source_name or article.source_key
        embed.add_field(name=_("Source"), value=cut(source, limits.field_value), inline=True)
    if article.tags:
        tags = " ".join(f"`{tag}`" for tag in article.tags)
        embed.add_field(name=_("Tags"), value=cut(tags, limits.field_value), inline=True)
    mood = _(SENTIMENT_NAMES.get(article.sentiment, article.sentiment.value.title()))
    embed.add_field(name=_("Sentiment"), value=mood, inline=True)
    if article.id is not None:
        embed.set_author(name=cut(_("Article {id}", id=article.id), limits.author))
    footer.append("Cryptowire")
    embed.set_footer(text=cut(" · ".join(footer), limits.footer))
    image = web_url(article.image_url)
    if image and not retracted:
        embed.set_image(url=image)
    summary = article.summary or article.body
    if retracted:
        summary = _("This story was retracted by its source.")
    budget = min(limits.description, limits.total - embed_size(embed))
    text = cut(escape.markdown(summary), budget)
    if text:
        embed.description = text
    return embed


def _digest_line(article: Article) -> str:
    title = escape.markdown(article.title).replace("[", "(").replace("]", ")")
    url = web_url(article.url)
    head = f"[{cut(title, 200)}]({url})" if url else cut(title, 200)
    return f"• {head} · {article.source_name or article.source_key}"


def digest_embed(items: tuple[Article, ...], limits: EmbedLimits = LIMITS) -> discord.Embed:
    """Several stories as one embed of linked lines; what does not fit is counted."""
    title = _n("Digest · {count} story", "Digest · {count} stories", len(items))
    embed = discord.Embed(title=title, colour=DIGEST_COLOUR)
    embed.set_footer(text=_("Cryptowire digest"))
    budget = min(limits.description, limits.total - embed_size(embed)) - 40
    lines: list[str] = []
    used = 0
    for index, article in enumerate(items):
        line = _digest_line(article)
        if used + len(line) + 1 > budget:
            lines.append(_("…and {count} more", count=len(items) - index))
            break
        lines.append(line)
        used += len(line) + 1
    embed.description = "\n".join(lines)
    return embed


def article_list_embed(article: Article, limits: EmbedLimits = LIMITS) -> discord.Embed:
    """A compact embed for an article listed in a command reply (/latest, /search)."""
    when = discord.utils.format_dt(_aware(article.published_at), "R")
    meta = [f"#{article.id}" if article.id is not None else "", article.source_name, when]
    if article.story_id is not None:
        meta.insert(1, _("story {id}", id=article.story_id))
    if article.tags:
        meta.append(" ".join(article.tags[:6]))
    embed = discord.Embed(
        title=cut(discord.utils.escape_markdown(article.title), limits.title),
        url=web_url(article.url),
        colour=COLOURS.get(article.sentiment, 0),
        description=cut(" · ".join(part for part in meta if part), 512),
    )
    return embed


def words_around_entries(text: str, articles: tuple[Article, ...]) -> str:
    """The core's plain reply without its article entries ("[ID] title" + indented lines).

    The entries are shown as embeds instead; the header, notes and hints around them
    stay. Without an entry to recognise, the text is kept whole.
    """
    ids = {f"[{a.id}]" for a in articles if a.id is not None}
    kept: list[str] = []
    in_entry = False
    for line in text.splitlines():
        if ids and line.split(" ", 1)[0] in ids:
            in_entry = True
            continue
        if in_entry and line.startswith((" ", "\t")):
            continue
        in_entry = False
        kept.append(line)
    return "\n".join(kept).strip()


def reply_message(
    reply: Reply, limits: EmbedLimits = LIMITS
) -> tuple[str | None, list[discord.Embed]]:
    """A command reply as message content plus embeds, within content and total limits.

    Listed articles become compact embeds (their plain-text entries leave the content);
    what does not fit is counted. Text longer than a message allows goes into an embed
    description (4096) instead of being cut at 2000.
    """
    text = words_around_entries(reply.text, reply.articles) if reply.articles else reply.text
    # The core writes plain text; Discord would read "#12" or "a_b_c" as markdown.
    content: str | None = discord.utils.escape_markdown(text.strip()) or None
    embeds: list[discord.Embed] = []
    total = 0
    if content and len(content) > limits.content:
        text_embed = discord.Embed(description=cut(content, limits.description))
        embeds.append(text_embed)
        total += embed_size(text_embed)
        content = None
    shown = 0
    for article in reply.articles:
        if len(embeds) >= limits.embeds_per_message:
            break
        embed = article_list_embed(article, limits)
        if total + embed_size(embed) > limits.total:
            break
        embeds.append(embed)
        total += embed_size(embed)
        shown += 1
    if shown < len(reply.articles):
        more = _(
            "({count} more not shown; narrow the query to see them)",
            count=len(reply.articles) - shown,
        )
        content = cut(f"{content}\n{more}" if content else more, limits.content)
    if content is None and not embeds:
        content = _("Nothing to show.")
    return content, embeds


# -- a chat template's neutral output as an embed --------------------------------------------


def span_markdown(text: str, *, bold: bool, italic: bool, strike: bool, code: bool) -> str:
    """Escaped text with Discord markdown for its style (code spans are shown verbatim)."""
    if code:
        return f"`{text.replace('`', 'ˋ')}`" if text else ""
    out = escape.markdown_and_mentions(text)
    if strike:
        out = f"~~{out}~~"
    if italic:
        out = f"*{out}*"
    if bold:
        out = f"**{out}**"
    return out


def _styled(escaped: str, span: Span) -> str:
    """Markdown style marks around already escaped text (the cut summary)."""
    if span.strike:
        escaped = f"~~{escaped}~~"
    if span.italic:
        escaped = f"*{escaped}*"
    if span.bold:
        escaped = f"**{escaped}**"
    return escaped


def line_markdown(line: Line, elastic: str | None = None) -> str:
    """One line; a link span becomes [text](article URL); ``elastic`` replaces the summary."""
    parts = []
    for span in line:
        if span.elastic and elastic is not None:
            parts.append(_styled(elastic, span) if elastic else "")
            continue
        text = span_markdown(
            span.text, bold=span.bold, italic=span.italic, strike=span.strike, code=span.code
        )
        url = web_url(span.url)
        if url and text:
            text = f"[{text.replace('[', '(').replace(']', ')')}]({url})"
        parts.append(text)
    return "".join(parts)


def _plain(line: Line) -> str:
    return "".join(span.text for span in line)


def _colour(alert: Alert, choice: str) -> int | None:
    if choice == "none":
        return None
    if choice.startswith("#"):
        return int(choice[1:], 16)
    if alert.retracted or alert.article.retracted:
        return RETRACTED_COLOUR
    return COLOURS.get(alert.article.sentiment, 0)


def template_embed(
    alert: Alert, rendered: RenderedAlert, limits: EmbedLimits = LIMITS
) -> discord.Embed:
    """The template's embed: its title (linked to the article), fields, author, footer,
    colour and image, and its text as the description, all escaped and within limits.
    The summary (the elastic part) is what shrinks when the description is too long."""
    article = alert.article
    title = cut(line_markdown(rendered.title), limits.title) if rendered.title else None
    embed = discord.Embed(
        title=title,
        url=web_url(article.url) if title else None,
        colour=_colour(alert, rendered.colour),
        timestamp=_aware(article.updated_at or article.published_at)
        if rendered.timestamp
        else None,
    )
    for name, value, inline in rendered.fields[: limits.fields]:
        text = cut(line_markdown(value), limits.field_value)
        if name.strip() and text:
            embed.add_field(name=cut(name, limits.field_name), value=text, inline=inline)
    if rendered.author.strip():
        embed.set_author(name=cut(rendered.author, limits.author))
    if rendered.footer.strip():
        embed.set_footer(text=cut(rendered.footer, limits.footer))
    image = web_url(article.image_url)
    if image and rendered.image and alert.kind is not DeliveryKind.DIGEST:
        embed.set_image(url=image)
    budget = min(limits.description, limits.total - embed_size(embed))
    lines = [line_markdown(line) for line in rendered.lines]
    text = "\n".join(lines)
    if len(text.strip()) > budget:
        for index, line in enumerate(rendered.lines):
            spans = [s for s in line if s.elastic]
            if not spans:
                continue
            body = span_markdown(
                _plain(tuple(spans)), bold=False, italic=False, strike=False, code=False
            )
            marks = len(_styled("", spans[0]))
            room = budget - (len(text.strip()) - len(body)) - marks
            lines[index] = line_markdown(line, cut(body, room) if room > 1 else "")
            text = "\n".join(lines)
            break
    text = cut(text, budget)
    if text:
        embed.description = text
    return embed
