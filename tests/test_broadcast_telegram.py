"""Breaking posts and edit-on-update through Telegram: the real core and storage (both
databases), real python-telegram-bot polling the fake Bot API, the real dispatcher."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.config import BroadcastTarget
from bot.models import Sentiment
from storage.plugin import SqlStorage
from storage.tables import ChatRow
from tests.broadcast_support import ETF, ETF_SECOND_SOURCE, SOLANA, BroadcastCore, revised
from tests.delivery_data import add_chats, deliveries
from tests.fakes.telegram_harness import running_adapter
from tests.fakes.telegram_state import bad_request

ADMIN, BOB, CAROL = 7001, 7002, 7003
CHANNEL = -1001234567
TARGET = BroadcastTarget(platform="telegram", chat=str(CHANNEL), pin=True)


def build(storage: SqlStorage, **kw: object) -> BroadcastCore:
    return BroadcastCore.build(storage, [TARGET], telegram_admins=[ADMIN], **kw)  # type: ignore[arg-type]


async def replies(fake, chat_id: int, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    await fake.wait_for(lambda: len(fake.messages_in(chat_id)) >= count)
    return fake.messages_in(chat_id)


def alerts(fake, chat_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Messages the bot sent that are alerts (not command replies)."""
    return [m for m in fake.messages_in(chat_id) if "·" in (m.get("text") or m.get("caption", ""))]


async def test_admin_breaking_is_archived_posted_pinned_and_reaches_digest_subscribers(
    storage: SqlStorage,
):
    core = build(storage)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        admin, bob = fake.private_chat(ADMIN, "Ada"), fake.private_chat(BOB, "Bob")
        fake.command(bob, BOB, "/subscribe BTC")
        fake.command(bob, BOB, "/digest daily 08:00")  # breaking news does not wait for it
        await replies(fake, BOB, 2)
        fake.command(
            admin,
            ADMIN,
            "/breaking Bitcoin tops $150,000 | BTC rallied past $150k on record ETF demand."
            " | https://example.org/btc-150k",
        )
        (reply,) = await replies(fake, ADMIN, 1)
        await core.deliver(adapter)
        (post,) = fake.messages_in(CHANNEL)
        bob_alerts = alerts(fake, BOB)
    assert reply["text"].startswith("Posted breaking article")
    assert f"telegram:{CHANNEL}" in reply["text"] and "pinned" in reply["text"]
    assert "BREAKING" in post["text"] and "Bitcoin tops $150,000" in post["text"]
    assert fake.pinned == [(CHANNEL, post["message_id"])]
    (bob_alert,) = bob_alerts
    assert "BREAKING" in bob_alert["text"]
    found = await storage.archive.search("bitcoin 150,000")
    assert [a.title for a in found] == ["Bitcoin tops $150,000"]
    assert found[0].source_key == "cryptowire" and "BTC" in found[0].tags
    (entry,) = await storage.audit.recent()
    assert (entry.platform, entry.user_id, entry.action) == ("telegram", str(ADMIN), "breaking")
    assert entry.target == f"article {found[0].id}"
    assert (
        entry.detail["to"] == [f"telegram:{CHANNEL}"]
        and entry.detail["from"] == f"telegram:{ADMIN}"
    )


async def test_non_admins_are_refused_and_nothing_is_posted(storage: SqlStorage):
    core = build(storage)
    stored = await core.ingest(SOLANA)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        carol = fake.private_chat(CAROL, "Carol")
        fake.command(carol, CAROL, "/breaking Fake news | Buy my coin")
        fake.command(carol, CAROL, f"/post {stored.article.id}")
        fake.command(carol, CAROL, "/audit")
        answers = await replies(fake, CAROL, 3)
        await core.deliver(adapter)
    assert [a["text"].removeprefix("⚠️ ").split(";")[0] for a in answers] == [
        "Only Cryptowire admins can use /breaking",
        "Only Cryptowire admins can use /post",
        "Only Cryptowire admins can use /audit",
    ]
    assert fake.messages_in(CHANNEL) == []
    assert [a.title for a in await storage.archive.latest()] == [SOLANA.title]
    assert await storage.audit.recent() == []


async def test_admin_post_of_an_archived_article_and_the_audit_list(storage: SqlStorage):
    core = build(storage)
    stored = await core.ingest(SOLANA)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        admin = fake.private_chat(ADMIN, "Ada")
        fake.command(admin, ADMIN, f"/post {stored.article.id}")
        fake.command(admin, ADMIN, "/post 999999")
        fake.command(admin, ADMIN, "/post soon")
        await replies(fake, ADMIN, 3)
        await core.deliver(adapter)
        fake.command(admin, ADMIN, f"/post {stored.article.id}")  # again: nothing new
        fake.command(admin, ADMIN, "/audit")
        answers = await replies(fake, ADMIN, 5)
    posted, missing, bad, again, audit = (a["text"].removeprefix("⚠️ ") for a in answers)
    assert posted.startswith(f"Posted article {stored.article.id} as breaking")
    assert missing == "No article 999999 in the archive; /latest shows ids"
    assert bad.startswith("Usage: /post ARTICLE_ID")
    assert f"already posted in telegram:{CHANNEL}" in again
    (post,) = fake.messages_in(CHANNEL)
    assert "BREAKING" in post["text"] and "Solana network restarts" in post["text"]
    lines = audit.splitlines()
    assert lines[0] == "Recent admin actions (newest first):" and len(lines) == 3
    assert f"telegram {ADMIN} (Ada) post article {stored.article.id}" in lines[2]
    assert f"-> telegram:{CHANNEL}" in lines[2]


async def test_an_admin_reads_post_summaries_the_audit_and_template_help_in_german(
    storage: SqlStorage,
):
    """Every word the bot adds around /post, /audit and /help template follows the
    admin's app language; targets, titles and placeholder names stay as they are."""
    core = build(storage)
    stored = await core.ingest(SOLANA)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        admin = fake.private_chat(ADMIN, "Ada")
        fake.users[ADMIN]["language_code"] = "de"
        fake.command(admin, ADMIN, f"/post {stored.article.id}")
        await replies(fake, ADMIN, 1)
        await core.deliver(adapter)
        fake.command(admin, ADMIN, f"/post {stored.article.id}")  # again: nothing new
        fake.command(admin, ADMIN, "/audit")
        fake.command(admin, ADMIN, "/help template")
        posted, again, audit, help_text = (a["text"] for a in await replies(fake, ADMIN, 4))
    assert posted == (
        f"Artikel {stored.article.id} als Eilmeldung gepostet: an telegram:{CHANNEL}; "
        f"angeheftet in telegram:{CHANNEL}."
    )
    assert again.endswith(f"an niemand Neuen; bereits gepostet in telegram:{CHANNEL}.")
    lines = audit.splitlines()
    assert lines[0] == "Letzte Admin-Aktionen (neueste zuerst):"
    assert f"telegram {ADMIN} (Ada) Post Artikel {stored.article.id}" in lines[2]
    assert f"(aus telegram:{ADMIN})" in lines[2] and "(from" not in audit
    assert "\nPlatzhalter:\n  title: die Schlagzeile\n" in help_text
    assert "  body: der Artikeltext, höchstens 3000 Zeichen" in help_text
    assert "Hilfsfunktionen:" in help_text and "the headline" not in help_text


async def test_edits_on_title_sentiment_and_a_second_source_never_send_anew(
    storage: SqlStorage,
):
    core = build(storage)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        bob = fake.private_chat(BOB, "Bob")
        fake.command(bob, BOB, "/subscribe ETH")
        await replies(fake, BOB, 1)
        first = await core.ingest(ETF)
        await core.parts.broadcaster.post(first.article)
        await core.deliver(adapter)
        (post,) = fake.messages_in(CHANNEL)
        (alert,) = alerts(fake, BOB)
        originals = post["text"], alert["text"]  # the fake edits messages in place

        await core.ingest(revised(ETF, 30, title="Ethereum ETFs take in a record $1.3B"))
        await core.deliver(adapter)
        title_post, title_alert = fake.messages_in(CHANNEL)[0]["text"], alerts(fake, BOB)[0]["text"]

        await core.ingest(revised(ETF, 60, sentiment=Sentiment.NEGATIVE))
        await core.deliver(adapter)
        mood_alert = alerts(fake, BOB)[0]["text"]

        joined = await core.ingest(ETF_SECOND_SOURCE)
        await core.deliver(adapter)
        final_posts, final_alerts = fake.messages_in(CHANNEL), alerts(fake, BOB)
    assert all("Updated" not in text and "Ethereum ETF sees" in text for text in originals)
    assert "Ethereum ETFs take in a record $1.3B" in title_post and "Updated" in title_post
    assert "BREAKING" in title_post  # the breaking post stays marked as such
    assert "Ethereum ETFs take in a record $1.3B" in title_alert
    assert "🔴 Negative" in mood_alert and "🟢 Positive" not in mood_alert
    assert joined.story_joined
    assert len(final_posts) == 1 and len(final_alerts) == 1  # edited, never sent again
    assert "+1 source" in final_posts[0]["text"] and "+1 source" in final_alerts[0]["text"]
    assert final_posts[0]["message_id"] == post["message_id"]
    edits = fake.calls_to("editMessageText")
    assert len(edits) == 6  # 3 changes x 2 messages
    sent = await storage.outbox.sent_messages_for_story(first.story.id)
    assert len(sent) == 2 and all(s.edited_at is not None for s in sent)


async def test_retraction_and_a_withdrawn_draft_are_shown_in_place(storage: SqlStorage):
    core = build(storage)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        first = await core.ingest(SOLANA)
        await core.parts.broadcaster.post(first.article)
        await core.deliver(adapter)
        await core.ingest(revised(SOLANA, 20, retracted=True))
        await core.deliver(adapter)
        retracted = str(fake.messages_in(CHANNEL)[0]["text"])
        await core.ingest(revised(SOLANA, 40, retracted=False, draft=True))
        await core.deliver(adapter)
        withdrawn = fake.messages_in(CHANNEL)
    assert "RETRACTED" in retracted
    assert len(withdrawn) == 1 and "RETRACTED" in withdrawn[0]["text"]
    assert len(fake.calls_to("editMessageText")) == 2


async def test_sticky_articles_are_breaking_automatically(storage: SqlStorage):
    core = build(storage, sticky_weight=5)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        bob = fake.private_chat(BOB, "Bob")
        fake.command(bob, BOB, "/subscribe SOL ETH")
        fake.command(bob, BOB, "/quiet 00:00-23:59")
        await replies(fake, BOB, 2)
        await core.ingest(ETF)  # not sticky: held by quiet hours, not broadcast
        sticky = revised(SOLANA, 0, sticky_weight=5)
        await core.ingest(sticky)
        await core.deliver(adapter)
        (post,) = fake.messages_in(CHANNEL)
        bob_alerts = alerts(fake, BOB)
    assert "BREAKING" in post["text"] and "Solana network restarts" in post["text"]
    assert fake.pinned == [(CHANNEL, post["message_id"])]
    assert [("Solana" in a["text"], "BREAKING" in a["text"]) for a in bob_alerts] == [(True, True)]
    assert await core.pending() == 1  # the ETF alert waits for the end of quiet hours


async def test_a_breaking_post_jumps_a_queued_fan_out(storage: SqlStorage):
    core = build(storage)
    queued = await core.ingest(ETF)
    chats = await add_chats(storage, 100, platform="telegram")
    async with storage.db.session() as session:  # Telegram chat ids are numbers
        for n, chat_id in enumerate(chats):
            row = await session.get(ChatRow, chat_id)
            assert row is not None
            row.chat_id = str(9000 + n)
    await storage.outbox.enqueue_many(
        deliveries(chats, queued.story.id, queued.article.id, due_at=core.clock.now())
    )
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        late = await core.ingest(SOLANA)
        await core.parts.broadcaster.post(late.article)
        await core.deliver(adapter)
    sends = [int(c.params["chat_id"]) for c in fake.calls_to("sendMessage")]
    assert len(sends) == 101
    assert sends[0] == CHANNEL  # enqueued after 100 alerts, sent before them


async def test_edits_wait_for_their_turn_and_a_second_revision_supersedes_the_first(
    storage: SqlStorage,
):
    core = build(storage)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        first = await core.ingest(SOLANA)
        await core.parts.broadcaster.post(first.article)
        await core.deliver(adapter)
        await core.ingest(revised(SOLANA, 10, title="Solana restarts after a 5-hour outage"))
        await core.ingest(revised(SOLANA, 20, title="Solana is back after a 5-hour outage"))
        assert await core.pending() == 1  # the first revision's edit was superseded
        await core.deliver(adapter)
        paced = core.clock.monotonic()  # fake seconds the dispatcher waited in all
        (post,) = fake.messages_in(CHANNEL)
    assert "Solana is back after a 5-hour outage" in post["text"]
    assert len(fake.calls_to("editMessageText")) == 1
    assert paced >= 6.0  # send, pin and edit 3 s apart: 20 per minute in a channel
    sent = await storage.outbox.sent_messages_for_story(first.story.id)
    assert sent[0].edited_at is not None and sent[0].edited_at >= sent[0].sent_at
    assert sent[0].edited_at - sent[0].sent_at < timedelta(minutes=5)


async def test_a_refused_pin_leaves_the_post_sent_and_says_why(storage: SqlStorage, caplog):
    core = build(storage)
    stored = await core.ingest(SOLANA)
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        fake.inject(bad_request("not enough rights to pin a message"), method="pinChatMessage")
        with caplog.at_level(logging.WARNING, logger="cryptowire.broadcast"):
            await core.parts.broadcaster.post(stored.article)
            await core.deliver(adapter)
        (post,) = fake.messages_in(CHANNEL)
    assert fake.pinned == [] and "BREAKING" in post["text"]
    (note,) = [r.getMessage() for r in caplog.records if r.name == "cryptowire.broadcast"]
    assert note.startswith(f"could not pin message {post['message_id']} in telegram:{CHANNEL}")
    (sent,) = await storage.outbox.sent_messages_for_story(stored.story.id)
    assert sent.message_id == str(post["message_id"])


async def test_a_photo_post_gets_its_new_cover_and_caption(storage: SqlStorage):
    core = build(storage)
    pictured = revised(SOLANA, 0, image_url="https://example.org/solana.png")
    async with running_adapter(core.services) as (fake, adapter):
        fake.channel(CHANNEL, "Crypto Wire", "cryptowirenews")
        first = await core.ingest(pictured)
        await core.parts.broadcaster.post(first.article)
        await core.deliver(adapter)
        await core.ingest(
            revised(
                pictured,
                15,
                image_url="https://example.org/solana-2.png",
                summary="Validators restarted Solana; blocks flow again.",
            )
        )
        await core.deliver(adapter)
        (post,) = fake.messages_in(CHANNEL)
    assert "photo" in post and "Updated" in post["caption"]
    assert "blocks flow again" in post["caption"]
    assert post["_url"] == "https://example.org/solana-2.png"  # the new cover replaced the old
    assert len(fake.calls_to("editMessageMedia")) == 1
    assert fake.calls_to("editMessageText") == fake.calls_to("editMessageCaption") == []
