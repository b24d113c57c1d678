"""Print the counts reported in holdout.md from ../holdout.csv (per day and total)."""

import csv
import os
from collections import Counter
from itertools import combinations

rows = list(
    csv.DictReader(
        open(
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "holdout.csv"),
            encoding="utf-8",
        )
    )
)


def stats(rs: list[dict], name: str) -> None:
    by = {}
    for r in rs:
        by.setdefault(r["story"], []).append(r)
    multi = {k: v for k, v in by.items() if len(v) > 1}
    pairs = cross = mm = mm_or_doubt = 0
    for v in multi.values():
        label = v[0]["note"]
        for a, b in combinations(v, 2):
            pairs += 1
            cross += a["source"] != b["source"]
            mm += "market move" in label
            mm_or_doubt += (
                "market move" in label or "doubtful" in a["note"] or "doubtful" in b["note"]
            )
    sizes = Counter(len(v) for v in multi.values())
    print(
        f"{name}: articles {len(rs)}, stories {len(by)}, multi-article {len(multi)}, "
        f"in multi {sum(len(v) for v in multi.values())}, pairs {pairs}, cross-outlet {cross}, "
        f"market-move pairs {mm}, pairs excl. market move {pairs - mm}, "
        f"excl. market-move and doubtful rows {pairs - mm_or_doubt}; "
        f"sizes {dict(sorted(sizes.items()))}"
    )
    single_outlet = [k for k, v in multi.items() if len({r["source"] for r in v}) == 1]
    print(f"  single-outlet multi-article stories: {len(single_outlet)}")


for day in sorted({r["date"][:10] for r in rows}):
    stats([r for r in rows if r["date"][:10] == day], day)
stats(rows, "total")

by_story: dict[str, list[dict]] = {}
for r in rows:
    by_story.setdefault(r["story"], []).append(r)
cross_day = [v for v in by_story.values() if len({r["date"][:10] for r in v}) > 1]
print(f"stories spanning both days: {len(cross_day)}")
for k, v in sorted(by_story.items()):
    if len(v) > 1:
        outlets = len({r["source"] for r in v})
        print(f"  {k} {len(v)} {outlets} outlets  {v[0]['note'].split(';')[0][:110]}")
