"""Write ../cnth.csv from the selection (sel.py) and the typed decisions (decisions/*.txt).

Why: the CSV must be exactly what was decided by hand. This script only merges the `G:` lines
(a line whose label is `+` extends the group its ids already belong to), numbers stories
k0001.. (Feb 5) and g0001.. (Feb 6), each in order of its first article, and copies labels
and `N:` notes.
Only days with a decision file are written (e = 2026-02-05 tune, f = 2026-02-06 holdout).
"""

import csv
import glob
import os

from sel import HERE, select, title_sha1

SPLIT = {"e": "tune", "f": "holdout"}
PREFIX = {"e": "k", "f": "g"}  # story-id prefix per day, each numbered on its own


def read_decisions() -> tuple[list[tuple[list[str], str]], dict[str, list[str]]]:
    groups, notes = [], {}
    for path in sorted(glob.glob(os.path.join(HERE, "decisions", "*.txt"))):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if line.startswith("G:"):
                ids, _, label = line[2:].partition("|")
                groups.append((ids.split(), label.strip()))
            elif line.startswith("N:"):
                wid, _, text = line[2:].strip().partition(" ")
                notes.setdefault(wid, []).append(text.strip())
    return groups, notes


def main() -> None:
    days = {os.path.basename(p)[0] for p in glob.glob(os.path.join(HERE, "decisions", "*.txt"))}
    rows = [v for v in select() if v["wid"][0] in days]
    by_id = {v["wid"]: v for v in rows}
    groups, notes = read_decisions()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    label_of: dict[str, str] = {}
    for ids, label in groups:
        for wid in ids:
            assert wid in by_id, f"unknown id {wid}"
        roots = {find(w) for w in ids}
        root = min(roots, key=lambda r: (r not in label_of, r))
        for r in roots:
            parent[r] = root
        if label != "+" and root not in label_of:
            label_of[root] = label
        assert label != "+" or root in label_of, f"'+' line with no labelled group: {ids}"
    for wid in notes:
        assert wid in by_id, f"note for unknown id {wid}"
    members: dict[str, list[str]] = {}
    for v in rows:
        members.setdefault(find(v["wid"]), []).append(v["wid"])
    story_of: dict[str, str] = {}
    n: dict[str, int] = {}
    for v in rows:
        r = find(v["wid"])
        if r not in story_of:
            p = v["wid"][0]
            n[p] = n.get(p, 0) + 1
            story_of[r] = f"{PREFIX[p]}{n[p]:04d}"
    out = os.path.join(HERE, "..", "cnth.csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note"]
        )
        for v in rows:
            r = find(v["wid"])
            parts = [label_of[r]] if len(members[r]) > 1 else []
            parts += notes.get(v["wid"], [])
            w.writerow(
                [
                    v["url"],
                    title_sha1(v["title"]),
                    v["date"],
                    v["source"],
                    v["title"],
                    v["text"],
                    story_of[r],
                    SPLIT[v["wid"][0]],
                    "; ".join(parts),
                ]
            )
    with open(os.path.join(HERE, "items.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["wid", "url", "title_sha1", "story"])
        for v in rows:
            w.writerow([v["wid"], v["url"], title_sha1(v["title"]), story_of[find(v["wid"])]])
    print(len(rows), "rows,", sum(n.values()), "stories ->", os.path.normpath(out))


if __name__ == "__main__":
    main()
