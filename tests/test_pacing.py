"""Pacing with a fake clock: never more than the declared rates, pauses exactly as told."""

from __future__ import annotations

import itertools

import pytest
from fakes.clock import FakeClock
from fakes.recording_adapter import TELEGRAM_LIKE

from bot.delivery.pacing import OVERALL_HEADROOM, Pacer, RateLimits, TokenBucket
from bot.models import Capabilities, ChatKind, ChatRef

TELEGRAM = RateLimits.from_capabilities(TELEGRAM_LIKE)


def clock() -> FakeClock:
    from delivery_data import T0

    return FakeClock(T0)


def run(pacer: Pacer, fake: FakeClock, targets: list[tuple[ChatRef, ChatKind]]) -> list[float]:
    """Send each target as soon as the pacer allows, in order; return the send times."""
    times = []
    for to, kind in targets:
        fake.advance(pacer.wait_time(to, kind))
        assert pacer.wait_time(to, kind) == 0
        pacer.take(to, kind)
        times.append(fake.monotonic())
    return times


def max_in_window(times: list[float], window: float) -> int:
    """The most sends inside any half-open window [t, t + window)."""
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + window - 1e-9))
    return best


def test_limits_come_from_the_adapters_capabilities():
    assert TELEGRAM == RateLimits(per_second=30, per_chat_interval_s=1.0, per_group_per_minute=20)
    unlimited = Capabilities(
        max_text_len=10, markup="plain", sends_per_second=0, per_chat_interval_s=0
    )
    pacer = Pacer(RateLimits.from_capabilities(unlimited), clock())
    assert run(pacer, pacer.clock, [(ChatRef("x", "1"), ChatKind.PRIVATE)] * 50) == [0.0] * 50


def test_overall_rate_is_never_exceeded_and_is_reached():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    targets = [(ChatRef("telegram", str(n)), ChatKind.PRIVATE) for n in range(300)]
    times = run(pacer, fake, targets)
    assert max_in_window(times, 1.0) == 30
    assert times[-1] == pytest.approx(299 / (30 * OVERALL_HEADROOM))  # full speed, 3% spare


def test_one_message_per_second_per_chat():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    alice, bob = ChatRef("telegram", "alice"), ChatRef("telegram", "bob")
    times = run(pacer, fake, [(alice, ChatKind.PRIVATE)] * 5)
    assert [round(t, 6) for t in times] == [0, 1, 2, 3, 4]
    # another chat is held back only by the overall 30/s spacing
    assert pacer.wait_time(bob) == pytest.approx(1 / (30 * OVERALL_HEADROOM))
    # forum topics of one chat share the chat's limit
    topic = ChatRef("telegram", "alice", thread_id="7")
    assert pacer.wait_time(topic) == pytest.approx(1.0)


def test_twenty_a_minute_per_group_or_channel():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    group, channel = ChatRef("telegram", "-100"), ChatRef("telegram", "@news")
    mixed = [(group, ChatKind.GROUP), (channel, ChatKind.CHANNEL)] * 45
    times = run(pacer, fake, mixed)
    group_times, channel_times = times[0::2], times[1::2]
    assert max_in_window(group_times, 60.0) <= 20
    assert max_in_window(channel_times, 60.0) <= 20
    assert max_in_window(times, 1.0) <= 2
    assert group_times[-1] == pytest.approx(44 * 3.0)  # and no slower than that


def test_retry_after_pauses_exactly_the_chat_for_exactly_the_seconds():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    alice, bob = ChatRef("telegram", "alice"), ChatRef("telegram", "bob")
    pacer.pause_chat(alice, 7.5)
    assert pacer.wait_time(alice) == 7.5
    assert pacer.wait_time(bob) == 0
    fake.advance(7.5)
    assert pacer.wait_time(alice) == 0


def test_whole_adapter_retry_after_pauses_every_chat():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    pacer.pause_all(4)
    chats = [ChatRef("telegram", str(n)) for n in range(3)]
    assert [pacer.wait_time(c) for c in chats] == [4, 4, 4]
    fake.advance(4)
    times = run(pacer, fake, [(c, ChatKind.PRIVATE) for c in chats])
    assert times[0] == 4 and max_in_window(times, 1.0) <= 30


def test_token_bucket_with_capacity_allows_a_bounded_burst():
    bucket = TokenBucket(rate=2, capacity=3)
    allowed = []
    now = 0.0
    for _ in range(5):
        now = bucket.earliest(now)
        bucket.take(now)
        allowed.append(now)
    assert allowed == [0, 0, 0, 0.5, 1.0]
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


def test_idle_buckets_are_forgotten():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake, prune_above=10)
    run(pacer, fake, [(ChatRef("t", str(n)), ChatKind.GROUP) for n in range(30)])
    fake.advance(120)
    pacer.take(ChatRef("t", "new"), ChatKind.PRIVATE)
    assert len(pacer._chats) + len(pacer._groups) <= 2


def test_overall_wait_is_the_adapter_wide_part():
    fake = clock()
    pacer = Pacer(TELEGRAM, fake)
    assert pacer.overall_wait() == 0
    pacer.take(ChatRef("telegram", "1"))
    assert pacer.overall_wait() == pytest.approx(1 / (30 * OVERALL_HEADROOM))
    pacer.pause_all(3)
    assert pacer.overall_wait() == 3


def test_a_slightly_late_send_keeps_the_schedule_and_never_goes_early():
    bucket = TokenBucket(rate=30)
    slots = []
    now = 0.0
    for _ in range(90):  # every send starts 2 ms after it was allowed (event-loop latency)
        now = bucket.earliest(now) + 0.002
        bucket.take(now)
        slots.append(now)
    assert slots[-1] == pytest.approx(89 / 30 + 0.004)  # the rate is kept: 30 a second
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) == pytest.approx(1 / 30)
    bucket.take(now + 5.0)  # after an idle spell: no saved-up slots, the next is a full
    assert bucket.earliest(now + 5.0) == pytest.approx(now + 5.0 + 1 / 30)  # interval later
