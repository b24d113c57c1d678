"""The default templates reproduce today's fixed renderers exactly (so no chat changes look
until it chooses), and a chat's template is escaped and cut by each platform's renderer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.discord import render as discord_render
from adapters.telegram import render as telegram_render
from bot.delivery import formatting
from bot.delivery.templating import presets
from bot.delivery.templating.engine import Templates
from bot.models import Alert, Article, DeliveryKind, Sentiment

TEMPLATES = Templates()
NOW = datetime(2026, 1, 7, 3, 54, tzinfo=UTC)


def _article(**changes: object) -> Article:
    base = Article(
        title="Bitcoin <b>ETF</b> inflows hit a *record* as funds add 12,000 BTC & more_",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=NOW,
        summary="Spot funds took in **more** than expected; <i>analysts</i> say demand holds.",
        body="Body text.",
        url="https://decrypt.co/etf-inflows?a=1&b=2",
        tags=("BTC", "ETF"),
        sentiment=Sentiment.POSITIVE,
        image_url="https://decrypt.co/cover.jpg",
        id=12,
        story_id=7,
    )
    return replace(base, **changes)


CASES = {
    "plain": Alert(article=_article()),
    "sources": Alert(article=_article(sentiment=Sentiment.NEGATIVE), extra_sources=1),
    "more sources": Alert(article=_article(), extra_sources=3, timezone="Europe/Berlin"),
    "breaking": Alert(article=_article(), kind=DeliveryKind.BREAKING),
    "updated": Alert(article=_article(updated_at=NOW), updated=True, extra_sources=2),
    "retracted": Alert(article=_article(retracted=True), updated=True, retracted=True),
    "breaking retracted": Alert(
        article=_article(), kind=DeliveryKind.BREAKING, retracted=True, updated=True
    ),
    "no tags": Alert(article=_article(tags=(), url=None, image_url=None, id=None)),
    "no summary": Alert(article=_article(summary="", sentiment=Sentiment.NEUTRAL)),
    "mention": Alert(article=_article(), mention="@alice_trader"),
    "mention no tags": Alert(article=_article(tags=()), mention="@alice_trader"),
    "long": Alert(article=_article(summary="word " * 1500, body="x " * 5000)),
    "long no tags": Alert(article=_article(summary="longer " * 1500, tags=())),
}


def _templated(alert: Alert, platform: str) -> Alert:
    rendered = TEMPLATES.render(presets.standard(platform), alert)
    return replace(alert, rendered=rendered)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("limit", [4096, 1024, 300])
def test_telegram_default_template_is_todays_html(name: str, limit: int) -> None:
    alert = CASES[name]
    expected = telegram_render.render_alert(alert, limit=limit)
    assert telegram_render.render_alert(_templated(alert, "telegram"), limit=limit) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_discord_default_template_is_todays_embed(name: str) -> None:
    alert = CASES[name]
    expected = discord_render.alert_embed(alert).to_dict()
    assert discord_render.alert_embed(_templated(alert, "discord")).to_dict() == expected


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("limit", [4096, 400])
def test_console_default_template_is_todays_text(name: str, limit: int) -> None:
    alert = CASES[name]
    expected = formatting.render_alert(alert, limit)
    assert formatting.render_alert(_templated(alert, "console"), limit) == expected


def test_every_placeholder_is_documented_in_the_docs_and_in_help() -> None:
    from pathlib import Path

    from bot.commands.templates import template_help
    from bot.delivery.templating.values import PLACEHOLDERS, alert_values

    docs = (Path(__file__).resolve().parents[1] / "docs" / "templates.md").read_text()
    shown = alert_values(CASES["plain"])
    for name in PLACEHOLDERS:
        assert f"| `{name}` |" in docs, name
        assert f"  {name}: " in template_help(), name
        assert name in shown or name == "mention", name
