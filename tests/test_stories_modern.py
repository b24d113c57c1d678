"""Story grouping on 2026 multi-outlet feeds (decision 041): feed boilerplate does not make
two pieces of one outlet look alike, an outlet's price-prediction series joins nothing,
and the pair model is fitted with each labelled set weighing the same. Real rows of
bench/data/stories_modern/tune.csv."""

from __future__ import annotations

import numpy as np

from bench import bench_stories, tune_stories
from bot.stories import feed_text, grouping, pair_model, semantic
from storage.plugin import SqlStorage
from tests.archive_helpers import save


def _row(title_start: str):  # type: ignore[no-untyped-def]
    for row, article in bench_stories.load_set("modern", "tune"):
        if row["title"].startswith(title_start):
            return article
    raise AssertionError(title_start)


def test_feed_boilerplate_is_not_part_of_the_lead():
    corridor = _row("US military establishes oil shipping corridor")
    debt = _row("US Debt Hits $40 Trillion")
    coinpedia = _row("Why are Bitcoin, Ethereum and XRP Prices Going Up Today?")
    assert "appeared first on" in corridor.summary and "appeared first on" in coinpedia.summary
    for article in (corridor, debt, coinpedia):
        lead = grouping.lead_of(article)
        assert "appeared first" not in lead and "Read The Full Article" not in lead
    # the feed put "The post <title> appeared first on Coinpedia Fintech News" before the summary
    assert grouping.lead_of(coinpedia).startswith("Crypto prices are jumping across the board")
    # two items of one outlet about different things share no outlet words any more
    a, b = (
        semantic.features(corridor),
        semantic.features(debt),
    )
    shared = set(pair_model.rare_shared(a.tokens, b.tokens, limit=10))
    assert not shared & {"briefing", "crypto briefing", "appear", "appeared", "post"}
    assert feed_text.strip_boilerplate("Plain summary. [\u2026]") == "Plain summary."


async def test_a_price_prediction_series_joins_nothing(storage: SqlStorage):
    series = [
        _row("Polkadot (DOT) Price Prediction 2026"),
        _row("Worldcoin (WLD) Price Prediction 2026"),
        _row("Ethereum (ETH) Price Prediction 2026"),
    ]
    outcomes = [await save(storage.archive, article) for article in series]
    assert all(o.story is not None and not o.story_joined for o in outcomes)
    assert len({o.story.id for o in outcomes if o.story}) == 3
    kinds = {semantic.features(a).profile.singleton for a in series}  # type: ignore[union-attr]
    assert kinds == {"price prediction"}
    # a named institution's forecast is a statement, not the series
    named = semantic.features(_row("Bitcoin Price Prediction: Standard Chartered Forecasts"))
    assert named.profile.singleton == ""  # type: ignore[union-attr]


def test_each_labelled_set_weighs_the_same_in_the_fit():
    rng = np.random.default_rng(1)
    blocks = {}
    for name, kind, n, pairs in (("A", "real", 6, 0), ("d1", "modern", 8, 6)):
        same = np.zeros((n, n), dtype=bool)
        same[:pairs, :pairs] = True  # a story of `pairs` articles: many more pairs in d1
        np.fill_diagonal(same, False)
        blocks[name] = {
            "set": kind,
            "near": np.ones((n, n), dtype=bool),
            "same": same,
            "cube": rng.random((n, n, 2)),
        }
    cubes = {n: b["cube"] for n, b in blocks.items()}
    blocks["A"]["same"][:2, :2] = ~np.eye(2, dtype=bool)  # A: one story of two articles
    _x, y, weight = tune_stories.xy(blocks, cubes, ["A", "d1"])  # type: ignore[arg-type]
    real = np.arange(len(y)) < 15  # block A's 15 pairs come first
    assert y[real].sum() == 1 and y[~real].sum() == 15
    assert np.isclose((weight * y)[real].sum(), (weight * y)[~real].sum())
