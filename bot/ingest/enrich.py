"""Fill in what a document did not state: tags, sentiment, language.

Given metadata always wins; every field filled here is added to ``article.inferred``.
The models are built once from ``bot/data`` (immutable, cached) and only the title,
summary and the first ``BODY_CHARS`` of the body are read, which keeps enrichment far
below a millisecond per article.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from bot.ingest.lang import guess_lang
from bot.ingest.sentiment import SentimentModel, label
from bot.ingest.tagging import Tagger
from bot.models import Article, Sentiment

BODY_CHARS = 2000
TITLE_WEIGHT = 2.0


@cache
def default_tagger() -> Tagger:
    """The shared, read-only tagger (compiled once per process)."""
    return Tagger.from_package_data()


@cache
def default_sentiment_model() -> SentimentModel:
    """The shared, read-only sentiment lexicon (compiled once per process)."""
    return SentimentModel.from_package_data()


def infer_tags(text: str) -> tuple[str, ...]:
    """Upper-case coin and topic tags found in ``text`` (its first line counts as title)."""
    return default_tagger().tags(text)


def classify_sentiment(text: str) -> Sentiment:
    """POSITIVE / NEGATIVE / NEUTRAL for ``text`` with the crypto lexicon."""
    return default_sentiment_model().classify(text)


def article_sentiment(title: str, rest: str) -> Sentiment:
    """The title says the most about the mood; the lead adds to it."""
    model = default_sentiment_model()
    return label(TITLE_WEIGHT * model.score(title) + model.score(rest))


def enrich_article(article: Article, given: frozenset[str]) -> Article:
    """A copy of ``article`` with tags/sentiment/lang inferred where not in ``given``."""
    inferred = list(article.inferred)
    changes: dict[str, object] = {}
    lead = "\n".join(part for part in (article.summary, article.body[:BODY_CHARS]) if part)
    if "tags" not in given:
        text = f"{article.title}\n{lead}"
        changes["tags"] = default_tagger().tags(text, title_chars=len(article.title))
        inferred.append("tags")
    if "sentiment" not in given:
        changes["sentiment"] = article_sentiment(article.title, lead)
        inferred.append("sentiment")
    if "lang" not in given:
        changes["lang"] = guess_lang(f"{article.title}\n{lead}")
        inferred.append("lang")
    changes["inferred"] = tuple(dict.fromkeys(inferred))
    return replace(article, **changes)  # type: ignore[arg-type]
