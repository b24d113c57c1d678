"""A cheap language guess for articles that do not state one.

Script first (CJK, Cyrillic, Arabic...), then stop-word counts for the Latin-script
languages crypto news is mostly written in. English is the default when unsure.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_STOPWORDS = {
    "en": "the and of to in is that for with on as are was by from this it be has have",
    "es": "el la los las de del que y en por con para una es se al lo como más",
    "de": "der die das und ist nicht mit von den auf für ein eine sich dem des zu im",
    "fr": "le la les des et est que une pour dans du sur pas au avec ce qui plus",
    "pt": "o os as de do da que e em um uma para com não no na dos das por",
    "it": "il lo la gli le di che e è un una per con non del della sono nel",
    "nl": "de het een en van is dat op te in niet met voor zijn aan",
    "tr": "ve bir bu da de için ile olarak daha çok gibi olan",
}
_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_NON_LATIN = re.compile(r"[^\u0000-\u024f\u1e00-\u1eff\u2000-\u20cf\u2100-\u214f]")
_SCRIPTS = (
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
)


def guess_lang(text: str, default: str = "en", *, words: list[str] | None = None) -> str:
    """ISO 639-1 code of the most likely language of ``text`` (``words``: its lower-case
    tokens when the caller already has them)."""
    sample = text[:1500]
    if not sample.isascii() and _NON_LATIN.search(sample):
        letters = sum(1 for ch in sample if ch.isalpha()) or 1
        for pattern, code in _SCRIPTS:
            if len(pattern.findall(sample)) > letters * 0.3:
                return code
    if words is None:
        words = _WORD.findall(sample[:800].lower())
    english = sum(map(_SETS["en"].__contains__, words))
    if english >= 3 and english * 6 >= len(words):
        return "en"  # the common case, decided in one pass
    counts = {code: sum(map(stop.__contains__, words)) for code, stop in _SETS.items()}
    best = max(counts, key=lambda code: counts[code])
    return best if counts[best] >= 2 and counts[best] > counts[default] else default
