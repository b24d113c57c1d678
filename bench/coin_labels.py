"""Coin-mention labels (bench/data/coin_mentions.tsv, README coin_mentions.md) scored
against the tagger: per-tag and micro precision/recall on mentions, per split."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MENTIONS = HERE / "data" / "coin_mentions.tsv"
# Tickers renamed since the labels were made (2022): Polygon's MATIC is POL, Maple's MPL
# is SYRUP (both 2024).
RENAMED = {"MATIC": "POL", "MPL": "SYRUP"}


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    text: str
    coins: frozenset[str]
    split: str
    sample: str


def load_items() -> list[Item]:
    with MENTIONS.open(encoding="utf-8", newline="") as handle:
        return [
            Item(
                row["title"],
                row["text"],
                frozenset(RENAMED.get(c, c) for c in row["coins"].split(",") if c),
                row["split"],
                row["sample"],
            )
            for row in csv.DictReader(handle, delimiter="\t")
        ]


@dataclass
class Score:
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]

    def micro(self) -> tuple[float, float]:
        tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        return tp / max(1, tp + fp), tp / max(1, tp + fn)

    def per_tag(self, tag: str) -> tuple[float, float, int]:
        tp, fp, fn = self.tp[tag], self.fp[tag], self.fn[tag]
        return tp / max(1, tp + fp), tp / max(1, tp + fn), tp + fn


def score(items: list[Item], coins_of: Callable[[str], set[str]]) -> Score:
    """``coins_of(title + newline + text)`` -> the coin tags the tagger gives."""
    result = Score(Counter(), Counter(), Counter())
    for item in items:
        found = coins_of(f"{item.title}\n{item.text}")
        for tag in found & item.coins:
            result.tp[tag] += 1
        for tag in found - item.coins:
            result.fp[tag] += 1
        for tag in item.coins - found:
            result.fn[tag] += 1
    return result
