"""Print the counts reported in ../README.md from ../tune.csv (per day and total)."""

import collections
import csv
import itertools
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def counts(rows: list[dict]) -> dict:
    g = collections.defaultdict(list)
    for r in rows:
        g[r["story"]].append(r)
    multi = [v for v in g.values() if len(v) > 1]

    def npairs(vs, cond=lambda v: True):
        return sum(len(v) * (len(v) - 1) // 2 for v in vs if cond(v))

    return {
        "articles": len(rows),
        "stories": len(g),
        "multi-article stories": len(multi),
        "articles in multi-article stories": sum(len(v) for v in multi),
        "same-event pairs": npairs(multi),
        "cross-outlet pairs": sum(
            1 for v in multi for a, b in itertools.combinations(v, 2) if a["source"] != b["source"]
        ),
        "market-move pairs": npairs(multi, lambda v: "market move" in v[0]["note"]),
        "pairs excl. market move": npairs(multi, lambda v: "market move" not in v[0]["note"]),
        "pairs excl. market move and doubtful rows": npairs(
            [
                [r for r in v if "market move" not in r["note"] and "doubtful" not in r["note"]]
                for v in multi
            ]
        ),
        "single-outlet multi-article stories": sum(
            1 for v in multi if len({r["source"] for r in v}) == 1
        ),
        "sizes": dict(sorted(collections.Counter(len(v) for v in multi).items())),
    }


rows = list(csv.DictReader(open(os.path.join(HERE, "..", "tune.csv"), encoding="utf-8")))
for day in sorted({r["date"][:10] for r in rows}):
    print(day, counts([r for r in rows if r["date"][:10] == day]))
print("all", counts(rows))
