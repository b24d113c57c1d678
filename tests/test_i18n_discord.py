"""Discord in its users' languages: slash commands localised through the Translator when
they sync, interactions answered in their ``locale``, alerts to a server channel in the
guild's ``preferred_locale`` (real discord.py, the fake Discord, the real core)."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.locales import CatalogTranslator, catalog_of
from bot.models import Sentiment
from storage.plugin import SqlStorage
from tests.archive_helpers import make
from tests.fakes.discord_world import MANAGE_CHANNELS, DiscordWorld
from tests.test_discord_core import AT, Core


class _Context:
    location = app_commands.TranslationContextLocation.command_description
    data = None


async def test_translator_gives_each_discord_locale_its_catalog():
    translator = CatalogTranslator()
    text = app_commands.locale_str("Search the archive")
    german = await translator.translate(text, discord.Locale.german, _Context())  # type: ignore[arg-type]
    chinese = await translator.translate(text, discord.Locale.chinese, _Context())  # type: ignore[arg-type]
    english = await translator.translate(text, discord.Locale.american_english, _Context())  # type: ignore[arg-type]
    hindi = await translator.translate(text, discord.Locale.hindi, _Context())  # type: ignore[arg-type]
    assert (german, chinese) == ("Das Archiv durchsuchen", "搜索存档")
    assert english is None and hindi is None  # English is the default; Hindi is not shipped
    assert catalog_of(discord.Locale.brazil_portuguese) == "pt_BR"
    assert catalog_of(discord.Locale.taiwan_chinese) == "zh_Hans"
    assert catalog_of(discord.Locale.spain_spanish) == "es"


async def test_synced_commands_carry_every_shipped_language(storage: SqlStorage):
    async with DiscordWorld(Core.build(storage).services()) as world:
        synced = {c["name"]: c for c in world.fake.commands["global"]}
    search = synced["search"]
    assert search["description"] == "Search the archive"
    names = search["description_localizations"]
    assert names["de"] == "Das Archiv durchsuchen"
    assert names["es-ES"] == names["es-419"] == "Buscar en el archivo"
    assert names["zh-CN"] == "搜索存档" and names["ru"] == "Поиск по архиву"
    assert names["pt-BR"] == "Buscar no arquivo" and names["ja"] and names["ko"]
    option = next(o for o in synced["latest"]["options"] if o["name"] == "tag")
    assert option["description_localizations"]["fr"] == "Seulement ce tag, p. ex. BTC"
    assert "name_localizations" not in search or not search["name_localizations"]
    for command in synced.values():  # every localisation within Discord's limits
        texts = list((command.get("description_localizations") or {}).values())
        for option in command.get("options", []):
            texts += list((option.get("description_localizations") or {}).values())
        assert all(1 <= len(t) <= 100 for t in texts), command["name"]


async def test_interactions_are_answered_in_their_locale_and_alerts_in_the_guilds(
    storage: SqlStorage,
):
    core = Core.build(storage)
    async with DiscordWorld(core.services()) as world:
        fake = world.fake
        german_dm = await fake.invoke("help", channel_id=world.dm, user=world.alice, locale="de")
        spanish = await fake.invoke(
            "subscribe",
            {"tags": "ETH"},
            channel_id=world.text,
            user=world.alice,
            permissions=MANAGE_CHANNELS,
            locale="es-ES",
            guild_locale="ja",
        )
        refused = await fake.invoke(
            "language",
            {"code": "ru"},
            channel_id=world.other,
            user=world.alice,
            locale="ru",
        )
        article = make(
            "Ethereum upgrade ships on mainnet",
            summary="The upgrade went live.",
            tags=("ETH",),
            sentiment=Sentiment.POSITIVE,
            at=AT,
            url="https://example.org/upgrade",
        )
        await core.pipeline.ingest_article(article, origin="test:i18n")
        await core.dispatcher(world.adapter).drain()
    assert "/search WORDS... - Das Archiv durchsuchen" in german_dm.content
    assert spanish.content.startswith("Suscrito a #") and "ETH" in spanish.content
    assert "Управлять каналами" in refused.content  # Manage Channels, in Russian
    (alert,) = fake.messages[world.text]
    embed = alert["embeds"][0]
    assert embed["title"] == "Ethereum upgrade ships on mainnet"  # the article as published
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["センチメント"] == "ポジティブ" and "ソース" in fields  # the guild's language


async def test_reply_embeds_follow_the_channels_chosen_language_not_the_users(
    storage: SqlStorage,
):
    """A channel switched to German: an English-speaking user's /latest lists articles
    whose embed words (story N) are German, as the core's own reply is."""
    core = Core.build(storage)
    async with DiscordWorld(core.services()) as world:
        fake = world.fake
        await core.pipeline.ingest_article(
            make("Ethereum upgrade ships on mainnet", tags=("ETH",), at=AT), origin="test:i18n"
        )
        await fake.invoke(
            "language",
            {"code": "de"},
            channel_id=world.text,
            user=world.alice,
            permissions=MANAGE_CHANNELS,
            locale="en-US",
        )
        listed = await fake.invoke(
            "latest", channel_id=world.text, user=world.alice, locale="en-US"
        )
        english = await fake.invoke("latest", channel_id=world.dm, user=world.alice, locale="en-US")
    (entry,) = listed.embeds
    assert "Story " in entry["description"] and "story " not in entry["description"]
    (plain,) = english.embeds
    assert "story " in plain["description"]  # the DM follows the user's app: English


async def test_vietnamese_and_indonesian_are_synced_to_discord(storage: SqlStorage):
    async with DiscordWorld(Core.build(storage).services()) as world:
        synced = {c["name"]: c for c in world.fake.commands["global"]}
    names = synced["search"]["description_localizations"]
    assert names["vi"] == "Tìm trong kho lưu trữ" and names["id"] == "Cari di arsip"
