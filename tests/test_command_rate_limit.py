"""Per-user command rate limit, through the real Telegram adapter and the real handler:
a flooding user gets one polite line per extra command and changes nothing; everyone
else is answered as usual; memory stays bounded however many users there are."""

from __future__ import annotations

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.pipeline import utcnow
from bot.commands.handler import CommandHandler
from bot.commands.rate_limit import CommandRateLimit
from bot.config import CommandsConfig, Settings
from bot.models import ChatRef
from bot.ports import CoreServices
from storage.plugin import SqlStorage
from tests.fakes.telegram_harness import running_adapter

ALICE, BOB = 7001, 7002
POLITE = "You are sending commands faster than I can answer"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def texts(fake, chat_id: int) -> list[str]:
    return [m["text"] for m in fake.messages_in(chat_id)]


async def test_a_flooding_user_is_slowed_politely_and_others_are_not(storage: SqlStorage):
    clock = Clock()
    limit = CommandRateLimit(per_minute=30, burst=5, clock=clock)
    handler = CommandHandler(
        storage.archive, storage.chats, SubscriptionIndex(), utcnow, rate_limit=limit
    )
    services = CoreServices(handler.handle, storage.archive.known_tags, handler.subscribed_tags)
    async with running_adapter(services) as (fake, _):
        alice = fake.private_chat(ALICE, "Alice")
        for n in range(12):  # a flood: /subscribe with a new keyword each time
            fake.command(alice, ALICE, f'/subscribe BTC keyword:"word{n}"')
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) >= 12, within=30)
        fake.command(fake.private_chat(BOB, "Bob"), BOB, "/subscribe ETH")
        await fake.wait_for(lambda: len(fake.messages_in(BOB)) >= 1, within=30)
        clock.now += 2.0  # one command's worth of time (30 a minute)
        fake.command(alice, ALICE, "/subscriptions")
        await fake.wait_for(lambda: len(fake.messages_in(ALICE)) >= 13, within=30)

    answers = texts(fake, ALICE)
    assert sum(text.startswith("Subscribed") for text in answers[:12]) == 5
    slowed = [text for text in answers[:12] if POLITE in text]
    assert len(slowed) == 7
    assert all(len(text.splitlines()) == 1 and "please wait" in text for text in slowed)
    assert "Subscribed" in texts(fake, BOB)[0]  # other users are not affected
    assert POLITE not in answers[12]  # after a pause the user is served again
    chat = await storage.chats.find(ChatRef("telegram", str(ALICE)))
    assert chat is not None and len(await storage.chats.list_subscriptions(chat.id)) == 5
    assert await storage.chats.last_change_id() == 6  # 5 for Alice, 1 for Bob: no more


def test_memory_is_bounded_and_idle_users_come_back_with_a_full_bucket():
    clock = Clock()
    limit = CommandRateLimit(per_minute=30, burst=2, max_users=100, clock=clock)
    for user in range(10_000):
        assert limit.wait(("telegram", str(user))) == 0
    assert len(limit) == 100
    assert limit.wait(("telegram", "9999")) == 0  # its second command: still in the burst
    assert limit.wait(("telegram", "9999")) > 0
    assert limit.wait(("telegram", "0")) == 0  # forgotten long ago: starts afresh


def test_the_default_does_not_hurt_normal_use():
    defaults = Settings().commands
    assert defaults == CommandsConfig(per_minute=30, burst=20)
    clock = Clock()
    limit = CommandRateLimit(defaults.per_minute, defaults.burst, clock=clock)
    key = ("discord", "42")
    for _ in range(20):  # a busy minute: twenty commands in a row
        assert limit.wait(key) == 0
    for _ in range(30):  # then one every two seconds, all day
        clock.now += 2.0
        assert limit.wait(key) == 0
