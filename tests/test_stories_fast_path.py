"""The semantic story rule's fast path (issue 14: ingest speed) decides exactly as the
plain rule it replaced: every member scored with the full explanation, one explanation per
candidate story. Checked on real labelled articles (bench/data/stories_real, tune half),
bit for bit: a changed score would change which story an article joins."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

import numpy as np

from bench.bench_stories import load_real
from bot.stories import grouping, market_move, pair_model, semantic
from bot.stories.embedding import from_bytes, to_bytes
from bot.stories.pair_scorer import ArticleScorer

WINDOW_H = 72.0


def reference_best_story(
    article: grouping.StoryFeatures,
    candidates: Mapping[int, Sequence[tuple[int, grouping.StoryFeatures]]],
) -> semantic.Decision:
    """The rule as written before the fast path (decision 022), with decision 045's market
    moves: the open story of the same move first, another story only when very sure."""
    model = pair_model.model()
    best: tuple[float, int, semantic.Evidence] | None = None
    open_stories = [
        (sid, members)
        for sid, members in sorted(candidates.items())
        if len(members) < semantic.MAX_STORY_SIZE
        and abs((article.published_at - min(m.published_at for _, m in members)).total_seconds())
        <= WINDOW_H * 3600
    ]
    moved = market_move.same_move_story(article.move, open_stories)
    if moved is not None:
        member = dict(candidates[moved[0]])[moved[1]]
        evidence = replace(semantic.score_pair(article, member, moved[1]), move=article.move)
        return semantic.Decision(moved[0], evidence)
    for story_id in sorted(candidates):
        members = candidates[story_id]
        first_id, first = min(members, key=lambda m: (m[1].published_at, m[0]))
        hours = abs((article.published_at - first.published_at).total_seconds()) / 3600
        if hours > WINDOW_H or len(members) >= semantic.MAX_STORY_SIZE:
            continue
        scored = None
        first_score = None
        for member_id, member in members:
            if member_id != first_id and semantic._cos(article.vector, member.vector) < 0.1:
                continue
            value = semantic.score_pair(article, member).score
            if member_id == first_id:
                first_score = value
            if scored is None or value > scored[0]:
                scored = (value, member_id, member)
        assert scored is not None and first_score is not None
        top = replace(semantic.score_pair(article, scored[2], scored[1]), first_score=first_score)
        eligible = top.score >= model.threshold and first_score >= model.drift_floor
        if article.move and top.score < model.threshold + semantic.MOVE_SURE:
            eligible = False
        rank = top.score if eligible else -math.inf
        if best is None or rank > best[0] or (best[0] == -math.inf and top.score > best[2].score):
            best = (rank, story_id, top)
    if best is None:
        return semantic.Decision(None, None)
    return semantic.Decision(best[1] if best[0] > -math.inf else None, best[2])


def _stored(f: grouping.StoryFeatures) -> grouping.StoryFeatures:
    """As read back from story_members (float16 vectors)."""
    assert f.vector is not None and f.title_vector is not None
    return replace(
        f, vector=from_bytes(to_bytes(f.vector)), title_vector=from_bytes(to_bytes(f.title_vector))
    )


def test_fast_rule_decides_and_explains_exactly_as_the_plain_rule():
    rows = sorted(load_real("tune"), key=lambda r: r[1].published_at)
    feats = [semantic.features(article) for _row, article in rows]
    labels = [row["story"] for row, _article in rows]
    joins = compared = 0
    for i in range(len(rows)):
        # earlier articles within the window, grouped as labelled: true stories and others
        earlier = [
            j
            for j in range(i)
            if feats[i].published_at - feats[j].published_at <= timedelta(hours=80)
        ][-60:]
        candidates: dict[int, list[tuple[int, grouping.StoryFeatures]]] = {}
        for j in earlier:
            member = _stored(feats[j]) if j % 3 == 0 else feats[j]
            candidates.setdefault(hash(labels[j]) % 997, []).append((j, member))
        fast = semantic.best_story(feats[i], candidates, window_hours=WINDOW_H)
        plain = reference_best_story(feats[i], candidates)
        assert fast == plain, (i, rows[i][1].title)
        compared += 1
        joins += fast.story_id is not None
    assert compared > 500 and joins > 50  # the comparison covered joins and new stories


# the inputs the lexical rule's facts give (figures, hours, outlet)
_LEXICAL = "shared_total conflict_total shared_price conflict_price days_apart same_source".split()


def test_batched_cosines_and_log_odds_are_the_pairwise_values():
    rows = load_real("tune")[:80]
    feats = [semantic.features(article) for _row, article in rows]
    stored = [_stored(f) for f in feats]
    for a in feats[:20]:
        side = ArticleScorer(a)
        for others in (feats, stored):
            cosines = semantic._cosines(a.vector, [o.vector for o in others])
            assert cosines == [semantic._cos(a.vector, o.vector) for o in others]
            for o, cosine in zip(others, cosines, strict=True):
                title_cosine = semantic._cos(a.title_vector, o.title_vector)
                score, _cos, _tcos, lexical, x = semantic._scored(a, o)
                # one side kept for many members scores as a side made for the pair alone
                assert side.log_odds(o, cosine, title_cosine) == score
                # the row's figures, time and outlet are the lexical rule's facts
                facts = [x[pair_model.FEATURES.index(name)] for name in _LEXICAL]
                assert facts == [
                    float(lexical.shared_large),
                    float(lexical.conflict_large),
                    float(lexical.shared_price),
                    float(lexical.conflict_price),
                    lexical.hours_apart / 24.0,
                    float(lexical.same_source),
                ]
    assert semantic._cosines(None, [feats[0].vector]) == [0.0]
    assert semantic._cosines(feats[0].vector, [None, feats[1].vector])[0] == 0.0
    assert np.float32(semantic._cosines(feats[0].vector, [feats[0].vector])[0]) > 0.99


def _lexical_evidence(a: grouping.StoryFeatures, b: grouping.StoryFeatures) -> semantic.Evidence:
    """The explanation as built before decision 044: from the lexical rule's whole score."""
    score, cosine, title_cosine, lexical, x = semantic._scored(a, b)
    shared = [v for v in a.figures.amounts if any(grouping._close(v, y) for y in b.figures.amounts)]
    conflicting = [*a.figures.large, *b.figures.large] if lexical.conflict_large else []
    return semantic.Evidence(
        score=score,
        similarity=cosine,
        title_similarity=title_cosine,
        word_overlap=x[pair_model.FEATURES.index("title_words")],
        shared_names=tuple(sorted(a.entities & b.entities)),
        shared_words=pair_model.rare_shared(a.tokens, b.tokens),
        event_kinds=tuple(sorted(semantic._events(a) & semantic._events(b))),
        shared_figures=semantic._figure_names(shared),
        conflicting_figures=semantic._figure_names(conflicting),
        hours_apart=lexical.hours_apart,
        same_source=lexical.same_source,
        singleton=semantic._singleton(a),
    )


def test_the_explanation_is_the_one_the_lexical_facts_gave():
    rows = load_real("tune")[:80]
    feats = [semantic.features(article) for _row, article in rows]
    for a in feats[:30]:
        for b in feats:
            assert semantic.score_pair(a, b) == _lexical_evidence(a, b)
