"""Market moves grouped by structured facts (decision 045): real headlines of the tune rows of
bench/data/stories_modern and stories_real, through the `cryptowire ingest` CLI path."""

from __future__ import annotations

import json
from pathlib import Path

from bench import bench_stories
from bot.stories import market_move
from tests.test_cli_foundation import cryptowire

RALLY = (  # 2026-08-20, five outlets, one BTC move up (labels: story t0204)
    "Bitcoin tops $70,000 as $3 billion in leveraged bets get wiped out",
    "Live updates: Bitcoin hits $71,000 as ETFs draw $517 million, ether pulls $189 million "
    "in biggest inflows in months",
    "Bitcoin Short Liquidation Hits $2.74B as BTC Price Surges Above $69,000",
    "Crypto Markets Add Over $200B Daily as Bitcoin (BTC) Surges Past $70K: Market Watch",
    "Bitcoin Hits Highest Price Since June as $3 Billion in Shorts Liquidated",
)
FORECAST = "Bitcoin eyes key short-term holder cost basis, signaling potential bullish trend"
CRASH = (  # 2022-05-11: BTC under $30K after CPI (story s0920) and the same day's rebound
    "Bitcoin falls back under $30K while 8.3% US CPI shows signs inflation has peaked",
    "Bitcoin Briefly Falls to $29k as Headline Inflation Slows to 8.3%",
)
REBOUND = "Bitcoin price reclaims $30K as Bitcoin Cash hits fresh record low against BTC"
# 2026-02-05 (cnth tune, story k0003): members of the BTC fall the reader missed before
# (an explainer, a chart label, a question lead-in, a "has lost all of its gains") and an
# on-chain piece of the same day whose possessive "Bitcoin's rising" is no move.
FALL = (
    "Bitcoin sinks to 2021 levels as selloff deepens below $70,000",
    "Why are Bitcoin, Ethereum and XRP Prices Crashing Hard Today?",
    "CHART: Bitcoin has lost all of its gains since Trump’s election",
    "Is the “Perfect Storm” Here? Liquidations Explode as Bitcoin Bleeds Below $70K & DXY Rises",
    "Bitcoin price round trips Trump gains. Here’s how low analysts say it’s headed",
)
NOT_FALL = (
    "Bitcoin's rising leveraged position points to continued dip buying, but may not yet "
    "signal price bottom"
)


def _rows(set_name: str, titles: tuple[str, ...]) -> list:  # type: ignore[type-arg]
    chosen = {}
    for row, article in bench_stories.load_set(set_name, "tune"):
        if row["title"] in titles:
            chosen[row["title"]] = (row, article)
    assert set(chosen) == set(titles)
    return [chosen[t] for t in titles]


def _ingest(tmp_path: Path, items: list) -> tuple[str, dict[str, int]]:  # type: ignore[type-arg]
    """Story id per headline after `cryptowire ingest` of the rows as feed files."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bench_stories.write_front_matter(inbox, items)
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    result = cryptowire("--database-url", db, "ingest", str(inbox), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = cryptowire("--database-url", db, "latest", "--limit", "50", "--json", cwd=tmp_path)
    stories = {}
    for line in shown.stdout.splitlines():
        item = json.loads(line)
        stories[item["title"]] = item["story_id"]
    return db, stories


def test_headlines_read_as_moves_or_not():
    assert market_move.move(RALLY[0]) == ("BTC", "up")
    assert market_move.move(RALLY[1]) == ("BTC", "up")  # shorts liquidated: a move up
    assert market_move.move("Liquidation grips altcoins as long positions collapse") == (
        "BTC",
        "down",
    )
    assert market_move.move(CRASH[0]) == ("BTC", "down")
    assert market_move.move(REBOUND) == ("BTC", "up")
    for not_news in (
        FORECAST,
        "Bitcoin price may drop below $64K as veteran raises ‘campaign selling’ alarm",
        "Bhutan sells Bitcoin as price falls near $70,000 with $700m liquidated",
        "Strategy faces $3.8 billion loss as Bitcoin sinks under $71K on Saylor’s birthday",
        "Bitcoin Fell To $15k In 2022, Then Hit $100k In 2024: A Pattern?",
    ):
        assert market_move.move(not_news) is None, not_news


def test_five_outlets_rally_is_one_story_and_a_forecast_stays_out(tmp_path: Path):
    items = _rows("modern", (*RALLY, FORECAST))
    assert len({row["source"] for row, _ in items[:5]}) == 5
    db, stories = _ingest(tmp_path, items)
    assert len({stories[t] for t in RALLY}) == 1, stories
    assert stories[FORECAST] != stories[RALLY[0]]
    story = cryptowire("--database-url", db, "story", str(stories[RALLY[0]]), cwd=tmp_path)
    assert story.returncode == 0, story.stderr
    assert "same market move as #" in story.stdout and "BTC up 2026-08-20" in story.stdout


def test_a_crash_and_the_same_days_rebound_stay_apart(tmp_path: Path):
    _db, stories = _ingest(tmp_path, _rows("real", (*CRASH, REBOUND)))
    assert stories[CRASH[0]] == stories[CRASH[1]]
    assert stories[REBOUND] != stories[CRASH[0]]


def test_explainers_levels_and_lead_ins_read_as_the_days_move():
    """Decision 045's update: classes of tune members the reader missed (tune rows only)."""
    for title, want in (
        ("Why Is The Crypto Market Up Today?", ("BTC", "up")),  # explainer (tune, cnth labels)
        ("Why are Bitcoin, Ethereum and XRP Prices Going Up Today?", ("BTC", "up")),
        ("Bitcoin reclaims 200-day moving average after 270 days below it", ("BTC", "up")),
        ("BTC Price Hits 200-Day EMA as $3.3B Liquidations Fuel Rally", ("BTC", "up")),
        (
            "Ripple’s XRP Dumps by 13% Daily, Bitcoin (BTC) Slipped Below $70K: Market Watch",
            ("XRP", "down"),
        ),
        ("XRP Becomes Biggest Loser Among Top 100 Coins", ("XRP", "down")),
        ("Solana breaks $80 after 10% rally – THIS decides SOL’s $100 target", ("SOL", "up")),
        (
            "US Treasuries fall after Trump administration increases bond buybacks",
            ("BONDS", "down"),
        ),
    ):
        assert market_move.move(title) == want, title
    for not_move in (
        NOT_FALL,
        "Shiba Inu (SHIB) Up 12% as $3 Billion Short Squeeze Fuels Crypto Market Rally",
        "Why Bitcoin treasury firms are buying the dip",
    ):
        assert market_move.move(not_move) is None, not_move


def test_crash_day_explainers_and_lead_ins_join_the_fall(tmp_path: Path):
    _db, stories = _ingest(tmp_path, _rows("cnth", (*FALL, NOT_FALL)))
    assert len({stories[t] for t in FALL}) == 1, [(stories[t], t) for t in FALL]
    assert stories[NOT_FALL] != stories[FALL[0]]
