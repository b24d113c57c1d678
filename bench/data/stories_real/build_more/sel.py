"""Select every dataset row of a day block and print it for reading (no grouping logic).

Usage: python3 sel.py G   -> prints working id, date, source, title, summary, sorted by date.
"""

import csv
import hashlib
import re
import sys
from datetime import datetime

DATASET = "/work/shared/datasets/cryptonews.csv"
BLOCKS = {
    "G": ("2022-01-17", "2022-01-21", "tune"),
    "H": ("2022-03-21", "2022-03-25", "holdout"),
    "I": ("2022-05-23", "2022-05-27", "tune"),
    "J": ("2022-04-18", "2022-04-22", "holdout"),
}
SRC = {"CoinTelegraph": "CT", "CryptoNews": "CN", "CryptoPotato": "CP"}


def title_sha1(title: str) -> str:
    """First 12 hex digits of sha1 of the whitespace-collapsed title (README convention)."""
    return hashlib.sha1(re.sub(r"\s+", " ", title).strip().encode("utf-8")).hexdigest()[:12]


def rows(block: str) -> tuple[list[dict], list[dict]]:
    """Return (kept, excluded) rows of a block; kept is sorted by date and has working ids."""
    first, last, _ = BLOCKS[block]
    kept, excluded = [], []
    with open(DATASET, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            dt = datetime.strptime(r["date"].strip(), "%d-%m-%Y %H:%M")
            day = dt.strftime("%Y-%m-%d")
            if not (first <= day <= last):
                continue
            r["dt"] = dt
            r["iso"] = dt.strftime("%Y-%m-%dT%H:%M:00Z")
            if not r["url"].strip() and not r["title"].strip():
                excluded.append(r)
                continue
            kept.append(r)
    kept.sort(key=lambda r: (r["dt"], r["source"], r["title"]))
    for i, r in enumerate(kept, 1):
        r["wid"] = f"{block}{i:03d}"
        r["sha"] = title_sha1(r["title"])
    return kept, excluded


if __name__ == "__main__":
    b = sys.argv[1]
    kept, excluded = rows(b)
    day = None
    for r in kept:
        d = r["iso"][:10]
        if d != day:
            day = d
            print(f"\n=== {d} ===")
        head = f"{r['wid']} {r['iso'][11:16]} {SRC[r['source']]} | {r['title']}"
        print(f"{head}\n      {r['text'][:300]}")
    print(f"\n# kept {len(kept)}, excluded {len(excluded)}", file=sys.stderr)
    for r in excluded:
        print(f"# excluded: {r['iso']} {r['source']} {r['text'][:80]}", file=sys.stderr)
