"""Semantic story grouping (decision 018): paraphrases join, a shared figure alone does
not, stories are bounded, membership is explained, and every process sees the vectors
another one wrote (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import bot.cli.archive  # noqa: F401 - registers the archive commands on the app
from bot.cli.main import app
from bot.ingest.prefetch import story_features
from bot.stories import grouping, pair_model, semantic
from bot.stories.embedding import default_embedder, from_bytes, to_bytes
from storage.database import Database
from storage.plugin import SqlStorage
from storage.story_members import ConnectionRows
from tests.archive_helpers import T0, make, save

STARBUCKS_A = make(
    "Coffee giant Starbucks aims to enter NFT business",
    summary="Starbucks plans to sell NFTs to its customers, chief executive Kevin Johnson said.",
    source="cryptopotato",
    tags=("NFT",),
)
STARBUCKS_B = make(
    "Starbucks announces NFT initiative as union-busting controversy continues",
    summary="The coffee chain will launch digital collectibles later this year, Kevin Johnson "
    "told investors.",
    source="cointelegraph",
    at=T0 + timedelta(hours=5),
    tags=("NFT",),
)
WHALE = make(
    "Whale moves $180M in ether to an exchange",
    summary="A large holder transferred 60,000 ETH worth $180M to Binance.",
    tags=("ETH",),
)
STOCK = make(
    "Tech stock slides after $178 million quarterly loss",
    summary="The software maker reported a quarterly loss of $178 million and cut its outlook.",
    source="coindesk",
    at=T0 + timedelta(hours=2),
    tags=(),
)


def _pair(a, b):  # type: ignore[no-untyped-def]
    return semantic.score_pair(semantic.features(b), semantic.features(a))


def test_vectors_are_unit_length_and_survive_storage():
    vectors = default_embedder().embed(["Bitcoin ETF inflows hit a record", "", "???"])
    assert vectors.shape == (3, default_embedder().dims)
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-5
    assert not vectors[1].any()  # nothing to embed: a zero vector, never NaN
    assert np.allclose(from_bytes(to_bytes(vectors[0])), vectors[0], atol=1e-3)


def test_a_paraphrase_with_few_shared_words_scores_as_one_event():
    evidence = _pair(STARBUCKS_A, STARBUCKS_B)
    lexical = grouping.score_pair(grouping.features(STARBUCKS_B), grouping.features(STARBUCKS_A))
    assert not lexical.same_story  # the word rule alone misses it
    assert evidence.score >= pair_model.model().threshold
    assert evidence.similarity > 0.5
    assert "starbucks" in evidence.shared_names


def test_a_shared_figure_alone_does_not_merge():
    evidence = _pair(WHALE, STOCK)
    assert evidence.shared_figures == ("$178m",)  # $180M and $178 million are within 2 %
    assert evidence.score < pair_model.model().threshold


CEASE_A = make(
    "Texas regulator orders crypto lender Nebula Finance to stop offering yield accounts",
    summary="The Texas State Securities Board issued an emergency cease-and-desist against "
    "Nebula Finance.",
    source="cointelegraph",
    tags=(),
)
CEASE_B = make(
    "Nebula Finance hit with cease-and-desist from Texas securities board",
    summary="State officials say the lender sold unregistered securities to residents.",
    at=T0 + timedelta(hours=4),
    tags=(),
)
FUNDING = make(
    "Lumen Labs raises $250M Series B to build bitcoin payment rails",
    summary="The round was led by Paradigm.",
    source="coindesk",
)
OPINION = make(
    "Why the next bull run needs more than $250M of venture money",
    summary="An opinion on where crypto venture capital is going.",
    source="cointelegraph",
    at=T0 + timedelta(hours=2),
)


def test_one_regulator_action_worded_differently_joins():
    evidence = _pair(CEASE_A, CEASE_B)
    assert evidence.score >= pair_model.model().threshold
    assert "nebula" in evidence.shared_words  # the rarest shared word is the actor


def test_an_opinion_piece_does_not_join_a_funding_story_through_a_figure():
    evidence = _pair(FUNDING, OPINION)
    assert evidence.shared_figures == ("$250m",)
    assert evidence.score < pair_model.model().threshold


def test_two_market_wraps_of_one_outlet_stay_apart():
    wrap = make(
        "Bitcoin and Ethereum Hold Gains, SOL and XRP Rally",
        summary="Bitcoin traded above $90,000.",
        source="cryptonews",
    )
    later = make(
        "Bitcoin and Ethereum Consolidate, DOGE Trims Gains",
        summary="Bitcoin traded near $91,000.",
        source="cryptonews",
        at=T0 + timedelta(hours=12),
    )
    assert _pair(wrap, later).score < pair_model.model().threshold


def test_the_shipped_model_matches_its_features():
    shipped = pair_model.model()
    assert len(shipped.weights) == len(pair_model.FEATURES)
    assert pair_model.idf("bitcoin") < pair_model.idf("nebula")  # unseen words are rarest


def test_conflicting_totals_count_against():
    a = make("Liquidations top $440M as bitcoin dips", summary="Over $440 million liquidated.")
    b = replace(a, title="Liquidations top $477M as bitcoin dips", source_key="coindesk")
    b = replace(b, summary="Over $477 million liquidated.", body="Over $477 million liquidated.")
    same = replace(b, title=a.title, summary=a.summary, body=a.body)
    conflict, agree = _pair(a, b), _pair(a, same)
    assert set(conflict.conflicting_figures) == {"$440m", "$477m"}
    assert conflict.score < agree.score


def test_names_skip_title_case_words_and_generic_crypto_words():
    found = semantic.names(
        "Bitcoin Rallies As MicroStrategy Buys More",
        "MicroStrategy bought 1,000 BTC, Michael Saylor said on Monday.",
    )
    assert {"microstrategy", "michael", "saylor"} <= found
    assert not found & {"bitcoin", "rallies", "buys", "monday", "btc"}


def test_a_story_stops_growing_at_its_bound(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(semantic, "MAX_STORY_SIZE", 2)
    first = semantic.features(STARBUCKS_A)
    again = semantic.features(replace(STARBUCKS_A, source_key="decrypt"))
    one = {1: [(1, first)]}
    assert semantic.best_story(again, one, window_hours=72).story_id == 1
    full = {1: [(1, first), (2, semantic.features(STARBUCKS_B))]}
    decision = semantic.best_story(again, full, window_hours=72)
    assert decision.story_id is None  # full: closed to new articles


def test_drift_is_measured_against_the_first_article(monkeypatch: pytest.MonkeyPatch):
    first = semantic.features(STARBUCKS_A)
    late = semantic.features(replace(STARBUCKS_B, published_at=T0 + timedelta(hours=80)))
    bridge = semantic.features(replace(STARBUCKS_B, published_at=T0 + timedelta(hours=60)))
    story = {1: [(1, first), (2, bridge)]}
    # the newest member is close in time, but the story began more than 72 h earlier
    assert semantic.best_story(late, story, window_hours=72).story_id is None


async def test_paraphrases_share_a_story_and_say_why(storage: SqlStorage):
    first = await save(storage.archive, STARBUCKS_A)
    second = await save(storage.archive, STARBUCKS_B)
    assert first.story is not None and second.story is not None
    assert second.story_joined and second.story.id == first.story.id
    why = await storage.archive.story_evidence(first.story.id)
    assert first.article is not None and second.article is not None
    assert why[first.article.id]["joined"] is False
    joined = why[second.article.id]
    assert joined["method"] == "semantic" and joined["joined"] is True
    assert joined["matched_article"] == first.article.id
    assert "starbucks" in joined["shared_names"]
    assert joined["score"] >= pair_model.model().threshold


async def test_whale_and_stock_figures_stay_apart_in_the_archive(storage: SqlStorage):
    whale = await save(storage.archive, WHALE)
    stock = await save(storage.archive, STOCK)
    assert whale.story is not None and stock.story is not None
    assert whale.story.id != stock.story.id


async def test_lexical_method_stays_available(storage: SqlStorage):
    lexical = story_features(STARBUCKS_A, "lexical")
    assert lexical.vector is None
    outcome = await storage.archive.save(
        STARBUCKS_A,
        identity="lexical-a",
        origin="test",
        story_window=timedelta(hours=72),
        features=lexical,
        bands=grouping.article_bands(lexical),
    )
    assert outcome.story is not None and outcome.article is not None
    why = await storage.archive.story_evidence(outcome.story.id)
    assert why[outcome.article.id]["method"] == "lexical"


async def test_a_second_process_sees_the_vectors_the_first_wrote(storage: SqlStorage):
    """Two archives on one database, each with its own in-memory index (two processes
    of a fleet): the second finds the first's story by vector, with no restart."""
    other = SqlStorage(Database(storage.db.url.render_as_string(hide_password=False)))
    try:
        unrelated = make("Ethereum developers set a date for the next upgrade", source="x")
        await save(other.archive, unrelated)  # the second process has read up to here
        first = await save(storage.archive, STARBUCKS_A)
        assert first.story is not None
        probe = semantic.features(STARBUCKS_B)
        index = other.archive._vectors
        async with other.db.connect() as conn:
            found = await conn.run_sync(
                lambda sync: index.candidates(
                    ConnectionRows(sync),
                    probe.vector,  # type: ignore[arg-type]
                    STARBUCKS_B.published_at,
                    timedelta(hours=72),
                    limit=5,
                    min_cosine=semantic.CANDIDATE_COSINE,
                )
            )
        assert found and found[0] == first.story.id
        joined = await save(other.archive, STARBUCKS_B)
        assert joined.story is not None and joined.story.id == first.story.id
    finally:
        await other.close()


def test_story_command_prints_why_each_article_joined(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    folder = tmp_path / "in"
    folder.mkdir()
    for name, article in (("a.md", STARBUCKS_A), ("b.md", STARBUCKS_B)):
        stamp = article.published_at.isoformat().replace("+00:00", "Z")
        (folder / name).write_text(
            f"---\ntitle: '{article.title}'\ndescription: '{article.summary}'\n"
            f"publishedAt: '{stamp}'\nsource: {{name: {article.source_key}, "
            f"key: {article.source_key}}}\n---\n{article.summary}\n",
            encoding="utf-8",
        )
    runner = CliRunner()
    ingested = runner.invoke(app, ["--database-url", db, "ingest", str(folder)])
    assert ingested.exit_code == 0, ingested.output
    shown = runner.invoke(app, ["--database-url", db, "story", "1"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "2 article(s)" in lines[1]
    assert "why: started the story (semantic" in shown.output
    joined = next(line for line in lines if "why: joined" in line)
    assert "similarity" in joined and "shared names" in joined and "starbucks" in joined
    assert "rarest shared words" in joined
    assert "closest to #1" in joined


WRAP_A = make(
    "Bitcoin and Ethereum Rally, SOL and XRP Surge",
    summary="Bitcoin rose above $90,000 while Solana and XRP led the altcoins higher.",
    source="cryptonews",
    tags=("BTC", "ETH", "SOL", "XRP"),
)
WRAP_B = make(
    "Bitcoin and Ethereum Rally, SOL and XRP Jump",
    summary="Bitcoin climbed above $90,000 as Solana and XRP led the altcoins higher.",
    source="cryptopotato",
    at=T0 + timedelta(hours=2),
    tags=("BTC", "ETH", "SOL", "XRP"),
)


async def test_recurring_market_wraps_never_group_and_say_why(storage: SqlStorage):
    # labels' rule 7: a multi-coin wrap without a news cause is a roundup, one alert each
    first = await save(storage.archive, WRAP_A)
    second = await save(storage.archive, WRAP_B)
    assert first.story is not None and second.story is not None
    assert second.story.id != first.story.id
    why = await storage.archive.story_evidence(second.story.id)
    assert second.article is not None
    assert why[second.article.id]["singleton"] == "market wrap"


def test_a_wrap_naming_its_cause_may_still_join():
    wrap = make("Bitcoin Tests $30K, Ethereum Dives, LUNA Halves as UST Loses Peg")
    assert semantic.features(wrap).profile.singleton == ""  # type: ignore[union-attr]
    digest = make("FTX Europe, Binance's Crypto Payments, Dogecoin's Trademark + More News")
    assert semantic.features(digest).profile.singleton == "roundup"  # type: ignore[union-attr]


_SCORE_SCRIPT = """
from datetime import datetime, timezone
from bot.stories import grouping, pair_model
from bot.stories.pair_scorer import pair_features
words = frozenset(
    "regulator exchange lawsuit settlement custody stablecoin issuer treasury reserves audit "
    "attestation liquidity derivatives futures options leverage margin collateral validator "
    "staking rewards slashing bridge exploit hacker laundering sanctions compliance".split()
)
p = pair_model.profile("SEC sues exchange over staking", words, words)
f = grouping.StoryFeatures(
    words, grouping.Figures(), frozenset(), datetime(2026, 1, 1, tzinfo=timezone.utc),
    title_tokens=words, profile=p,
)
x = pair_features(f, f, 0.5, 0.5)
names = ("rare_overlap", "rare_title_overlap", "rarest_shared")
print(repr(p.norm), [repr(x[pair_model.FEATURES.index(n)]) for n in names])
"""


def test_word_overlap_scores_are_the_same_in_every_process():
    """Every process of a fleet must reach the same join decision for the same pair, and
    ``cryptowire story`` must print the same evidence: the idf-weighted overlaps sum over
    sets, whose order follows the per-process hash seed (a plain float sum differed in the
    last digits between seeds)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    outputs = set()
    for seed in ("1", "2", "3", "4", "5", "6", "7", "8"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _SCORE_SCRIPT],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outputs.add(out.stdout.strip())
    assert len(outputs) == 1, outputs
