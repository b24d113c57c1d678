"""Print counts per block and split of ../more.csv (stories, pairs, cross-outlet, market-move)."""

import csv
import itertools
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
DAYS = {
    "G": ("2022-01-17", "2022-01-21"),
    "H": ("2022-03-21", "2022-03-25"),
    "I": ("2022-05-23", "2022-05-27"),
    "J": ("2022-04-18", "2022-04-22"),
}


def block_of(date: str) -> str:
    """Block letter of an ISO date."""
    return next(b for b, (a, z) in DAYS.items() if a <= date[:10] <= z)


def counts(rs: list[dict]) -> dict[str, int]:
    """Counts for a set of rows."""
    by = defaultdict(list)
    for r in rs:
        by[r["story"]].append(r)
    c = dict(
        articles=len(rs), stories=len(by), multi=0, in_multi=0, pairs=0, cross=0, market=0, strict=0
    )
    for m in by.values():
        if len(m) < 2:
            continue
        c["multi"] += 1
        c["in_multi"] += len(m)
        for a, b in itertools.combinations(m, 2):
            c["pairs"] += 1
            c["cross"] += a["source"] != b["source"]
            mm = "market move" in a["note"]
            c["market"] += mm
            c["strict"] += not mm and "doubtful" not in a["note"] and "doubtful" not in b["note"]
    return c


def main() -> None:
    """Print one line per block, per split and in total."""
    with open(os.path.join(HERE, "..", "more.csv"), encoding="utf-8") as fh:
        rs = list(csv.DictReader(fh))
    keys = ["articles", "stories", "multi", "in_multi", "pairs", "cross", "market", "strict"]
    print("set     " + " ".join(f"{k:>8}" for k in keys))
    sets = [(b, [r for r in rs if block_of(r["date"]) == b]) for b in "GHIJ"]
    sets += [(s, [r for r in rs if r["split"] == s]) for s in ("tune", "holdout")] + [("total", rs)]
    for name, sub in sets:
        if sub:
            c = counts(sub)
            print(f"{name:8}" + " ".join(f"{c[k]:>8}" for k in keys))


if __name__ == "__main__":
    main()
