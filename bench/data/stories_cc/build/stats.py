"""Counts for the README: per split, sources, days, stories, pairs (all, cross-outlet,
market move, strict), story sizes, cross-day pairs and the largest story."""

import collections
import csv
import itertools

for split in ("holdout", "tune"):
    rows = list(csv.DictReader(open(f"../{split}.csv", encoding="utf-8")))
    by = collections.defaultdict(list)
    for r in rows:
        by[r["story"]].append(r)
    multi = [g for g in by.values() if len(g) > 1]
    pairs = [(a, b) for g in multi for a, b in itertools.combinations(g, 2)]

    def strict(r):
        return "market move" not in r["note"] and "doubtful" not in r["note"]

    mm = [p for p in pairs if "market move" in p[0]["note"]]
    big = max(multi, key=len)
    print(f"## {split}: {len(rows)} articles")
    print("  days:", dict(sorted(collections.Counter(r["date"][:10] for r in rows).items())))
    print("  sources:", dict(collections.Counter(r["source"] for r in rows).most_common()))
    print(f"  stories {len(by)}, multi {len(multi)}, in multi {sum(map(len, multi))}")
    cross = sum(a["source"] != b["source"] for a, b in pairs)
    firm = sum(strict(a) and strict(b) for a, b in pairs)
    print(
        f"  pairs {len(pairs)}, cross-outlet {cross}, market move {len(mm)}, "
        f"non-market-move {len(pairs) - len(mm)}, strict (no market move/doubtful row) {firm}"
    )
    print(
        f"  cross-day pairs {sum(a['date'][:10] != b['date'][:10] for a, b in pairs)}, "
        f"single-outlet multi stories {sum(len({r['source'] for r in g}) == 1 for g in multi)}"
    )
    print("  sizes:", dict(sorted(collections.Counter(len(g) for g in multi).items())))
    print(f"  largest: {len(big)} {big[0]['note'].split(']')[0]}]")
