"""What a subscription filter means, in one place: normalising its parts and judging an article.

Semantics (an empty part means "any"): tags any-of, sentiments any-of, sources any-of,
keywords all-of, excluded keywords none-of, language equal (primary subtag). Keywords are
case-insensitive whole words or phrases of whole words, compared on the article's title,
summary and the start of its body; users never supply a regex. Drafts and retracted
articles never match. The index in ``bot/alerts/matching.py`` implements the same rules fast;
``mismatches`` is the slow, readable version that also explains itself for ``/why``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from bot.i18n import _, _n
from bot.models import Article, Sentiment, SubscriptionFilter

WORD_RE = re.compile(r"\w+")
TAG_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
# Keywords are matched on the title, the summary and this much of the body.
BODY_CHARS = 20_000
MAX_KEYWORD_WORDS = 6
MAX_KEYWORD_CHARS = 80  # the longest phrase a subscription stores (six long words fit)


class FilterError(ValueError):
    """A filter part that cannot be used; the message names the part."""


def normalize_tag(raw: str) -> str:
    """``#btc``, ``$BTC`` and ``btc`` are the tag ``BTC``."""
    tag = raw.strip().lstrip("#$").upper()
    if not TAG_RE.match(tag):
        raise FilterError(
            _("'{word}' is not a tag (letters and digits, like BTC or DEFI)", word=_shown(raw))
        )
    return tag


def normalize_source(raw: str) -> str:
    """Source keys are lower-case slugs such as ``decrypt``."""
    key = raw.strip().lower()
    if not SOURCE_RE.match(key):
        raise FilterError(
            _("'{word}' is not a source key (like decrypt or coindesk)", word=_shown(raw))
        )
    return key


def normalize_lang(raw: str) -> str:
    """``en``, ``EN`` and ``en-US`` all mean ``en``."""
    lang = raw.strip().lower().replace("_", "-").split("-", 1)[0]
    if not LANG_RE.match(lang):
        raise FilterError(_("'{word}' is not a language code (like en or de)", word=_shown(raw)))
    return lang


def keyword_words(text: str) -> list[str]:
    """The lower-case words of a keyword or of article text, as both are compared."""
    return WORD_RE.findall(text.lower())


def normalize_keyword(raw: str) -> str:
    """A keyword is one word or a phrase of whole words, stored as its words joined by spaces."""
    words = keyword_words(raw[: MAX_KEYWORD_CHARS * 4])  # beyond this it is refused anyway
    if not words:
        raise FilterError(_("'{word}' has no letters or digits to look for", word=_shown(raw)))
    if len(words) > MAX_KEYWORD_WORDS:
        raise FilterError(
            _(
                "'{word}' is too long: a phrase has at most {limit} words",
                word=_shown(raw),
                limit=MAX_KEYWORD_WORDS,
            )
        )
    keyword = " ".join(words)
    if len(keyword) > MAX_KEYWORD_CHARS or len(raw) > MAX_KEYWORD_CHARS * 4:
        raise FilterError(
            _(
                "'{word}' is too long: a keyword has at most {limit} characters",
                word=_shown(raw),
                limit=MAX_KEYWORD_CHARS,
            )
        )
    return keyword


def _shown(text: str, limit: int = 40) -> str:
    """A user's value as echoed in a message: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def article_lang(article: Article) -> str:
    try:
        return normalize_lang(article.lang or "en")
    except FilterError:
        return (article.lang or "").lower()


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article's words, prepared once so each keyword test is a set or substring lookup."""

    words: frozenset[str]
    pairs: frozenset[str]  # adjacent word pairs: where a phrase can start
    padded: str

    @classmethod
    def of(cls, article: Article) -> ArticleText:
        text = f"{article.title}\n{article.summary}\n{article.body[:BODY_CHARS]}"
        words = keyword_words(text)
        pairs = frozenset(f"{a} {b}" for a, b in itertools.pairwise(words))
        return cls(frozenset(words), pairs, f" {' '.join(words)} ")

    def contains(self, keyword: str) -> bool:
        """Whether a normalised keyword (word or phrase) occurs as whole words."""
        if " " in keyword:
            return f" {keyword} " in self.padded
        return keyword in self.words


def _quoted(words: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


def _listed(values: list[str] | tuple[str, ...]) -> str:
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return _("{first} or {last}", first=", ".join(values[:-1]), last=values[-1])


def mismatches(
    flt: SubscriptionFilter, article: Article, text: ArticleText | None = None
) -> list[str]:
    """Every reason the article fails the filter, phrased for a chat; empty when it matches."""
    reasons: list[str] = []
    if article.draft:
        reasons.append(_("the article is a draft, and drafts are never sent"))
    if article.retracted:
        reasons.append(_("the article was retracted"))
    tags = {t.upper() for t in article.tags}
    if flt.tags and not (flt.tags & tags):
        shown = ", ".join(sorted(tags)) if tags else _("nothing")
        wanted = _listed(sorted(flt.tags))
        reasons.append(_("wants {tags}, article is tagged {shown}", tags=wanted, shown=shown))
    if flt.sentiments and article.sentiment not in flt.sentiments:
        wanted = _listed(sorted(s.value.lower() for s in flt.sentiments))
        mood = article.sentiment.value.lower()
        reasons.append(_("wants {wanted} news, article is {mood}", wanted=wanted, mood=mood))
    source = (article.source_key or "").lower()
    if flt.sources and source not in flt.sources:
        wanted = _listed(sorted(flt.sources))
        origin = source or _("an unknown source")
        reasons.append(
            _("wants source {wanted}, article is from {source}", wanted=wanted, source=origin)
        )
    if flt.lang and article_lang(article) != flt.lang:
        reasons.append(
            _(
                "wants language {wanted}, article is in {lang}",
                wanted=flt.lang,
                lang=article_lang(article),
            )
        )
    if flt.keywords or flt.exclude_keywords:
        text = text or ArticleText.of(article)
        missing = [k for k in flt.keywords if not text.contains(k)]
        if missing:
            reasons.append(
                _n(
                    "wants the keyword {words}, not in the article",
                    "wants the keywords {words}, not in the article",
                    len(missing),
                    words=_quoted(missing),
                )
            )
        present = [k for k in flt.exclude_keywords if text.contains(k)]
        if present:
            reasons.append(
                _("excludes {words}, which the article contains", words=_quoted(present))
            )
    return reasons


def matches(flt: SubscriptionFilter, article: Article, text: ArticleText | None = None) -> bool:
    """The reference answer the index must agree with."""
    return not mismatches(flt, article, text)


def describe(flt: SubscriptionFilter) -> str:
    """A filter in the words of ``/subscribe``, so users can read back what they asked for."""
    parts: list[str] = sorted(flt.tags)
    parts += sorted(s.value.lower() for s in flt.sentiments)
    parts += [f"source:{s}" for s in sorted(flt.sources)]
    parts += [f'keyword:"{k}"' if " " in k else f"keyword:{k}" for k in flt.keywords]
    parts += [f'-keyword:"{k}"' if " " in k else f"-keyword:{k}" for k in flt.exclude_keywords]
    if flt.lang:
        parts.append(f"lang:{flt.lang}")
    return " ".join(parts) if parts else _("everything")


def canonical(flt: SubscriptionFilter) -> SubscriptionFilter:
    """The same filter without redundancy: all three sentiments mean any; no repeated keywords."""
    sentiments = flt.sentiments if len(flt.sentiments) < len(Sentiment) else frozenset()
    keywords = tuple(dict.fromkeys(flt.keywords))
    excluded = tuple(dict.fromkeys(flt.exclude_keywords))
    return SubscriptionFilter(
        tags=flt.tags,
        sentiments=sentiments,
        sources=flt.sources,
        keywords=keywords,
        exclude_keywords=excluded,
        lang=flt.lang,
    )
