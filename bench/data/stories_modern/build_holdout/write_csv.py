"""Write ../holdout.csv from the selection (sel.py) and the hand decisions (decisions/*.txt).

Also writes items.csv (working id -> url, title_sha1, story).

Why: the CSV must reproduce exactly what was typed by hand; this script only numbers stories
(h0001.. in order of each story's first article) and copies labels/notes, it decides nothing.
Usage: python3 write_csv.py [A|B ...]  (days to include; default all decision files present)
"""

import csv
import glob
import hashlib
import os
import re
import sys

from sel import clean_text, clean_title, select

HERE = os.path.dirname(os.path.abspath(__file__))


def read_decisions(prefixes: list[str]) -> tuple[list[tuple[list[str], str]], dict[str, list[str]]]:
    groups, notes = [], {}
    for path in sorted(glob.glob(os.path.join(HERE, "decisions", "*.txt"))):
        if os.path.basename(path)[0] not in prefixes:
            continue
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
    prefixes = sys.argv[1:] or sorted(
        {os.path.basename(p)[0] for p in glob.glob(os.path.join(HERE, "decisions", "*.txt"))}
    )
    rows = [v for v in select() if v["wid"][0] in prefixes]
    by_id = {v["wid"]: v for v in rows}
    groups, notes = read_decisions(prefixes)
    group_of, label_of = {}, {}
    for gi, (ids, label) in enumerate(groups):
        for wid in ids:
            assert wid in by_id, f"unknown id {wid}"
        earlier = {group_of[w] for w in ids if w in group_of}
        assert len(earlier) <= 1, f"{ids} spans two groups"
        if earlier:  # a later day's line extending an earlier story
            gi = earlier.pop()
            if label != "+":
                label_of[gi] = label
        else:
            label_of[gi] = label
        for wid in ids:
            group_of[wid] = gi
    for wid in notes:
        assert wid in by_id, f"note for unknown id {wid}"
    sha = {
        w: hashlib.sha1(clean_title(v["title"]).encode("utf-8")).hexdigest()[:12]
        for w, v in by_id.items()
    }
    story_of, n = {}, 0
    out = []
    for v in rows:  # rows are in pubDate order
        key = group_of.get(v["wid"], v["wid"])
        if key not in story_of:
            n += 1
            story_of[key] = f"h{n:04d}"
        parts = []
        if v["wid"] in group_of:
            parts.append(label_of[group_of[v["wid"]]])
        parts += notes.get(v["wid"], [])
        title = clean_title(v["title"])
        out.append(
            {
                "url": v["link"],
                "title_sha1": hashlib.sha1(title.encode("utf-8")).hexdigest()[:12],
                "date": v["pubDate"][:19] + "Z",
                "source": v["source"],
                "title": title,
                "text": clean_text(v.get("summary")),
                "story": story_of[key],
                "split": "holdout",
                # a working id named in a note becomes the [title_sha1] of that article
                "note": re.sub(
                    r"\b([AB]\d{3})\b", lambda m: f"[{sha[m.group(1)]}]", "; ".join(parts)
                ),
            }
        )
    keys = {(r["url"], r["title_sha1"]) for r in out}
    assert len(keys) == len(out), "(url, title_sha1) not unique"
    cols = ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note"]
    with open(os.path.join(HERE, "..", "holdout.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(out)
    with open(os.path.join(HERE, "items.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["wid", "url", "title_sha1", "story"])
        for v, r in zip(rows, out, strict=True):
            w.writerow([v["wid"], r["url"], r["title_sha1"], r["story"]])
    print(f"{len(out)} rows, {n} stories")


if __name__ == "__main__":
    main()
