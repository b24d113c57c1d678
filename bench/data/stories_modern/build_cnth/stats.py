"""Print the counts reported in ../cnth.md (per split): articles, stories, pairs and their kinds."""

import collections
import csv
import itertools
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    rows = list(csv.DictReader(open(os.path.join(HERE, "..", "cnth.csv"), encoding="utf-8")))
    for split in ("tune", "holdout"):
        part = [r for r in rows if r["split"] == split]
        if not part:
            continue
        stories = collections.defaultdict(list)
        for r in part:
            stories[r["story"]].append(r)
        multi = [m for m in stories.values() if len(m) > 1]
        pairs = [p for m in multi for p in itertools.combinations(m, 2)]
        mm = [p for p in pairs if "market move" in p[0]["note"]]
        strict = [
            (a, b)
            for a, b in pairs
            if "market move" not in a["note"] and "doubtful" not in a["note"] + b["note"]
        ]
        sizes = collections.Counter(len(m) for m in multi)
        print(
            f"== {split}: {len(part)} articles, {len(stories)} stories, {len(multi)} multi-article "
            f"stories with {sum(map(len, multi))} articles"
        )
        cross = sum(a["source"] != b["source"] for a, b in pairs)
        print(
            f"pairs {len(pairs)}, cross-outlet {cross}, "
            f"market-move {len(mm)}, without market moves {len(pairs) - len(mm)}, "
            f"without market moves and doubtful rows {len(strict)}"
        )
        print(
            "single-outlet multi-article stories:",
            sum(len({r["source"] for r in m}) == 1 for m in multi),
        )
        print("sizes:", dict(sorted(sizes.items())))
        print("per source:", dict(collections.Counter(r["source"] for r in part).most_common()))


if __name__ == "__main__":
    main()
