"""The fast story features give exactly what the plain-integer definitions give.

Band keys are stored: a change in ``minhash``/``band_keys`` would stop new articles from
finding the stories already in a database. The numpy MinHash, the digit-to-digit figure
scan and the cached stemming are compared with the original pure-Python formulas on
edge values, invented text and (when present) rows of the shared dataset.
"""

from __future__ import annotations

import csv
import hashlib
import random

import pytest

from bot.stories import grouping as rules
from bot.stories import minhash as mh
from tests.conftest import SHARED

DATASET = SHARED / "datasets" / "cryptonews.csv"
P = (1 << 61) - 1


def reference_minhash(tokens: frozenset[str] | set[str]) -> tuple[int, ...]:
    """The original definition: full 64-bit blake2b hash, Python integers."""
    hashes = [
        int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big") for t in tokens
    ]
    if not hashes:
        return ()
    return tuple(min((a * h + b) % P for h in hashes) for a, b in mh._PERMUTATIONS)


def reference_band_keys(signature: tuple[int, ...]) -> tuple[int, ...]:
    keys = []
    for i, value in enumerate(signature):
        digest = hashlib.blake2b(f"{i}:{value}".encode(), digest_size=8).digest()
        keys.append((int.from_bytes(digest, "big") & ((1 << 63) - 1)) - (1 << 62))
    return tuple(keys)


def reference_tokenize(text: str) -> frozenset[str]:
    lowered = text.lower()
    figures = reference_figures(lowered)
    tokens = {rules._stem(w) for w in rules._WORD.findall(lowered) if w not in rules.STOPWORDS}
    tokens.update(rules.figure_token(a) for a in figures.amounts)
    tokens.update(rules.figure_token(p, percent=True) for p in figures.percents)
    tokens.discard("")
    return frozenset(tokens)


def reference_figures(text: str) -> rules.Figures:
    amounts: list[float] = []
    percents: list[float] = []
    for match in rules._FIGURE.finditer(text):
        number = float(match["num"].replace(",", ""))
        if match["pct"]:
            percents.append(number)
        elif match["cur"] or match["usd2"]:
            amounts.append(number * rules._MAGNITUDE.get((match["mag"] or "").lower(), 1.0))
    return rules.Figures(tuple(amounts), tuple(percents))


def dataset_texts(limit: int) -> list[str]:
    if not DATASET.is_file():
        pytest.skip(f"dataset not found at {DATASET} (set CRYPTOWIRE_SHARED)")
    with DATASET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return [f"{row['title']}\n{row['text']}" for row in rows[:limit]]


def test_known_signature_and_bands_are_unchanged():
    """Values computed by the original code: what databases already hold."""
    tokens = rules.tokenize("bitcoin liquidations top $440M as price dips to $92K")
    assert sorted(tokens) == ["$440m", "$92k", "bitcoin", "dip", "liquidation", "price", "top"]
    signature = mh.minhash(tokens)
    assert signature[:4] == (
        321867410805942902,
        299225908735508008,
        1111168927206393420,
        192769832737818157,
    )
    assert mh.band_keys(signature)[:4] == (
        -536334222292153757,
        -478765353219726344,
        -763566264382250181,
        2561774760290971686,
    )


def test_numpy_permutations_match_integer_arithmetic_on_edge_hashes():
    """Hashes whose products land on 0, 1, p - 1 and the carries in between."""
    rng = random.Random(20261121)
    edge = [0, 1, 2, P - 1, P - 2, (1 << 32) - 1, 1 << 32, (1 << 60) + 12345, (1 << 61) - 3]
    for a, b in mh._PERMUTATIONS:
        inverse = pow(a, -1, P)
        edge += [((target - b) * inverse) % P for target in (0, 1, 2, P - 1, P - 2)]
    columns = mh._permuted(edge).tolist()
    for row, (a, b) in zip(columns, mh._PERMUTATIONS, strict=True):
        assert row == [(a * h + b) % P for h in edge]
    for _ in range(300):
        hashes = [rng.getrandbits(61) % P for _ in range(rng.randint(1, 80))]
        expected = [min((a * h + b) % P for h in hashes) for a, b in mh._PERMUTATIONS]
        assert mh._permuted(hashes).min(axis=1).tolist() == expected


def test_minhash_and_bands_match_the_reference_on_random_tokens():
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789$%'é"
    for _ in range(300):
        tokens = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 60))
        }
        signature = mh.minhash(tokens)
        assert signature == reference_minhash(tokens)
        assert mh.band_keys(signature) == reference_band_keys(signature)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no figures at all",
        "usd 5 and USD5 and us$7 and $ 8 and $9",
        "usd\n5 million and 1,234,567.89 usd and 12 percent and 3.5 %",
        "up 5%, 1,2,3 and 1,234,5678 then $1.2bn, 9 trillion dollars, us$12m",
        "digits ٣٤٥ and ５ and ½ and 7",
        "uSd 12 K and uS$1 and usdc 3 and usdt 4 and $USD 5",
        "ends with usd",
        "ends with $",
        "12345678901234567890",
    ],
)
def test_figure_scan_matches_finditer(text: str):
    assert rules.extract_figures(text) == reference_figures(text)
    fast = [(m.span(), m.groupdict()) for m in rules._figure_matches(text)]
    assert fast == [(m.span(), m.groupdict()) for m in rules._FIGURE.finditer(text)]


def test_features_match_the_reference_on_dataset_rows():
    for text in dataset_texts(600):
        tokens = rules.tokenize(text)
        assert tokens == reference_tokenize(text)
        assert rules.extract_figures(text) == reference_figures(text)
        band_tokens = tokens - rules.BAND_STOPWORDS or tokens
        assert mh.minhash(band_tokens) == reference_minhash(band_tokens)


def test_remembered_columns_and_band_keys_match_the_reference_when_full(monkeypatch):
    """The token columns and band keys remembered across articles (decision 048) give the
    same signatures and keys as the definitions, also across the clearing of a full
    cache, with tokens repeated between articles as headlines repeat them."""
    monkeypatch.setattr(mh, "_COLUMNS_MAX", 40)
    monkeypatch.setattr(mh, "_BAND_KEYS_MAX", 3)
    mh._COLUMNS.clear()
    for known in mh._BAND_KEYS:
        known.clear()
    rng = random.Random(11)
    vocabulary = ["".join(rng.choice("abcdefgh") for _ in range(5)) for _ in range(90)]
    cleared = 0
    for _ in range(200):
        before = len(mh._COLUMNS)
        tokens = set(rng.sample(vocabulary, rng.randint(1, 30)))
        signature = mh.minhash(tokens)
        cleared += len(mh._COLUMNS) < before
        assert signature == reference_minhash(tokens)
        assert mh.band_keys(signature) == reference_band_keys(signature)
        assert mh.band_keys(signature) == reference_band_keys(signature)  # remembered
    assert cleared > 0  # the bound was reached and the cache started again
    assert max(map(len, mh._BAND_KEYS)) <= 3
    mh._COLUMNS.clear()
    for known in mh._BAND_KEYS:
        known.clear()
