"""Templates on Telegram and Discord: set by command through the real python-telegram-bot
and discord.py against the fakes, then read what arrives: the template applied, escaping
intact, limits respected, bad templates refused with one line and the previous one kept,
edits in place in the same template, /mention pinging exactly who was named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.alerts.story_updates import StoryUpdates
from bot.commands.handler import COMMANDS
from bot.models import Sentiment
from storage.plugin import SqlStorage
from tests.archive_helpers import make
from tests.fakes.discord_world import MANAGE_CHANNELS, DiscordWorld
from tests.fakes.telegram_harness import running_adapter
from tests.test_discord_core import AT, Core
from tests.test_telegram_core import ALICE, messages

TITLE = "Ether 5 < 6 & **pumps** _now_ [x](https://evil.example) @everyone"
HOSTILE = replace(
    make(
        TITLE,
        summary="Spot ether funds took in $1.2 billion in one day, <i>analysts</i> say.",
        tags=("ETH", "ETF"),
        sentiment=Sentiment.POSITIVE,
        at=AT,
        url="https://example.org/eth-etf",
    ),
    image_url="https://example.org/cover.jpg",
)
# the same event from a second outlet: joins HOSTILE's story, so its messages are edited
SECOND_SOURCE = make(
    "Ether 5 < 6 & pumps now as Ethereum ETF funds take in $1.2 billion",
    summary="Spot ether funds took in $1.2 billion in one day, analysts say.",
    source="coindesk",
    tags=("ETH",),
    sentiment=Sentiment.POSITIVE,
    at=AT + timedelta(hours=1),
    url="https://coindesk.example/eth-etf",
)
LONG = replace(
    make(
        "Solana validators publish a long post-mortem",
        summary="Validators restarted the network. " * 400,
        tags=("SOL",),
        at=AT,
        url="https://example.org/sol",
    ),
    image_url="https://example.org/sol.jpg",
)
TG_TEMPLATE = (
    "{{ sentiment_emoji }} {{ title | linked | bold }}\n{{ summary | italic }}\n"
    "<b>not bold</b> {{ hashtags }}{{ telegram(cover=false, preview=false) }}"
)


def _core(storage: SqlStorage) -> Core:
    """The real core as the app wires it, with edits in place (story updates) on."""
    core = Core.build(storage)
    core.pipeline.add_listener(
        StoryUpdates(storage.outbox, storage.archive, lambda: datetime.now(UTC))
    )
    return core


async def test_telegram_chat_template_escaped_cut_kept_on_edit(storage: SqlStorage):
    core = _core(storage)
    async with running_adapter(core.services(), commands=COMMANDS) as (fake, adapter):
        chat = fake.private_chat(ALICE, "Alice")
        fake.command(chat, ALICE, "/subscribe ETH SOL")
        fake.command(chat, ALICE, f"/template {TG_TEMPLATE}")
        fake.command(chat, ALICE, "/template {{ title }} {{ nonsense }}")
        fake.command(chat, ALICE, "/template {% for x in tags %}{{ x }}")
        fake.command(chat, ALICE, "/mention ETH @everyone")
        fake.command(chat, ALICE, "/mention ETH @alice_trader")
        replies = [m["text"] for m in await messages(fake, ALICE, 6)]
        assert replies[1].startswith("Template set")
        for refusal in replies[2:5]:
            assert "\n" not in refusal.strip() and "⚠" in refusal
        assert "unknown placeholder {{ nonsense }}" in replies[2]
        assert "syntax error on line 1" in replies[3]
        assert "never pinged" in replies[4]

        await core.pipeline.ingest_article(HOSTILE, origin="test:hostile")
        await core.dispatcher(adapter).drain()
        alert = (await messages(fake, ALICE, 7))[6]
        # the template applied; every piece of text escaped; no photo, no preview
        assert "photo" not in alert
        assert alert["_link_preview_options"]["is_disabled"] is True
        html = alert["_html"]
        assert html.startswith(
            '🟢 <b><a href="https://example.org/eth-etf">Ether 5 &lt; 6 &amp; **pumps**'
        )
        assert "<i>Spot ether funds took in $1.2 billion in one day, &lt;i&gt;analysts" in html
        assert "&lt;b&gt;not bold&lt;/b&gt; #ETH #ETF" in html
        assert html.endswith("@alice_trader")  # /mention, placed at the end
        assert "@everyone" not in alert["text"]  # neutralised even from the headline
        assert "evil.example" in alert["text"]  # the headline's own text stays visible
        assert "evil.example" not in html.split('href="')[1].split('"')[0]

        # a second source of the same story: the message is edited, in the same template
        await core.pipeline.ingest_article(SECOND_SOURCE, origin="test:second")
        await core.dispatcher(adapter).drain()
        (edit,) = fake.calls_to("editMessageText")
        assert edit.params["text"].startswith('🟢 <b><a href="https://example.org/eth-etf">')
        assert "#ETH #ETF" in edit.params["text"]

        # limits: a 13,000-character summary in a photo caption (1,024 at most)
        fake.command(chat, ALICE, "/template {{ title | bold }}\\n{{ summary }}")
        await messages(fake, ALICE, 8)
        await core.pipeline.ingest_article(LONG, origin="test:long")
        await core.dispatcher(adapter).drain()
        photo = (await messages(fake, ALICE, 9))[8]
        assert photo["_url"] == "https://example.org/sol.jpg"
        assert photo["_html"].startswith("<b>Solana validators publish a long post-mortem</b>")
        assert 900 < len(photo["caption"]) <= 1024 and photo["caption"].endswith("…")


async def test_discord_template_embed_parts_escaping_limits_and_role_mention(
    storage: SqlStorage,
):
    core = _core(storage)
    async with DiscordWorld(core.services()) as world:
        fake = world.fake
        role = next(r for r in fake.guilds[world.guild]["roles"] if r["name"] == "Traders")
        manage = {"channel_id": world.text, "user": world.alice, "permissions": MANAGE_CHANNELS}
        await fake.invoke("subscribe", {"tags": "ETH SOL"}, **manage)
        template = (
            "{{ embed(title=title, footer='Desk ' ~ sources_count, colour='#ff8800', "
            "image=false) }}{{ field('Coins', coins | join(' ')) }}"
            "{{ sentiment_emoji }} {{ summary | bold }}\\n**not bold** {{ hashtags }}"
        )
        accepted = await fake.invoke("template", {"text": template}, **manage)
        refused = await fake.invoke("template", {"text": "{{ title }} @here"}, **manage)
        shown = await fake.invoke("template", {}, **manage)
        mention = await fake.invoke(
            "mention",
            {"tag": "ETH", "role": world.traders},
            types={"role": 8},
            resolved={"roles": {world.traders: role}},
            **manage,
        )
        await core.pipeline.ingest_article(HOSTILE, origin="test:hostile")
        await core.pipeline.ingest_article(LONG, origin="test:long")
        await core.dispatcher(world.adapter).drain()
        await core.pipeline.ingest_article(SECOND_SOURCE, origin="test:second")
        await core.dispatcher(world.adapter).drain()
    assert accepted.content.startswith("Template set")
    assert refused.ephemeral and refused.content.startswith("Template not changed")
    assert "\n" not in refused.content and "mention anyone" in refused.content
    assert "{{ field('Coins', coins | join(' ')) }}" in shown.content.replace("\\", "")
    assert "ETH" in mention.content
    first, long = fake.messages[world.text]
    embed = first["embeds"][0]
    assert first["content"] == f"<@&{world.traders}>"  # the role, pinged by /mention
    assert first["allowed_mentions"]["roles"] == [int(world.traders)]
    assert first["allowed_mentions"]["parse"] == []
    assert embed["title"].startswith(r"Ether 5 < 6 & \*\*pumps\*\* \_now\_")
    assert "@everyone" not in embed["title"]
    assert embed["url"] == "https://example.org/eth-etf"
    assert embed["color"] == 0xFF8800 and "image" not in embed
    assert embed["fields"] == [{"name": "Coins", "value": "ETH", "inline": True}]
    assert embed["description"].startswith("🟢 **Spot ether funds took in")
    assert embed["description"].endswith(r"\*\*not bold\*\* #ETH #ETF")
    # the edit (a second source) keeps the template: same parts, new count in the footer
    assert embed["footer"]["text"] == "Desk 2" and "edited_timestamp" in first
    # limits: the description is cut to Discord's 4,096, the summary shrinking
    assert long["content"] in (None, "")  # SOL has no /mention
    assert len(long["embeds"][0]["description"]) <= 4096
    assert long["embeds"][0]["description"].endswith("…**\n\\*\\*not bold\\*\\* #SOL")


async def test_preview_renders_the_newest_matching_article_with_the_chats_template(
    storage: SqlStorage,
):
    from bot.models import ChatRef, IncomingCommand

    core = _core(storage)
    await core.pipeline.ingest_article(HOSTILE, origin="test:hostile")  # ETH
    newer = replace(LONG, published_at=AT + timedelta(hours=5))  # SOL, newer, not matching
    await core.pipeline.ingest_article(newer, origin="test:long")
    command = IncomingCommand(ChatRef("console", "local"), "/subscribe ETH", "local")
    await core.handler.handle(command)
    await core.handler.handle(replace(command, text="/template {{ sentiment }}: {{ title }}"))
    reply = await core.handler.handle(replace(command, text="/template preview"))
    assert not reply.error
    head, shown = reply.text.splitlines()
    assert head.startswith("Preview (Ether 5 < 6")
    assert shown.startswith("positive: Ether 5 < 6 & **pumps** _now_")
