"""The semantic story rule: which candidate story an article joins, and why.

Pure. The pair score is the learned model of ``pair_model`` (decision 022: vectors, rare
shared words, names, event kinds, figures, time, outlet, roundup/opinion markers; fitted on
the `tune` half of bench/data/stories_real only). Names are extracted here (capitalised
words other than generic crypto words). A story is joined through its best-matching
member (single link), but only while the article also scores at least the drift floor
against the story's first article, lies within the window of that first article, and the
story is below MAX_STORY_SIZE articles (decision 018). A recurring digest or cause-less
market wrap joins nothing and takes no member (decision 031). Only the best member's pair
is explained in full (the evidence ``cryptowire story ID`` shows).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from bot.models import Article
from bot.stories import grouping, market_move, pair_model
from bot.stories.embedding import default_embedder
from bot.stories.pair_scorer import ArticleScorer, ArticleSide, pair_features

MAX_STORY_SIZE = 40  # no real event in the labelled days had more than 6 articles
# A market move joins a story other than its move's only this far above the threshold
# (decision 045, by CV on tune rows).
MOVE_SURE = 2.0
CANDIDATE_COSINE = 0.15  # stories whose member vectors reach this are candidates (top 10)

GENERIC_NAMES = frozenset(
    """bitcoin btc crypto cryptocurrency cryptocurrencies ethereum eth ether nft nfts defi
    blockchain web3 dao metaverse altcoin altcoins stablecoin stablecoins token tokens
    price prices market markets exchange report reports breaking exclusive analysis news
    update weekly daily today week watch here how why what when who new first top more
    usd us u.s monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december ceo cto cfo
    trader traders investors whales data bull bear bulls bears sec""".split()
)
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9&'.-]*[A-Za-z0-9]\b")


def names(title: str, lead: str) -> frozenset[str]:
    """Capitalised words naming things (companies, people, places, projects), lower-cased.
    A Title Case headline capitalises every word: there, a word counts only when the lead
    capitalises it too (or it is an acronym)."""
    lead_names = {m.group(0) for m in _NAME.finditer(lead)}
    lead_lower = lead.lower()
    title_words = title.split()
    title_case = sum(w[:1].isupper() for w in title_words) > 0.6 * max(1, len(title_words))
    found = set()
    for match in _NAME.finditer(title):
        word = match.group(0)
        if match.start() == 0 and word not in lead_names and not word.isupper():
            if word.lower() in lead_lower or word.lower() in grouping.STOPWORDS:
                continue  # a sentence-case headline's first word, used as a plain word
        if title_case and word not in lead_names and not word.isupper():
            continue
        found.add(word)
    for i, match in enumerate(_NAME.finditer(lead)):
        if i == 0 and match.start() == 0:
            continue  # the lead's first word is capitalised anyway
        found.add(match.group(0))
    out = {w.lower().strip(".'") for w in found}
    return frozenset(w for w in out if len(w) > 1 and w not in GENERIC_NAMES) - grouping.STOPWORDS


def features(article: Article) -> grouping.StoryFeatures:
    """The lexical features plus title and title+lead vectors and names."""
    base = grouping.features(article)
    lead = grouping.lead_of(article)
    vectors = default_embedder().embed([f"{article.title}\n{lead}", article.title])
    title_tokens = grouping.tokenize(article.title)
    profile = pair_model.profile(article.title, base.tokens, title_tokens)
    return replace(
        base,
        vector=vectors[0],
        title_vector=vectors[1],
        entities=names(article.title, lead),
        title_tokens=title_tokens,
        profile=profile,
        move="" if profile.singleton else market_move.key(article.title, article.published_at),
    )


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an article joined a story (or did not): stored and shown by `story ID`."""

    score: float
    similarity: float
    title_similarity: float
    word_overlap: float
    shared_names: tuple[str, ...] = ()
    shared_words: tuple[str, ...] = ()  # the rarest content words both texts use
    event_kinds: tuple[str, ...] = ()  # the kinds of event both headlines report
    shared_figures: tuple[str, ...] = ()
    conflicting_figures: tuple[str, ...] = ()
    hours_apart: float = 0.0
    same_source: bool = False
    matched_article: int | None = None
    first_score: float | None = None
    singleton: str = ""  # "roundup" / "market wrap": a recurring digest, grouped with nothing
    move: str = ""  # joined as this market move ("BTC up 2026-08-20"), whatever the score

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 3),
            "similarity": round(self.similarity, 3),
            "title_similarity": round(self.title_similarity, 3),
            "word_overlap": round(self.word_overlap, 3),
            "shared_names": list(self.shared_names),
            "shared_words": list(self.shared_words),
            "event_kinds": list(self.event_kinds),
            "shared_figures": list(self.shared_figures),
            "conflicting_figures": list(self.conflicting_figures),
            "hours_apart": round(self.hours_apart, 1),
            "same_source": self.same_source,
            "matched_article": self.matched_article,
            "first_score": None if self.first_score is None else round(self.first_score, 3),
            "singleton": self.singleton,
            "move": self.move,
        }


def _cos(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    return float((a * b).sum())  # no BLAS call: its threads spin (see story_vectors)


def _singleton(f: grouping.StoryFeatures) -> str:
    """ "roundup" / "market wrap" when the article is a recurring digest (never grouped)."""
    return f.profile.singleton if isinstance(f.profile, pair_model.Profile) else ""


def _events(f: grouping.StoryFeatures) -> frozenset[str]:
    return f.profile.events if isinstance(f.profile, pair_model.Profile) else frozenset()


def _figure_names(values: Sequence[float]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(grouping.figure_token(v) for v in values))


def _capped(
    a: grouping.StoryFeatures, b: grouping.StoryFeatures, x: list[float], cosine: float
) -> float:
    """The model's log-odds for inputs ``x``, held under the threshold for pairs the rule
    never joins (too far apart in meaning, or a recurring digest on either side)."""
    model = pair_model.model()
    score = model.score(x)
    if cosine < model.min_cosine or _singleton(a) or _singleton(b):
        score = min(score, model.threshold - 1.0)
    return score


def _scored(
    a: grouping.StoryFeatures, b: grouping.StoryFeatures
) -> tuple[float, float, float, grouping.PairScore, list[float]]:
    lexical = grouping.score_pair(a, b)
    cosine, title_cosine = _cos(a.vector, b.vector), _cos(a.title_vector, b.title_vector)
    x = pair_features(a, b, cosine, title_cosine)
    return _capped(a, b, x, cosine), cosine, title_cosine, lexical, x


def score_pair(
    a: grouping.StoryFeatures, b: grouping.StoryFeatures, matched: int | None = None
) -> Evidence:
    """The pair's score with everything ``cryptowire story ID`` shows about it."""
    cosine, title_cosine = _cos(a.vector, b.vector), _cos(a.title_vector, b.title_vector)
    return _explained(a, b, cosine, title_cosine, matched, None)


def _explained(
    a: grouping.StoryFeatures,
    b: grouping.StoryFeatures,
    cosine: float,
    title_cosine: float,
    matched: int | None,
    first_score: float | None,
    side: ArticleSide | None = None,
) -> Evidence:
    """``score_pair`` given both cosines (and ``a``'s side when the caller has it): the
    model's inputs of the fast path, without the lexical rule's whole score."""
    x = (side or ArticleSide(a)).row(b, cosine, title_cosine)
    score = _capped(a, b, x, cosine)
    shared_figures = [
        v for v in a.figures.amounts if any(grouping._close(v, y) for y in b.figures.amounts)
    ]
    conflicting = [*a.figures.large, *b.figures.large] if x[_CONFLICT_TOTAL] else []
    return Evidence(
        score=score,
        similarity=cosine,
        title_similarity=title_cosine,
        word_overlap=x[_TITLE_WORDS],
        shared_names=tuple(sorted(a.entities & b.entities)),
        shared_words=pair_model.rare_shared(a.tokens, b.tokens),
        event_kinds=tuple(sorted(_events(a) & _events(b))),
        shared_figures=_figure_names(shared_figures),
        conflicting_figures=_figure_names(conflicting),
        hours_apart=pair_model.hours_apart(a, b),
        same_source=bool(x[_SAME_SOURCE]),
        matched_article=matched,
        first_score=first_score,
        singleton=_singleton(a),
    )


_TITLE_WORDS = pair_model.FEATURES.index("title_words")
_CONFLICT_TOTAL = pair_model.FEATURES.index("conflict_total")
_SAME_SOURCE = pair_model.FEATURES.index("same_source")
# a story's best member: (log-odds, member id, features, cosine, title cosine)
_Scored = tuple[float, int, grouping.StoryFeatures, float, float]


@dataclass(frozen=True, slots=True)
class Decision:
    story_id: int | None
    evidence: Evidence | None  # the best pair (joined or not); None without candidates


def _cosines(vector: np.ndarray | None, others: Sequence[np.ndarray | None]) -> list[float]:
    """``_cos(vector, o)`` for every ``o``, in one multiply-and-sum over the stacked rows
    (the same pairwise sum per row as the 1-D ``sum``: bit for bit the same values)."""
    if vector is None or not others:
        return [0.0] * len(others)
    present = [i for i, o in enumerate(others) if o is not None]
    out = [0.0] * len(others)
    if present:
        # np.array builds the same matrix as np.stack, at a third of its call cost
        stacked = np.array([others[i] for i in present])
        for i, value in zip(present, (stacked * vector).sum(axis=1).tolist(), strict=True):
            out[i] = value
    return out


def best_story(
    article: grouping.StoryFeatures,
    candidates: Mapping[int, Sequence[tuple[int, grouping.StoryFeatures]]],
    *,
    window_hours: float,
) -> Decision:
    """The story to join: best member log-odds >= the model's threshold, the story's first
    article within the window and scoring >= its drift floor, fewer than MAX_STORY_SIZE
    members. Each member is scored once; the explanation is built for the chosen pair
    only (it is what the store keeps)."""
    model = pair_model.model()
    open_stories = []
    for story_id in sorted(candidates):
        members = candidates[story_id]
        if not members:
            continue
        first_id, first = min(members, key=lambda m: (m[1].published_at, m[0]))
        hours = abs((article.published_at - first.published_at).total_seconds()) / 3600
        if hours > window_hours or len(members) >= MAX_STORY_SIZE:
            continue  # closed to this article whatever it scores
        open_stories.append((story_id, members, first_id))
    moved = market_move.same_move_story(article.move, [(s, m) for s, m, _ in open_stories])
    if moved is not None:  # one market move is one story, whatever the pair scores (045)
        story_id, member_id = moved
        member = dict(candidates[story_id])[member_id]
        return Decision(
            story_id, replace(score_pair(article, member, member_id), move=article.move)
        )
    # every member's two cosines in two numpy calls per article, not two per story
    flat = [m for _, members, _ in open_stories for _, m in members]
    all_cosines = iter(_cosines(article.vector, [m.vector for m in flat]))
    all_title_cosines = iter(_cosines(article.title_vector, [m.title_vector for m in flat]))
    # (rank, score, story id, its best member, first member's score)
    best: tuple[float, float, int, _Scored, float] | None = None
    scorer = ArticleScorer(article) if open_stories else None
    for story_id, members, first_id in open_stories:
        cosines = list(islice(all_cosines, len(members)))
        title_cosines = list(islice(all_title_cosines, len(members)))
        scored: _Scored | None = None
        first_score: float | None = None
        for (member_id, member), cosine, title_cosine in zip(
            members, cosines, title_cosines, strict=True
        ):
            if member_id != first_id and cosine < model.min_cosine:
                continue  # capped below the threshold anyway: skip the costly part
            value = scorer.log_odds(member, cosine, title_cosine)  # type: ignore[union-attr]
            if member_id == first_id:
                first_score = value
            if scored is None or value > scored[0]:
                scored = (value, member_id, member, cosine, title_cosine)
        if scored is None or first_score is None:
            continue
        score = scored[0]
        eligible = score >= model.threshold and first_score >= model.drift_floor
        if article.move and score < model.threshold + MOVE_SURE:
            eligible = False  # a move joins another story only when the model is very sure
        rank = score if eligible else -math.inf
        if best is None or rank > best[0] or (best[0] == -math.inf and score > best[1]):
            best = (rank, score, story_id, scored, first_score)
    if best is None:
        return Decision(None, None)
    rank, _score, story_id, (_value, member_id, member, cosine, title_cosine), first = best
    evidence = _explained(article, member, cosine, title_cosine, member_id, first, scorer)
    return Decision(story_id if rank > -math.inf else None, evidence)


def lexical_evidence(
    a: grouping.StoryFeatures, b: grouping.StoryFeatures, member_id: int
) -> Evidence:
    """The lexical rule's pair (decision 010) in the same explainable form."""
    pair = grouping.score_pair(a, b)
    shared = [x for x in a.figures.amounts if any(grouping._close(x, y) for y in b.figures.amounts)]
    return Evidence(
        score=pair.score,
        similarity=0.0,
        title_similarity=0.0,
        word_overlap=pair.similarity,
        shared_figures=_figure_names(shared),
        hours_apart=pair.hours_apart,
        same_source=pair.same_source,
        matched_article=member_id,
    )
