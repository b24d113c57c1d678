"""Coins and topics -> upper-case tags, from data files in ``bot/data``.

One tokenising pass and dictionary look-ups (no per-coin regex), so the cost grows
with the text, not with the number of coins. Common-word tickers are guarded:
``NEAR record highs`` or ``ONE of the`` never tag a coin; ``$NEAR``, ``(NEAR)`` and
``NEAR token`` do (see the guard column of ``bot/data/coins.tsv``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from bot.enrich.tokens import TOKEN as _TOKEN
from bot.enrich.tokens import tokenize

MAX_COIN_TAGS = 12
TITLE_WEIGHT = 3
_QUOTES = ("USDT", "USDC", "USD", "BUSD", "PERP", "EUR")
_COIN_WORDS = frozenset(
    "token tokens coin coins price prices holders network protocol staking futures etf etfs "
    "rose fell jumped surged rallied dropped slid gained climbed plunged soared tumbled "
    "spiked sank dipped whales subnet subnets blockchain mainnet testnet ecosystem foundation "
    "validators dapps wallet defi nft chain rises rise gains gain falls fall drops drop "
    "climbs climb surges surge rallies rally slides slips sinks tumbles plunges soars jumps "
    "spikes dips rebounds recovers slumps crashes dumps pumps extends trades trading "
    "holders whales bulls bears outperforms breaks reclaims hits tests eyes founder "
    # "Optimism loses 20M tokens", "Avalanche-based game", "Anchor dev claims", "Harmony
    # Bridge hacked": a move, a hyphenated "-based" or the network's own parts.
    "loses lose sheds reaches based powered native dev devs developer developers "
    "bridge reserve reserves hacked exploited airdrop upgrade treasury dao".split()
)
_POSSESSIVE = "'s"  # "Optimism's airdrop", "NEAR's price": a name, not the word
# "NEAR at $1.73", "NEAR +5.7%", "NEAR rises 5.7% to $1.73": a price or a percentage within
# a few words after a word-like ticker makes it a ticker.
_PRICE_AFTER = re.compile(
    r"^\W{0,3}(?:[A-Za-z]+\W+){0,3}?(?:[+-]?\d[\d.,]*\s?%|US?\$\s?\d|\$\s?\d)"
)
_LIST_JOINERS = frozenset({",", "&", "and", "or", "vs"})
# "BTC and ONE of the best weeks": after "and"/"or", a word-like ticker followed by one of
# these is the word.
_WORD_FOLLOWERS = frozenset(
    "of the a an in to for with on at by from is are was were more less than as".split()
)
# cashtag: $T only, for tickers that are common abbreviations ("intellectual property (IP)").
_GUARDS = ("plain", "word", "ctx", "none", "cashtag")


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    tag: str
    extra: str | None = None
    sentence_start_ok: bool = True


@dataclass(slots=True)
class _Entry:
    """Phrases starting with one word: the one-word ones, and longer ones by second word."""

    single: list[_Phrase]
    longer: dict[str, list[_Phrase]]

    def add(self, phrase: _Phrase) -> None:
        if len(phrase.words) == 1:
            self.single.append(phrase)
        else:
            group = self.longer.setdefault(phrase.words[1], [])
            group.append(phrase)
            group.sort(key=lambda p: -len(p.words))


def _add_phrase(index: dict[str, _Entry], phrase: _Phrase) -> None:
    index.setdefault(phrase.words[0], _Entry([], {})).add(phrase)


class Tagger:
    """Finds coin tickers/names and topic phrases in text."""

    def __init__(self, coin_rows: Iterable[list[str]], topic_rows: Iterable[list[str]]) -> None:
        self._tickers: dict[str, tuple[str, str, str | None]] = {}
        self._name_tags: dict[str, str] = {}
        self._names_ci: dict[str, _Entry] = {}
        self._names_cs: dict[str, _Entry] = {}
        for row in coin_rows:
            tickers, guard, names, extra = (row + ["-"] * 4)[:4]
            if tickers == "-":  # not coins: outlets, companies, events ("Bitcoin Magazine")
                for name in names.split("|"):
                    self._add(name, "", None, canonical=False)
                continue
            if guard not in _GUARDS:
                raise ValueError(f"unknown guard {guard!r} in coins data")
            symbols = tickers.split("|")
            topic = None if extra == "-" else extra
            for symbol in symbols:
                self._tickers[symbol.upper()] = (symbols[0], guard, topic)
            for name in [] if names == "-" else names.split("|"):
                self._add(name, symbols[0], topic)
        self._topics_ci: dict[str, _Entry] = {}
        self._topics_cs: dict[str, _Entry] = {}
        self._topic_order: dict[str, int] = {}
        for row in topic_rows:
            tag, phrases = row[0], row[1]
            self._topic_order.setdefault(tag, len(self._topic_order))
            for phrase in phrases.split("|"):
                exact = phrase.startswith("=")
                words = tuple(_TOKEN.findall(phrase.lstrip("=")))
                if not exact:
                    words = tuple(w.lower() for w in words)
                _add_phrase(self._topics_cs if exact else self._topics_ci, _Phrase(words, tag))
        # Lower-case first tokens that can start a hit: the cheap filter before any logic.
        coin_triggers = {w.lower() for w in (*self._names_ci, *self._names_cs)}
        for symbol, (_, guard, _) in self._tickers.items():
            coin_triggers |= {symbol.lower(), f"${symbol.lower()}"}
            if guard == "plain":
                coin_triggers |= {f"{symbol}{quote}".lower() for quote in _QUOTES}
        self._coin_triggers = frozenset(coin_triggers)
        self._topic_triggers = frozenset({w.lower() for w in (*self._topics_ci, *self._topics_cs)})

    def _add(self, name: str, tag: str, topic: str | None, canonical: bool = True) -> None:
        if canonical:
            self._name_tags[" ".join(_TOKEN.findall(name.lstrip("~"))).lower()] = tag
        exact = name.startswith("~")
        # "~~Stellar": an English word too, so not at the start of a sentence without context.
        anywhere = not name.startswith("~~")
        words = tuple(_TOKEN.findall(name.lstrip("~")))
        if not exact:
            words = tuple(w.lower() for w in words)
        _add_phrase(
            self._names_cs if exact else self._names_ci, _Phrase(words, tag, topic, anywhere)
        )

    @classmethod
    def from_package_data(cls) -> Tagger:
        """The tagger built from ``bot/data/coins.tsv`` and ``bot/data/topics.tsv``."""
        return cls(_rows("coins.tsv"), _rows("topics.tsv"))

    def canonical(self, tag: str) -> str | None:
        """The ticker for a coin named in a stated tag ("bitcoin" -> "BTC"), else None."""
        return self._name_tags.get(" ".join(_TOKEN.findall(tag)).lower())

    @property
    def known_tags(self) -> frozenset[str]:
        coins = {tag for tag, _, _ in self._tickers.values()}
        return frozenset(coins | set(self._topic_order))

    def tags(self, text: str, *, title_chars: int | None = None) -> tuple[str, ...]:
        """Coin tags (most mentioned first, title mentions count triple), then topic tags."""
        if title_chars is None:
            newline = text.find("\n")
            title_chars = len(text) if newline < 0 else newline
        raw, low = tokenize(text)
        return self.tags_from_tokens(text, raw, low, len(_TOKEN.findall(text[:title_chars])))

    def tags_from_tokens(
        self, text: str, raw: list[str], low: list[str], in_title: int
    ) -> tuple[str, ...]:
        """``tags`` on tokens already made by ``tokens.tokenize(text)``; the first
        ``in_title`` tokens are the title."""
        if not raw:
            return ()
        coin_scores: dict[str, list[int]] = {}
        topic_scores: dict[str, list[int]] = {}

        def score(bucket: dict[str, list[int]], tag: str, i: int) -> None:
            entry = bucket.setdefault(tag, [0, i])
            entry[0] += TITLE_WEIGHT if i < in_title else 1

        spans: list[tuple[int, int]] = []
        triggers = self._coin_triggers
        next_free = 0
        for i in [i for i, token in enumerate(low) if token in triggers]:
            if i < next_free:
                continue
            hit = self._coin_at(text, spans, raw, low, i)
            if hit is not None:
                tag, topic, length = hit
                if tag:  # "" = a name that is not a coin ("Bitcoin Magazine"): skip its words
                    score(coin_scores, tag, i)
                if topic:
                    score(topic_scores, topic, i)
                next_free = i + length
        triggers = self._topic_triggers
        next_free = 0
        for i in [i for i, token in enumerate(low) if token in triggers]:
            if i < next_free:
                continue
            found = _matches(self._topics_cs.get(raw[i]), raw, i) or _matches(
                self._topics_ci.get(low[i]), low, i
            )
            for phrase in found:  # one phrase may mean two topics ("liquid staking")
                score(topic_scores, phrase.tag, i)
            if found:
                next_free = i + len(found[0].words)
        coins = sorted(coin_scores, key=lambda t: (-coin_scores[t][0], coin_scores[t][1]))
        topics = sorted(topic_scores, key=lambda t: self._topic_order.get(t, 99))
        return tuple(coins[:MAX_COIN_TAGS]) + tuple(topics)

    def _coin_at(
        self, text: str, spans: list[tuple[int, int]], raw: list[str], low: list[str], i: int
    ) -> tuple[str, str | None, int] | None:
        token = raw[i]
        if token.startswith("$"):
            found = self._tickers.get(token[1:].upper())
            return (found[0], found[2], 1) if found else None
        phrase = _match(self._names_cs.get(token), raw, i)
        if phrase is not None and not phrase.sentence_start_ok:
            if not spans:
                spans.extend(m.span() for m in _TOKEN.finditer(text))
            end = i + len(phrase.words)
            if _sentence_start(text, spans[i][0]) and not (
                (end < len(low) and (low[end] in _COIN_WORDS or low[end] == _POSSESSIVE))
                or text[spans[end - 1][1] :].lstrip().startswith("(")
            ):
                phrase = None
        phrase = phrase or _match(self._names_ci.get(low[i]), low, i)
        if phrase is not None:
            return phrase.tag, phrase.extra, len(phrase.words)
        if not token.isupper():
            return None
        found = self._tickers.get(token)
        if found is None:
            return self._pair(token)
        tag, guard, topic = found
        if guard == "plain":
            return tag, topic, 1
        if guard == "cashtag":
            return None
        if guard != "none" and self._in_ticker_list(raw, i):
            return tag, topic, 1
        if not spans:
            spans.extend(m.span() for m in _TOKEN.finditer(text))
        if self._guard_passes(guard, text, spans[i], low, i):
            return tag, topic, 1
        return None

    def _in_ticker_list(self, raw: list[str], i: int) -> bool:
        """ "BTC, ETH, ADA, DOT", "XMR and NEAR gain": a word-like ticker beside another."""
        after = raw[i + 1].lower() if i + 1 < len(raw) else ""
        for step in (-1, 1):
            j = i + step
            if 0 <= j < len(raw) and raw[j] in _LIST_JOINERS:
                if raw[j] in ("and", "or", "vs") and after in _WORD_FOLLOWERS:
                    continue
                j += step
            if 0 <= j < len(raw) and raw[j].isupper():
                found = self._tickers.get(raw[j])
                if found is not None and found[1] not in ("none", "cashtag"):
                    return True
        return False

    def _pair(self, token: str) -> tuple[str, str | None, int] | None:
        """Trading pairs such as BTCUSDT or ETHUSD tag their base coin."""
        for quote in _QUOTES:
            if token.endswith(quote) and len(token) > len(quote):
                found = self._tickers.get(token[: -len(quote)])
                if found and found[1] == "plain":
                    return found[0], found[2], 1
        return None

    @staticmethod
    def _guard_passes(guard: str, text: str, span: tuple[int, int], low: list[str], i: int) -> bool:
        start, end = span
        if text[start - 1 : start] == "(" and text[end : end + 1] == ")":
            return True
        if guard == "none":
            return False
        if guard == "ctx":
            after = low[i + 1] if i + 1 < len(low) else ""
            return (
                after in _COIN_WORDS
                or after == _POSSESSIVE
                or bool(_PRICE_AFTER.match(text[end : end + 40]))
            )
        window = text[max(0, start - 40) : end + 40]
        letters = [ch for ch in window if ch.isalpha()]
        upper = sum(1 for ch in letters if ch.isupper())
        return upper <= 0.6 * len(letters)


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start].rstrip(" \t\"'“‘")
    return not before or before[-1] in ".!?:\n"


def _matches(entry: _Entry | None, tokens: list[str], i: int) -> list[_Phrase]:
    """The longest phrases of ``entry`` found at ``tokens[i]`` (all with the same words)."""
    if entry is None:
        return []
    if entry.longer and i + 1 < len(tokens):
        for phrase in entry.longer.get(tokens[i + 1], ()):
            n = len(phrase.words)
            if tuple(tokens[i : i + n]) == phrase.words:
                return [p for p in entry.longer[tokens[i + 1]] if p.words == phrase.words]
    return entry.single


def _match(entry: _Entry | None, tokens: list[str], i: int) -> _Phrase | None:
    found = _matches(entry, tokens, i)
    return found[0] if found else None


def _rows(filename: str) -> list[list[str]]:
    text = resources.files("bot").joinpath("data", filename).read_text(encoding="utf-8")
    return [
        line.split("\t")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
