"""The pair model's inputs, one definition: the article's side of every pair read once,
then one row per member in ``pair_model.FEATURES`` order.

Why an article side: the story rule scores ~15 members per article in the single-threaded
bulk writer, and looking up the article's own side (profile, token sets, word weights,
date, event kinds, the model) again for every member was a third of that cost (issue 14,
decision 037). The writer's fast path (``ArticleScorer.log_odds``), the explanation,
``semantic._scored`` and the fit (``bench/tune_stories.py``) all read ``ArticleSide.row``,
so the model and the fast path cannot drift (decision 044).
"""

from __future__ import annotations

import math
import operator

from bot.stories import grouping
from bot.stories.pair_model import FEATURES, MAX_NAMES, MOVES, Profile, model

_MUL = operator.mul


class ArticleSide:
    """The article's side of every pair, for ``row(member, cosine, title_cosine)``."""

    __slots__ = (
        "a_down",
        "a_moves",
        "a_up",
        "date",
        "entities",
        "events",
        "large",
        "named",
        "norm",
        "opinion",
        "prices",
        "profile",
        "published_at",
        "roundup",
        "single",
        "source",
        "tags",
        "title_norm",
        "title_tokens",
        "tokens",
        "weights",
        "wrap",
    )

    def __init__(self, article: grouping.StoryFeatures) -> None:
        pa = article.profile
        assert isinstance(pa, Profile)
        self.profile = pa
        self.single = bool(pa.singleton)
        self.tokens = article.tokens
        self.title_tokens = article.title_tokens
        self.weights = pa.weights
        self.norm = pa.norm
        self.title_norm = pa.title_norm
        self.events = pa.events
        self.a_up = "up" in pa.events
        self.a_down = "down" in pa.events
        self.a_moves = bool(pa.events & MOVES)
        self.roundup = pa.roundup
        self.opinion = pa.opinion
        self.wrap = pa.market_wrap
        self.published_at = article.published_at
        self.date = article.published_at.date()
        self.tags = article.tags
        self.entities = article.entities
        self.source = article.source
        self.named = article.source not in grouping.UNNAMED_SOURCES
        self.large = article.figures.large
        self.prices = article.figures.prices

    def row(self, b: grouping.StoryFeatures, cosine: float, title_cosine: float) -> list[float]:
        """The model's inputs for the pair (this article, ``b``), in ``FEATURES`` order.
        Yes/no inputs stay bools: 0/1 in the weighted sum give the same products as
        0.0/1.0, without a ``float()`` per input (it pays for this method's call)."""
        pb = b.profile
        assert isinstance(pb, Profile)
        fb = b.figures
        # figures: a shared one is weak evidence, two different totals count against
        if self.large and fb.large:
            shared_large = grouping._shares(self.large, fb.large)
            conflict_large = not shared_large
        else:
            shared_large = conflict_large = False
        if self.prices and fb.prices:
            shared_price = grouping._shares(self.prices, fb.prices)
            conflict_price = not shared_price
        else:
            shared_price = conflict_price = False
        hours = abs((self.published_at - b.published_at).total_seconds()) / 3600.0
        names = min(len(self.entities & b.entities), MAX_NAMES)
        weights = self.weights
        # the idf-weighted overlap of the words, then of the titles (inline: ~15 members per
        # article); fsum: a set's order follows the hash seed, and a plain sum the order
        shared = [weights[t] for t in self.tokens & b.tokens if t in weights]
        if not shared or self.norm == 0.0 or pb.norm == 0.0:
            rare = rarest = 0.0
        else:
            rare = math.fsum([x * x for x in shared]) / (self.norm * pb.norm)
            rarest = max(shared)
        a_titles, b_titles = self.title_tokens, b.title_tokens
        shared = [weights[t] for t in a_titles & b_titles if t in weights]
        if not shared or self.title_norm == 0.0 or pb.title_norm == 0.0:
            rare_title = 0.0
        else:
            rare_title = math.fsum([x * x for x in shared]) / (self.title_norm * pb.title_norm)
        ea, eb = self.events, pb.events
        kinds = (ea | eb) - {"report"}
        same = bool(ea & eb)
        other = bool(ea and eb and not same and kinds)
        opposite = (self.a_up and "down" in eb and not self.a_down) or (
            self.a_down and "up" in eb and not self.a_up
        )
        same_day = self.date == b.published_at.date()
        same_move = bool(ea & eb & MOVES) and same_day and bool(self.tags & b.tags)
        same_move = same_move and not opposite
        return [
            cosine,
            title_cosine,
            grouping.jaccard(a_titles, b_titles),
            rare,
            rare_title,
            rarest / 10.0,
            float(names),
            same,
            other,
            opposite,
            shared_large,
            conflict_large,
            shared_price,
            conflict_price,
            hours / 24.0,
            self.named and self.source == b.source,
            self.roundup or pb.roundup,
            self.opinion or pb.opinion,
            cosine * names,
            grouping.jaccard(self.tags, b.tags),
            same_day,
            same_move,
            self.wrap or pb.market_wrap,
            self.a_moves and bool(eb & MOVES) and not same_day,
        ]


class ArticleScorer(ArticleSide):
    """The article's side and the fitted model: ``log_odds`` for each member."""

    __slots__ = ("bias", "cap", "min_cosine", "model_weights")

    def __init__(self, article: grouping.StoryFeatures) -> None:
        super().__init__(article)
        fitted = model()
        self.model_weights = fitted.weights
        if len(self.model_weights) != len(FEATURES):  # as Model.score checks
            raise ValueError(f"{len(FEATURES)} inputs for {len(self.model_weights)} weights")
        self.bias = fitted.bias
        self.cap = fitted.threshold - 1.0
        self.min_cosine = fitted.min_cosine

    def log_odds(self, b: grouping.StoryFeatures, cosine: float, title_cosine: float) -> float:
        """``semantic._scored(article, b)[0]`` given both cosines: the same float (the sum
        of ``pair_model.Model.score`` and the cap of ``semantic._capped``)."""
        score = self.bias + sum(map(_MUL, self.model_weights, self.row(b, cosine, title_cosine)))
        if cosine < self.min_cosine or self.single or b.profile.singleton:  # type: ignore[attr-defined]
            score = min(score, self.cap)
        return score


def pair_features(
    a: grouping.StoryFeatures, b: grouping.StoryFeatures, cosine: float, title_cosine: float
) -> list[float]:
    """The model's inputs for one pair (no side kept: scoring many, keep an ArticleSide)."""
    return ArticleSide(a).row(b, cosine, title_cosine)
