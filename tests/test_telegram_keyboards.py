"""Inline keyboards: the /subscribe picker and paginated /latest and /search lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Article, ChatKind, IncomingCommand, Reply, Sentiment
from tests.fakes.telegram_harness import RecordingCore, running_adapter

ALICE, BOB = 3001, 3002


def articles(count: int) -> tuple[Article, ...]:
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    return tuple(
        Article(
            title=f"Headline {n} <&>",
            source_key="coindesk",
            source_name="CoinDesk",
            published_at=start - timedelta(minutes=n),
            url=f"https://example.org/{n}",
            id=n,
            sentiment=Sentiment.NEGATIVE,
        )
        for n in range(1, count + 1)
    )


async def test_subscribe_without_arguments_shows_popular_tags_and_sentiments():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        (picker,) = fake.messages_in(ALICE)
    assert core.received == []  # nothing changed yet
    rows = fake.buttons(picker)
    assert [label for label, _ in rows[0]] == ["BTC", "ETH", "SOL"]
    assert [data for _, data in rows[2]] == ["sub:s:POSITIVE", "sub:s:NEGATIVE", "sub:s:NEUTRAL"]
    assert rows[-1] == [("✔ Done", "sub:x")]


def labels_of(fake, chat_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for row in fake.buttons(fake.messages_in(chat_id)[0]) for label, _ in row]


async def test_each_tag_tap_switches_that_tag_on_or_off_at_once():
    core = RecordingCore(respond=lambda cmd: Reply(f"done: {cmd.text}"))
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        picker_id = fake.messages_in(ALICE)[0]["message_id"]
        for data in ("sub:t:BTC", "sub:s:NEGATIVE", "sub:t:ETH", "sub:t:BTC"):
            fake.press(ALICE, picker_id, data, ALICE)
        await fake.wait_calls("answerCallbackQuery", 4)
        await fake.wait_for(lambda: {"BTC", "✅ ETH"} <= set(labels_of(fake, ALICE)))
        labels = labels_of(fake, ALICE)
        assert "BTC" in labels and "✅ ETH" in labels and "✅ 📉 negative" in labels
        toasts = [c.params.get("text") for c in fake.calls_to("answerCallbackQuery")]
        fake.press(ALICE, picker_id, "sub:x", ALICE)
        await fake.wait_for(lambda: "reply_markup" not in fake.messages_in(ALICE)[0])
        done = fake.messages_in(ALICE)[0]
    assert [c.text for c in core.received] == [
        "/subscribe BTC",
        "/subscribe ETH negative",  # the sentiment ticked before ETH was switched on
        "/unsubscribe BTC",
    ]
    assert all(c.chat_kind is ChatKind.PRIVATE and c.can_manage for c in core.received)
    assert toasts == [
        "done: /subscribe BTC",
        None,
        "done: /subscribe ETH negative",
        "done: /unsubscribe BTC",
    ]
    assert done["text"].startswith("Alerts on for ETH.")


async def test_a_tag_the_core_refuses_stays_off_and_says_why():
    core = RecordingCore(respond=lambda cmd: Reply("This chat has 50 subscriptions", error=True))
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        fake.press(ALICE, fake.messages_in(ALICE)[0]["message_id"], "sub:t:SOL", ALICE)
        (answer,) = await fake.wait_calls("answerCallbackQuery")
        labels = labels_of(fake, ALICE)
    assert answer.params["text"] == "This chat has 50 subscriptions"
    assert answer.params["show_alert"] is True
    assert "SOL" in labels and "✅ SOL" not in labels


async def test_group_picker_refuses_non_admins():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        group = fake.group(-100800, "Traders", admins={ALICE: "creator"})
        fake.command(group, BOB, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(group.id)) == 1)
        refusal = fake.messages_in(group.id)[0]
        assert "administrators" in refusal["text"] and "reply_markup" not in refusal
        fake.command(group, ALICE, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(group.id)) == 2)
        picker_id = fake.messages_in(group.id)[1]["message_id"]
        fake.press(group.id, picker_id, "sub:t:BTC", BOB)
        (answer,) = await fake.wait_calls("answerCallbackQuery")
    assert "Only administrators" in answer.params["text"]
    assert core.received == []


async def test_channel_picker_from_private_chat_subscribes_the_channel():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel = fake.channel(
            -100801, "Alpha", "alpha_news", admins={ALICE: "creator", 4242: "administrator"}
        )
        fake.command(fake.private_chat(ALICE), ALICE, "/subscribe @alpha_news")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        picker = fake.messages_in(ALICE)[0]
        assert "for Alpha" in picker["text"]
        assert fake.buttons(picker)[-1] == [("✔ Done", f"sub:x:{channel.id}")]
        fake.press(ALICE, picker["message_id"], "sub:t:SOL", ALICE)
        await fake.wait_calls("answerCallbackQuery", 1)
        fake.press(ALICE, picker["message_id"], "sub:t:BTC", BOB)  # not the channel's admin
        (_, refused) = await fake.wait_calls("answerCallbackQuery", 2)
    assert "Only administrators" in refused.params["text"]
    (command,) = core.received
    assert command.chat.chat_id == str(channel.id) and command.chat_kind is ChatKind.CHANNEL
    assert command.text == "/subscribe SOL"


async def test_latest_results_are_paginated_with_inline_buttons():
    results = articles(12)

    def respond(cmd: IncomingCommand) -> Reply:
        # the core's plain text lists every entry for consoles; Telegram shows them natively
        entries = [f"[{a.id}] {a.title}\n  CoinDesk, 2026-11-21 12:00\n  {a.url}" for a in results]
        footer = "Use /story ID for every source of a story."
        return Reply("\n".join(["Latest BTC", *entries, footer]), articles=results)

    core = RecordingCore(respond=respond)
    async with running_adapter(core.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/latest BTC 12")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        page = fake.messages_in(ALICE)[0]
        assert page["text"].startswith("Latest BTC\n\n1. 🔴 Headline 1 <&>")
        assert "5. 🔴 Headline 5" in page["text"] and "Headline 6" not in page["text"]
        assert '<a href="https://example.org/1">Headline 1 &lt;&amp;&gt;</a>' in page["_html"]
        assert page["_link_preview_options"] == {"is_disabled": True}
        assert page["text"].endswith("\n\nUse /story ID for every source of a story.")
        assert "[1]" not in page["text"] and "CoinDesk, 2026" not in page["text"]
        (row,) = fake.buttons(page)
        assert [label for label, _ in row] == ["1/3", "Next ▶"]
        fake.press(ALICE, page["message_id"], row[1][1], ALICE)
        await fake.wait_calls("answerCallbackQuery", 1)
        page = fake.messages_in(ALICE)[0]
        assert "6. 🔴 Headline 6" in page["text"] and "Headline 5 " not in page["text"]
        assert [label for label, _ in fake.buttons(page)[0]] == ["◀ Prev", "2/3", "Next ▶"]
        fake.press(ALICE, page["message_id"], fake.buttons(page)[0][2][1], ALICE)
        await fake.wait_calls("answerCallbackQuery", 2)
        page = fake.messages_in(ALICE)[0]
        assert "12. 🔴 Headline 12" in page["text"]
        assert [label for label, _ in fake.buttons(page)[0]] == ["◀ Prev", "3/3"]
        fake.press(ALICE, page["message_id"], fake.buttons(page)[0][1][1], ALICE)  # "3/3"
        await fake.wait_calls("answerCallbackQuery", 3)
    assert len(core.received) == 1  # pages come from the cached result, not new queries


async def test_short_result_list_has_no_buttons_and_expired_lists_say_so():
    now = [0.0]
    core = RecordingCore(respond=lambda cmd: Reply("Results for etf", articles=articles(7)))
    async with running_adapter(core.services(), clock=lambda: now[0]) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/search etf")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        page = fake.messages_in(ALICE)[0]
        now[0] += 3601
        fake.press(ALICE, page["message_id"], fake.buttons(page)[0][1][1], ALICE)
        (answer,) = await fake.wait_calls("answerCallbackQuery")
    assert answer.params["text"] == "This list has expired: send the command again."
    single = RecordingCore(respond=lambda cmd: Reply("Results", articles=articles(3)))
    async with running_adapter(single.services()) as (fake, _):
        fake.command(fake.private_chat(ALICE), ALICE, "/search etf")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) == 1)
        assert "reply_markup" not in fake.messages_in(ALICE)[0]


async def test_picker_under_a_channel_post_only_works_for_channel_admins():
    core = RecordingCore()
    async with running_adapter(core.services()) as (fake, _):
        channel = fake.channel(-1001000000901, "Feed", "feed_news", admins={ALICE: "creator"})
        fake.channel_post(channel, "/subscribe")
        await fake.wait_for(lambda: len(fake.messages_in(channel.id)) == 1)
        picker_id = fake.messages_in(channel.id)[0]["message_id"]
        fake.press(channel.id, picker_id, "sub:t:BTC", BOB)  # a reader of the channel
        (refused,) = await fake.wait_calls("answerCallbackQuery")
        assert "Only administrators" in refused.params["text"]
        fake.press(channel.id, picker_id, "sub:t:BTC", ALICE)
        await fake.wait_calls("answerCallbackQuery", 2)
    (command,) = core.received
    assert command.text == "/subscribe BTC" and command.chat_kind is ChatKind.CHANNEL
    assert command.chat.chat_id == str(channel.id)
