"""A crypto-aware lexicon classifier: fast, explainable, offline.

Per token: the longest lexicon phrase at that position scores its weight; a negator
in the four tokens before it ("not", "no longer", "fails to", "isn't") flips and damps
it; an intensifier ("sharply", "massive") or a softener ("slightly") scales it; a
contrast ("but", "however") halves what came before in the sentence; a clause after
"despite" counts little. The sum, damped for long texts, decides the label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from importlib import resources

from bot.enrich.tokens import TOKEN, tokenize
from bot.models import Sentiment

_SENTENCE_END = frozenset(".!?;")
_CLAUSE_END = frozenset(".!?;:,")
_NEGATORS = frozenset(
    "not no never without neither nor none nothing hardly barely cannot cant lack lacks "
    "lacking unable fails fail failed failing end ends ended ending lift lifted lifts "
    "overturns overturned scraps scrapped stems stem stemmed pares pare pared trims trim "
    "trimmed recoups recouped erases erase erased reverse reverses reversed reversing".split()
)
# "down 70%", "up 12%": direction words count only in front of a number.
_DIRECTION = {"up": 1.2, "down": -1.5}
# "fails to rally": "fails" negates what follows instead of scoring on its own.
_NEGATING_VERBS = frozenset("fails fail failed failing unable".split())
_TWO_WORD_NEGATORS = frozenset({("no", "longer"), ("far", "from"), ("yet", "to")})
_INTENSIFIERS = {
    "very": 1.3,
    "extremely": 1.5,
    "sharply": 1.5,
    "sharp": 1.4,
    "massive": 1.5,
    "huge": 1.4,
    "significant": 1.3,
    "significantly": 1.3,
    "strongly": 1.3,
    "biggest": 1.5,
    "major": 1.2,
    "heavy": 1.3,
    "steep": 1.4,
    "brutal": 1.5,
    "record": 1.3,
    "deep": 1.3,
    "slightly": 0.5,
    "modest": 0.6,
    "modestly": 0.6,
    "marginally": 0.5,
    "briefly": 0.7,
    "somewhat": 0.6,
    "minor": 0.6,
    "mild": 0.6,
    "temporary": 0.6,
    "temporarily": 0.6,
}
_CONTRAST = frozenset({"but", "however", "yet", "although", "though", "nevertheless"})
_DESPITE = frozenset({"despite", "notwithstanding"})
NEGATION_FACTOR = -0.7
FAILED_TO = -0.8
THRESHOLD = 0.6


class SentimentModel:
    """Lexicon scorer; build once (it precompiles the phrase index) and reuse."""

    def __init__(self, lexicon: Iterable[tuple[str, float]]) -> None:
        self._index: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        for term, weight in lexicon:
            words = tuple(w.lower() for w in TOKEN.findall(term))
            self._index.setdefault(words[0], []).append((words, weight))
        for entries in self._index.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        self._events = frozenset(self._index) | _CLAUSE_END | _CONTRAST | _DESPITE
        self._events |= frozenset(_DIRECTION)

    @classmethod
    def from_package_data(cls) -> SentimentModel:
        text = resources.files("bot").joinpath("data", "sentiment.tsv").read_text("utf-8")
        rows = [line.split("\t") for line in text.splitlines() if line and line[0] != "#"]
        return cls((term, float(weight)) for term, weight in rows)

    def score(self, text: str) -> float:
        """Signed strength, roughly -3..3 per sentiment phrase, damped for long texts."""
        return self.score_tokens(tokenize(text)[1])

    def score_tokens(self, tokens: list[str]) -> float:
        """``score`` on lower-case tokens from ``tokens.tokenize``."""
        if not tokens:
            return 0.0
        events = self._events
        total = 0.0
        sentence_total = 0.0
        despite = False
        next_free = 0
        for i in [i for i, token in enumerate(tokens) if token in events]:
            if i < next_free:
                continue
            token = tokens[i]
            if token in _SENTENCE_END:
                total += sentence_total
                sentence_total = 0.0
                despite = False
            elif token in _CLAUSE_END:
                despite = False
            elif token in _CONTRAST:
                sentence_total *= 0.5
            elif token in _DESPITE:
                despite = True
            elif token in _DIRECTION:
                if tokens[i + 1 : i + 2] and tokens[i + 1][0].isdigit():
                    sentence_total += _DIRECTION[token] * (0.3 if despite else 1.0)
            else:
                hit = self._lookup(tokens, i)
                if hit is None:
                    continue
                length, weight = hit
                if token in _NEGATING_VERBS and tokens[i + 1 : i + 2] == ["to"]:
                    # "failed to meet margin calls": a failure, and it negates what follows.
                    sentence_total += FAILED_TO * (0.3 if despite else 1.0)
                    continue
                weight *= self._modifier(tokens, i)
                sentence_total += weight * 0.3 if despite else weight
                next_free = i + length
        total += sentence_total
        return total / math.sqrt(max(1.0, len(tokens) / 40))

    def classify(self, text: str) -> Sentiment:
        return label(self.score(text))

    def _lookup(self, tokens: list[str], i: int) -> tuple[int, float] | None:
        entries = self._index.get(tokens[i])
        if not entries:
            return None
        if i + 1 < len(tokens) and len(entries[0][0]) > 1:
            following = tokens[i + 1]
            for words, weight in entries:
                n = len(words)
                if n > 1 and words[1] == following and tuple(tokens[i : i + n]) == words:
                    return n, weight
        words, weight = entries[-1]
        return (1, weight) if len(words) == 1 else None

    @staticmethod
    def _modifier(tokens: list[str], i: int) -> float:
        factor = 1.0
        negated = False
        for back in range(1, 5):
            j = i - back
            if j < 0 or tokens[j] in _CLAUSE_END:
                break
            word = tokens[j]
            if (
                word in _NEGATORS
                or word == "'t"
                or (j > 0 and (tokens[j - 1], word) in _TWO_WORD_NEGATORS)
            ):
                negated = True
            elif back <= 2 and word in _INTENSIFIERS:
                factor *= _INTENSIFIERS[word]
        return factor * (NEGATION_FACTOR if negated else 1.0)


def label(score: float) -> Sentiment:
    if score >= THRESHOLD:
        return Sentiment.POSITIVE
    if score <= -THRESHOLD:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL
