"""The trainer's CryptoCompare option (decision 050): ``--cc`` adds the `tune` half of
sentiment_cc.tsv, never a holdout row, and the cross-validation objective scores those rows
as a third period beside 2021-22 and 2025-26. Needs scikit-learn (the `train` extra)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the trainer's extra (pip install -e '.[train]')")

from bench.sentiment_data import CC, Headline, load_modern
from bench.train_sentiment import cc_tune, choose_margin, group_objective, row_weights


def test_cc_rows_for_training_are_the_tune_half_only() -> None:
    rows = cc_tune()
    held = {h.url for h in load_modern(CC) if h.split == "holdout"}
    assert len(rows) >= 900 and all(h.split == "tune" for h in rows)
    assert not held & {h.url for h in rows}


def test_the_objective_scores_cc_rows_as_their_own_period() -> None:
    def row(label: str) -> Headline:
        return Headline("t", "", label, True, "tune")

    items = [row("positive"), row("negative"), row("positive"), row("negative")]
    is_modern = np.array([False, False, True, False])
    is_cc = np.array([False, False, False, True])
    guess = ["positive", "negative", "positive", "positive"]  # the cc row reversed
    objective, text = group_objective(items, guess, is_modern, is_cc)
    assert "2021-22 5-fold accuracy 100.0%, reversed 0/2" in text
    assert "2025-26 5-fold accuracy 100.0%, reversed 0/1" in text
    assert "cc 5-fold accuracy 0.0%, reversed 1/1" in text
    assert objective == pytest.approx((100 + 100 + (0 - 4 * 100)) / 3)
    # without CryptoCompare rows the objective is the two periods' as before
    two = group_objective(items[:3], guess[:3], is_modern[:3])
    assert "; cc " not in two[1] and two[0] == pytest.approx(100)
    assert list(row_weights(is_modern, is_cc, 3.0, 2.0)) == [1.0, 1.0, 3.0, 2.0]


def test_without_the_recall_rule_the_margin_is_the_objectives_choice() -> None:
    """Decision 051: a margin that ends two clear reversals but costs 4 of 14 positive
    recalls is forbidden by the 5-point recall rule, and chosen by the objective alone."""
    order = ["negative", "neutral", "positive"]
    sure_pos, sure_neg, torn = [0.05, 0.05, 0.9], [0.9, 0.05, 0.05], [0.35, 0.1, 0.55]
    rows = [("positive", sure_pos)] * 10 + [("negative", sure_neg)] * 10
    rows += [("positive", torn)] * 4 + [("negative", torn)] * 2  # the last two reversed
    items = [Headline("t", "", label, True, "tune") for label, _ in rows]
    oof = np.array([p for _, p in rows])
    labels = [h.label for h in items]
    is_modern = np.zeros(len(items), bool)
    assert choose_margin(oof, order, items, labels, is_modern) == 0.0
    assert choose_margin(oof, order, items, labels, is_modern, recall_rule=False) == 0.3
