"""send and edit through real PTB against the fake: photos, fallbacks, topics, every error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.telegram.adapter import TelegramAdapter
from bot.models import Alert, Article, ChatRef, DeliveryKind, ResultKind, Sentiment
from bot.ops.logs import SecretMasker
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_harness import RecordingCore, config_for, running_adapter
from tests.fakes.telegram_state import (
    BAD_PHOTO,
    BLOCKED,
    CHAT_NOT_FOUND,
    KICKED,
    SERVER_ERROR,
    THREAD_NOT_FOUND,
    bad_request,
    flood,
)

USER = 2001


def article(**overrides) -> Article:
    values = dict(
        title="Bitcoin <b>breaks</b> $100k & more",
        source_key="decrypt",
        source_name="Decrypt",
        published_at=datetime(2026, 11, 21, 14, 2, tzinfo=UTC),
        summary="Spot ETF inflows <script>alert(1)</script> hit a record & keep going.",
        url="https://decrypt.co/btc?a=1&b=2",
        tags=("BTC", "ETF"),
        sentiment=Sentiment.POSITIVE,
        id=7,
    )
    values.update(overrides)
    return Article(**values)


def to(chat_id: int = USER, thread: str | None = None) -> ChatRef:
    return ChatRef("telegram", str(chat_id), thread)


@pytest.fixture
async def tg():
    async with running_adapter(RecordingCore().services()) as (fake, adapter):
        yield fake, adapter


async def test_text_alert_is_sent_escaped_with_link_preview(tg):
    fake, adapter = tg
    result = await adapter.send(to(), Alert(article()))
    assert result.kind is ResultKind.SENT
    (message,) = fake.messages_in(USER)
    assert result.message_id == str(message["message_id"])
    assert message["text"].startswith("Bitcoin <b>breaks</b> $100k & more")
    assert "<script>alert(1)</script>" in message["text"]  # shown as text, not markup
    assert '<a href="https://decrypt.co/btc?a=1&amp;b=2">' in message["_html"]
    assert "#BTC #ETF" in message["text"] and "🟢 Positive" in message["text"]
    preview = message["_link_preview_options"]
    assert preview["url"] == "https://decrypt.co/btc?a=1&b=2" and preview["prefer_small_media"]


async def test_alert_with_cover_image_is_a_photo_with_a_short_caption(tg):
    fake, adapter = tg
    long = article(image_url="https://img.example/cover.png", summary="word " * 600)
    result = await adapter.send(to(), Alert(long))
    assert result.kind is ResultKind.SENT
    (message,) = fake.messages_in(USER)
    assert message["_url"] == "https://img.example/cover.png"
    assert len(message["caption"]) <= 1024 and message["caption"].rstrip().endswith("#BTC #ETF")
    assert "…" in message["caption"]


async def test_photo_refused_falls_back_to_text(tg):
    fake, adapter = tg
    fake.bad_photos.add("https://img.example/broken.png")
    result = await adapter.send(to(), Alert(article(image_url="https://img.example/broken.png")))
    assert result.kind is ResultKind.SENT
    assert [c.method for c in fake.calls if c.method.startswith("send")] == [
        "sendPhoto",
        "sendMessage",
    ]
    (message,) = fake.messages_in(USER)
    assert "text" in message and message["text"].startswith("Bitcoin")


async def test_injected_photo_error_falls_back_but_blocked_user_does_not(tg):
    fake, adapter = tg
    fake.inject(BAD_PHOTO, method="sendPhoto")
    ok = await adapter.send(to(), Alert(article(image_url="https://img.example/a.png")))
    assert ok.kind is ResultKind.SENT
    fake.inject(BLOCKED, chat_id=USER, times=None)
    gone = await adapter.send(to(), Alert(article(image_url="https://img.example/a.png")))
    assert gone.kind is ResultKind.CHAT_GONE
    # a blocked chat is not a photo problem: no text fallback is attempted for it
    assert len(fake.calls_to("sendPhoto")) == 2 and len(fake.calls_to("sendMessage")) == 1


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (BLOCKED, ResultKind.CHAT_GONE, "blocked"),
        (KICKED, ResultKind.CHAT_GONE, "kicked"),
        (CHAT_NOT_FOUND, ResultKind.CHAT_GONE, "not found"),
        (
            {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"},
            ResultKind.CHAT_GONE,
            "deactivated",
        ),
        (SERVER_ERROR, ResultKind.FAILED, "network"),
        (
            {"ok": False, "error_code": 502, "description": "Bad Gateway"},
            ResultKind.FAILED,
            "network",
        ),
        (bad_request("can't parse entities: oops"), ResultKind.FAILED, "parse"),
    ],
    ids=["blocked", "kicked", "chat-not-found", "deactivated", "500", "502", "bad-markup"],
)
async def test_each_telegram_error_maps_to_the_core_result(tg, error, kind, reason):
    fake, adapter = tg
    fake.inject(error, chat_id=USER)
    result = await adapter.send(to(), Alert(article()))
    assert result.kind is kind
    assert reason in (result.reason or "").lower()
    assert fake.messages_in(USER) == []


async def test_flood_wait_gives_retry_after_with_its_seconds(tg):
    fake, adapter = tg
    fake.inject(flood(3))
    result = await adapter.send(to(), Alert(article()))
    assert result.kind is ResultKind.RETRY_AFTER and result.retry_after == 3.0
    again = await adapter.send(to(), Alert(article()))
    assert again.kind is ResultKind.SENT  # nothing lost: the retry goes through


async def test_unreachable_api_is_failed_not_raised():
    fake = FakeBotApi()
    await fake.__aenter__()
    adapter = TelegramAdapter(config_for(fake), masker=SecretMasker(), commands=())
    await adapter.start(RecordingCore().services())
    try:
        await fake.__aexit__(None, None, None)  # Telegram goes away
        result = await adapter.send(to(), Alert(article()))
        assert result.kind is ResultKind.FAILED and "network" in (result.reason or "")
    finally:
        await adapter.stop()
    assert (await adapter.send(to(), Alert(article()))).reason == "telegram adapter is stopped"


async def test_sends_work_before_start_because_the_dispatcher_may_start_first():
    async with FakeBotApi() as fake:
        adapter = TelegramAdapter(config_for(fake), masker=SecretMasker(), commands=())
        result = await adapter.send(to(), Alert(article()))
        assert result.kind is ResultKind.SENT
        assert [c.method for c in fake.calls] == ["getMe", "sendMessage"]
        await adapter.start(RecordingCore().services())
        await adapter.stop()
        assert len(fake.calls_to("getMe")) == 1


async def test_blocked_user_does_not_stop_others(tg):
    fake, adapter = tg
    fake.inject(BLOCKED, chat_id=USER, times=None)
    results = [await adapter.send(to(chat), Alert(article())) for chat in (USER, 2002, 2003)]
    assert [r.kind for r in results] == [ResultKind.CHAT_GONE, ResultKind.SENT, ResultKind.SENT]


async def test_topic_alert_goes_to_its_thread_and_falls_back_when_topic_is_gone(tg):
    fake, adapter = tg
    forum = fake.group(-100900, "Forum", forum=True)
    first = await adapter.send(to(forum.id, "77"), Alert(article()))
    assert first.kind is ResultKind.SENT
    assert fake.messages_in(forum.id)[0]["message_thread_id"] == 77
    fake.inject(THREAD_NOT_FOUND, chat_id=forum.id)
    second = await adapter.send(to(forum.id, "78"), Alert(article()))
    assert second.kind is ResultKind.SENT
    assert "message_thread_id" not in fake.messages_in(forum.id)[1]


async def test_group_migrated_to_supergroup_is_followed(tg):
    fake, adapter = tg
    migrated = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": -100123},
    }
    fake.inject(migrated, chat_id=-55)
    result = await adapter.send(to(-55), Alert(article()))
    assert result.kind is ResultKind.SENT
    assert len(fake.messages_in(-100123)) == 1


async def test_edit_text_alert_shows_update_and_sources(tg):
    fake, adapter = tg
    sent = await adapter.send(to(), Alert(article()))
    changed = article(title="Bitcoin tops $101k", sentiment=Sentiment.NEUTRAL)
    result = await adapter.edit(
        to(), sent.message_id, Alert(changed, updated=True, extra_sources=2)
    )
    assert result.kind is ResultKind.SENT and result.message_id == sent.message_id
    (message,) = fake.messages_in(USER)
    assert message["text"].startswith("✏️ Updated\nBitcoin tops $101k")
    assert "+2 sources" in message["text"] and "⚪ Neutral" in message["text"]
    assert fake.calls_to("editMessageCaption") == []


async def test_edit_photo_alert_edits_the_caption_and_retraction_is_marked(tg):
    fake, adapter = tg
    photo = article(image_url="https://img.example/a.png")
    sent = await adapter.send(to(), Alert(photo))
    result = await adapter.edit(to(), sent.message_id, Alert(photo, retracted=True))
    assert result.kind is ResultKind.SENT
    (message,) = fake.messages_in(USER)
    assert message["caption"].startswith("⚠️ RETRACTED")
    assert "<s>" in message["_html"]


async def test_edit_finds_the_right_method_when_the_image_changed(tg):
    fake, adapter = tg
    sent = await adapter.send(to(), Alert(article()))  # text message
    result = await adapter.edit(
        to(), sent.message_id, Alert(article(image_url="https://img.example/new.png"), updated=True)
    )
    assert result.kind is ResultKind.SENT
    assert [c.method for c in fake.calls if c.method.startswith("edit")] == [
        "editMessageCaption",
        "editMessageText",
    ]


async def test_a_new_cover_replaces_the_photo_and_an_unusable_one_keeps_the_old(tg):
    fake, adapter = tg
    photo = article(image_url="https://img.example/a.png")
    sent = await adapter.send(to(), Alert(photo))
    new_cover = article(image_url="https://img.example/b.png", title="Bitcoin tops $101k")
    result = await adapter.edit(to(), sent.message_id, Alert(new_cover, new_image=True))
    assert result.kind is ResultKind.SENT
    (message,) = fake.messages_in(USER)
    assert message["_url"] == "https://img.example/b.png"
    assert "Bitcoin tops $101k" in message["caption"]
    fake.bad_photos.add("https://img.example/broken.png")
    broken = article(image_url="https://img.example/broken.png", title="Bitcoin tops $102k")
    result = await adapter.edit(to(), sent.message_id, Alert(broken, new_image=True))
    assert result.kind is ResultKind.SENT  # the caption still changed
    (message,) = fake.messages_in(USER)
    assert message["_url"] == "https://img.example/b.png" and "$102k" in message["caption"]
    edits = [c.method for c in fake.calls if c.method.startswith("edit")]
    assert edits == ["editMessageMedia", "editMessageMedia", "editMessageCaption"]


async def test_edit_with_identical_content_counts_as_success(tg):
    fake, adapter = tg
    sent = await adapter.send(to(), Alert(article()))
    again = await adapter.edit(to(), sent.message_id, Alert(article()))
    assert again.kind is ResultKind.SENT and again.message_id == sent.message_id
    assert len(fake.calls_to("editMessageText")) == 1
    assert "edit_date" not in fake.messages_in(USER)[0]  # the fake answered "not modified"


async def test_edit_of_a_deleted_message_fails_and_blocked_chat_is_gone(tg):
    fake, adapter = tg
    missing = await adapter.edit(to(), "999", Alert(article()))
    assert missing.kind is ResultKind.FAILED and "not found" in (missing.reason or "")
    sent = await adapter.send(to(), Alert(article()))
    fake.inject(BLOCKED, chat_id=USER)
    gone = await adapter.edit(to(), sent.message_id, Alert(article(title="New")))
    assert gone.kind is ResultKind.CHAT_GONE


async def test_digest_lists_every_story_compactly(tg):
    fake, adapter = tg
    items = tuple(
        article(title=f"Story {n} <&>", id=n, image_url="https://img.example/d.png")
        for n in range(1, 4)
    )
    result = await adapter.send(to(), Alert(items[0], kind=DeliveryKind.DIGEST, digest_items=items))
    assert result.kind is ResultKind.SENT
    (message,) = fake.messages_in(USER)
    assert message["text"].startswith("🗞 Digest · 3 stories")
    assert "Story 3 <&>" in message["text"]
    assert message["_link_preview_options"] == {"is_disabled": True}
    assert fake.calls_to("sendPhoto") == []  # a digest is text even when stories have images
