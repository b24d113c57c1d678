"""Command text -> values: names, quoting, filters, durations, times and zones."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.commands.handler import COMMANDS
from bot.commands.parser import (
    CommandError,
    parse_clock,
    parse_duration,
    parse_quiet,
    parse_subscription,
    parse_timezone,
    split_command,
)
from bot.models import Sentiment

KNOWN = {"BTC", "ETH", "SOL", "BCH", "DEFI"}


@pytest.mark.parametrize(
    ("text", "name", "args", "bot"),
    [
        ("/start", "start", [], None),
        ("  /START  ", "start", [], None),
        ("/Latest@CryptowireBot btc 3", "latest", ["btc", "3"], "CryptowireBot"),
        ('/subscribe BTC keyword:"spot etf"', "subscribe", ["BTC", "keyword:spot etf"], None),
        ("/subscribe BTC “spot etf”", "subscribe", ["BTC", "spot etf"], None),
        ("/search bitcoin's rally", "search", ["bitcoin's", "rally"], None),
        ("/subscribe\nBTC\tETH", "subscribe", ["BTC", "ETH"], None),
    ],
)
def test_split_command(text: str, name: str, args: list[str], bot: str | None):
    parsed = split_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.args, parsed.addressed_to) == (name, args, bot)


def test_plain_text_is_not_a_command_and_bad_names_are_refused():
    assert split_command("hello") is None
    with pytest.raises(CommandError, match="is not a command"):
        split_command("/sub-scribe BTC")
    unbalanced = split_command('/search "spot etf')
    assert unbalanced is not None and not unbalanced.balanced
    assert unbalanced.rest == '"spot etf'


def test_every_filter_part():
    flt, mention = parse_subscription(
        [
            "btc",
            "#eth",
            "bullish",
            "neutral",
            "source:Decrypt,coindesk",
            "keyword:ETF",
            "spot etf",
            "-keyword:scam",
            "-rug",
            "lang:en-US",
            "mention:@Traders",
        ],
        KNOWN,
    )
    assert flt.tags == {"BTC", "ETH"}
    assert flt.sentiments == {Sentiment.POSITIVE, Sentiment.NEUTRAL}
    assert flt.sources == {"decrypt", "coindesk"}
    assert flt.keywords == ("etf", "spot etf")
    assert flt.exclude_keywords == ("scam", "rug")
    assert flt.lang == "en"
    assert mention == "@Traders"


def test_all_three_sentiments_mean_any():
    flt, _ = parse_subscription(["BTC", "positive", "negative", "neutral"], KNOWN)
    assert flt.sentiments == frozenset()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["BTC", "sideways"], "'sideways' is neither a sentiment (positive, negative, neutral)"),
        (["negativ"], "not a sentiment (did you mean negative?)"),
        (["BTCC"], "unknown tag 'BTCC'; did you mean BTC?"),
        (["sentiment:up"], "'up' is not a sentiment; use positive, negative or neutral"),
        (["kw:"], "needs a value after the colon"),
        (["lang:english"], "'english' is not a language code"),
        (["source:<b>"], "'<b>' is not a source key"),
        (["keyword:a b c d e f g"], "a phrase has at most 6 words"),
        (["keyword:etf", "-etf"], "'etf' is both wanted and excluded"),
        ([f"tag:T{n}" for n in range(21)], "at most 20 tags"),
        ([f"keyword:w{n}" for n in range(11)], "at most 10 keywords"),
    ],
)
def test_bad_filters_name_the_problem(args: list[str], message: str):
    with pytest.raises(CommandError) as caught:
        parse_subscription(args, KNOWN)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:00", "07:00"),
        ("07:05", "07:05"),
        ("0730", "07:30"),
        ("23.59", "23:59"),
        ("7h15", "07:15"),
    ],
)
def test_clock_times(text: str, expected: str):
    assert parse_clock(text, "/digest daily 08:00") == expected


@pytest.mark.parametrize("text", ["24:00", "7", "12:60", "noon", "-1:00"])
def test_bad_clock_times(text: str):
    with pytest.raises(CommandError, match="not a time of day"):
        parse_clock(text, "/digest daily 08:00")


def test_quiet_ranges():
    assert parse_quiet("23:00-07:00") == ("23:00", "07:00")
    assert parse_quiet("9:30–10:00") == ("09:30", "10:00")
    with pytest.raises(CommandError, match="not a time range"):
        parse_quiet("23:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("3 days", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("45 minutes", timedelta(minutes=45)),
    ],
)
def test_durations(text: str, expected: timedelta):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2x", "soon", "2h later", "0h", "366d"])
def test_bad_durations(text: str):
    with pytest.raises(CommandError):
        parse_duration(text)


def test_time_zones():
    assert parse_timezone("europe/berlin") == "Europe/Berlin"
    assert parse_timezone("America/New York") == "America/New_York"
    with pytest.raises(CommandError, match="did you mean Asia/Tokyo"):
        parse_timezone("Asia/Tokio")


def test_command_specs_fit_telegram_and_discord_menus():
    names = [spec.name for spec in COMMANDS]
    assert len(names) == len(set(names))
    for spec in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", spec.name), spec.name
        assert 1 <= len(spec.description) <= 100, spec.name  # Discord's limit; Telegram's is 256
        assert spec.usage.startswith(f"/{spec.name}")
