"""Story grouping on CryptoCompare-fed articles (decision 049): a description that is a cut
teaser of the body gives only its first sentence to the lead, so the generic rewritten filler
after it no longer joins two different events. Real rows of bench/data/stories_cc/tune.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench import bench_stories, tune_stories
from bot.ingest.parse import parse_document
from bot.stories import feed_text, grouping, pair_model, semantic
from bot.stories.pair_scorer import ArticleSide


def _row(set_name: str, title_start: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The row as ``cryptowire ingest`` reads it: front matter through the real parser."""
    for row, article in bench_stories.load_set(set_name, "tune"):
        if row["title"].startswith(title_start):
            tmp_path.mkdir(exist_ok=True)
            (path,) = bench_stories.write_front_matter(tmp_path, [(row, article)])
            return parse_document(path.read_bytes(), origin=str(path))
    raise AssertionError(title_start)


def _score(a, b) -> float:  # type: ignore[no-untyped-def]
    fa, fb = semantic.features(a), semantic.features(b)
    cos = float(np.dot(fa.vector, fb.vector))  # type: ignore[arg-type]
    tcos = float(np.dot(fa.title_vector, fb.title_vector))  # type: ignore[arg-type]
    model = pair_model.model()
    return float(np.dot(ArticleSide(fa).row(fb, cos, tcos), model.weights) + model.bias)


def test_a_cut_teaser_of_the_body_gives_its_first_sentence(tmp_path: Path):
    sc = _row("cc", "Standard Chartered Slashes 2025 Bitcoin Forecast", tmp_path)
    assert sc.summary.endswith("\u2026") and len(sc.body) > len(sc.summary)
    lead = grouping.lead_of(sc)
    assert lead.endswith(".") and sc.summary.startswith(lead) and len(lead) < len(sc.summary) - 20


def test_the_filler_no_longer_joins_two_forecasts(tmp_path: Path):
    # two banks' bitcoin forecasts of 2025-12-09, labelled two events: +1.42 with the whole
    # teaser as the lead (over the join threshold 0.5), below it with the first sentence
    sc = _row("cc", "Standard Chartered Slashes 2025 Bitcoin Forecast", tmp_path / "a")
    bernstein = _row("cc", "Wall Street Giant Bernstein Predicts Bitcoin Price", tmp_path / "b")
    assert _score(sc, bernstein) < pair_model.model().threshold


def test_a_summary_without_a_longer_body_keeps_its_lead():
    # the other sets' feed summaries end in an ellipsis too, but they are the whole text we have
    for _, article in bench_stories.load_set("modern", "tune"):
        if article.summary.endswith("\u2026") and ". " in article.summary:
            assert grouping.lead_of(article) == feed_text.strip_boilerplate(article.summary)
            break
    else:
        raise AssertionError("no ellipsis summary in stories_modern tune")


def test_the_dry_run_scores_cc_outside_the_fit():
    assert "cc" in tune_stories.SCORED and "cc" not in tune_stories.SETS
    blocks = tune_stories.tune_blocks(tune_stories.SCORED)
    assert sorted(blocks) == [f"2025-12-{d:02d}" for d in range(8, 13)]
    assert {b["rows_set"] for b in blocks.values()} == {"cc"}
    assert sum(len(b["labels"]) for b in blocks.values()) == 409  # type: ignore[arg-type]
