"""Pure story rules: figure normalisation, MinHash bands and the pair score."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.models import Sentiment
from bot.stories import grouping as rules
from bot.stories import minhash as mh
from tests.archive_helpers import T0, make


@pytest.mark.parametrize(
    ("text", "amounts", "percents"),
    [
        ("BTC at $92,000", (92_000.0,), ()),
        ("BTC at $92K", (92_000.0,), ()),
        ("BTC at $92k support", (92_000.0,), ()),
        ("$440 million liquidated", (440e6,), ()),
        ("$440M liquidated", (440e6,), ()),
        ("USD 1.08 billion", (1.08e9,), ()),
        ("1.5 billion dollars", (1.5e9,), ()),
        ("down 9% and then 12.5 percent", (), (9.0, 12.5)),
        ("in 2026, 183,000 traders and block 840000", (), ()),
    ],
)
def test_figures_are_normalised(text, amounts, percents):  # type: ignore[no-untyped-def]
    figures = rules.extract_figures(text)
    assert figures.amounts == amounts
    assert figures.percents == percents


def test_equal_amounts_share_one_token():
    assert rules.figure_token(92_000) == rules.figure_token(92e3) == "$92k"
    assert rules.figure_token(440e6) == "$440m"
    assert rules.figure_token(1.08e9) == "$1.08b"
    assert rules.tokenize("$92,000 drop") == rules.tokenize("$92K drops")


def test_minhash_is_deterministic_and_tracks_overlap():
    a = rules.tokenize("bitcoin liquidations top $440M as price dips to $92K")
    b = rules.tokenize("bitcoin price tests $92K support after $440 million liquidations")
    c = rules.tokenize("ethereum developers schedule the pectra upgrade for march")
    assert mh.minhash(a) == mh.minhash(set(a))
    bands_a, bands_b, bands_c = (set(mh.band_keys(mh.minhash(t))) for t in (a, b, c))
    assert len(bands_a) == mh.NUM_HASHES
    assert len(bands_a & bands_b) >= rules.MIN_SHARED_BANDS
    assert len(bands_a & bands_c) < rules.MIN_SHARED_BANDS
    assert all(-(1 << 62) <= k < (1 << 62) for k in bands_a)
    assert mh.minhash(frozenset()) == ()


SAME_A = make(
    "Bitcoin dips to $92K as liquidations top $440M",
    summary="Bitcoin fell from highs near $94,000; more than $440 million was liquidated.",
    tags=("BTC", "MARKET"),
)
SAME_B = make(
    "Bitcoin price tests $92K support: liquidations spark recovery signals",
    summary="$440 million in liquidations briefly pushed bitcoin below the $92,000 support.",
    source="cryptonews",
    at=T0 + timedelta(hours=4),
    tags=("BTC",),
)
OTHER_DAY = make(
    "Crypto liquidations top $477M as bitcoin slips below $90K",
    summary="Bitcoin's decline below $90,000 caused liquidations exceeding $477 million.",
    at=T0 + timedelta(hours=33),
    tags=("BTC", "MARKET"),
)
OTHER_FIGURES = make(
    "Bitcoin dips below $90K as leverage unwinds",
    summary="Roughly $1.08 billion in positions were liquidated as bitcoin fell below $90,000.",
    at=T0 + timedelta(hours=36),
    tags=("BTC",),
)


def test_same_event_from_two_sources_scores_as_one_story():
    score = rules.score_pair(rules.features(SAME_A), rules.features(SAME_B))
    assert score.shared_large and not score.conflict_large
    assert score.same_story


@pytest.mark.parametrize(("a", "b"), [(SAME_A, OTHER_DAY), (OTHER_DAY, OTHER_FIGURES)])
def test_conflicting_totals_keep_lookalikes_apart(a, b):  # type: ignore[no-untyped-def]
    score = rules.score_pair(rules.features(a), rules.features(b))
    assert score.conflict_large
    assert not score.same_story


def test_time_distance_lowers_the_score():
    fa = rules.features(SAME_A)
    soon = rules.features(make(SAME_A.title, summary=SAME_A.summary, at=T0 + timedelta(hours=1)))
    late = rules.features(make(SAME_A.title, summary=SAME_A.summary, at=T0 + timedelta(days=2)))
    assert rules.score_pair(fa, late).score < rules.score_pair(fa, soon).score
    # weak wording overlap + a day apart + no shared figure: not the same event
    vague = make(
        "Bitcoin market update", summary="Bitcoin traded sideways.", at=T0 + timedelta(days=1)
    )
    assert not rules.score_pair(fa, rules.features(vague)).same_story


def test_best_story_picks_the_highest_qualifying_candidate():
    fa = rules.features(SAME_A)
    candidates = {
        1: [rules.features(OTHER_DAY)],
        2: [rules.features(OTHER_FIGURES), rules.features(SAME_B)],
    }
    story, score = rules.best_story(fa, candidates)
    assert story == 2 and score >= rules.JOIN_THRESHOLD
    assert rules.best_story(fa, {1: [rules.features(OTHER_DAY)]})[0] is None
    assert rules.best_story(fa, {})[0] is None


def test_majority_sentiment():
    neg, pos = str(Sentiment.NEGATIVE), str(Sentiment.POSITIVE)
    assert rules.majority_sentiment([neg, neg, pos]) == neg
    assert rules.majority_sentiment([neg, pos]) == "NEUTRAL"
    assert rules.majority_sentiment([]) == "NEUTRAL"
