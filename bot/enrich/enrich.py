"""Fill in what a document did not state: tags, sentiment, language.

Given metadata always wins; every field filled here is added to ``article.inferred``.
The models are built once from ``bot/data`` (immutable, cached) and only the title,
summary and the first ``BODY_CHARS`` of the body are read, with outlet boilerplate
("The post ... appeared first on Bitcoin Magazine") removed, which keeps enrichment far
below a millisecond per article. Sentiment is the trained linear model
(``sentiment_linear``) on the headline and its lead.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from bot.enrich.boilerplate import strip_boilerplate
from bot.enrich.lang import guess_lang
from bot.enrich.sentiment import SentimentModel
from bot.enrich.sentiment_linear import LinearSentiment
from bot.enrich.tagging import Tagger
from bot.enrich.tokens import TOKEN, tokenize
from bot.models import Article, Sentiment

BODY_CHARS = 2000
LEAD_CHARS = 600
LANG_TOKENS = 160


@cache
def default_tagger() -> Tagger:
    """The shared, read-only tagger (compiled once per process)."""
    return Tagger.from_package_data()


@cache
def default_sentiment_model() -> SentimentModel:
    """The shared, read-only sentiment lexicon (compiled once per process)."""
    return SentimentModel.from_package_data()


@cache
def default_sentiment() -> LinearSentiment:
    """The shared trained sentiment model (weights read once per process)."""
    return LinearSentiment.from_package_data(default_sentiment_model())


def infer_tags(text: str) -> tuple[str, ...]:
    """Upper-case coin and topic tags found in ``text`` (its first line counts as title)."""
    return default_tagger().tags(strip_boilerplate(text))


def classify_sentiment(text: str) -> Sentiment:
    """POSITIVE / NEGATIVE / NEUTRAL for ``text``: its first line is read as the headline,
    the rest as the lead."""
    title, _, rest = text.partition("\n")
    return article_sentiment(title, rest)


def article_sentiment(title: str, lead: str) -> Sentiment:
    """The trained model on a headline and the start of its lead (boilerplate removed)."""
    return default_sentiment().classify(title, strip_boilerplate(lead[:LEAD_CHARS]))


ENRICHED = frozenset({"tags", "sentiment", "lang"})
_ENRICH_ORDER = ("tags", "sentiment", "lang")


def enrich_article(article: Article, given: frozenset[str]) -> Article:
    """A copy of ``article`` with tags/sentiment/lang inferred where not in ``given``
    (the article itself when all three were given)."""
    missing = ENRICHED - given
    if not missing:
        return article
    changes = inferred_fields(article.title, article.summary, article.body, missing)
    changes["inferred"] = with_inferred(article.inferred, missing)
    return replace(article, **changes)  # type: ignore[arg-type]


def inferred_fields(
    title: str, summary: str, body: str, missing: frozenset[str]
) -> dict[str, object]:
    """The ``missing`` ones of tags/sentiment/lang, inferred from the title, summary and
    body start: ``parse`` calls this before building the ``Article``, so it is built once."""
    lead = strip_boilerplate("\n".join(part for part in (summary, body[:BODY_CHARS]) if part))
    text = f"{title}\n{lead}"
    raw, low = tokenize(text)  # once, for all three
    in_title = len(TOKEN.findall(title))
    changes: dict[str, object] = {}
    if "tags" in missing:
        changes["tags"] = default_tagger().tags_from_tokens(text, raw, low, in_title)
    if "sentiment" in missing:
        changes["sentiment"] = default_sentiment().classify(title, lead[:LEAD_CHARS])
    if "lang" in missing:
        changes["lang"] = guess_lang(text, words=low[:LANG_TOKENS])
    return changes


def with_inferred(inferred: tuple[str, ...], missing: frozenset[str]) -> tuple[str, ...]:
    """``inferred`` followed by the enriched names, each once."""
    return tuple(dict.fromkeys([*inferred, *(name for name in _ENRICH_ORDER if name in missing)]))
