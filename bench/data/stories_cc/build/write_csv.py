"""Turn sel_SPLIT.json plus the hand-typed decisions_SPLIT.txt into ../SPLIT.csv.
usage: write_csv.py SPLIT"""

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note", "body"]
BODY_CHARS = 1500

split = sys.argv[1]
items = json.load(open(HERE / f"sel_{split}.json", encoding="utf-8"))
groups, notes = [], {}
for line in open(HERE / f"decisions_{split}.txt", encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("G:"):
        ids, label, flags = (p.strip() for p in line[2:].split("|"))
        groups.append((ids.split(), label, flags))
    elif line.startswith("N:"):
        wid, text = (p.strip() for p in line[2:].split("|", 1))
        notes.setdefault(wid, []).append(text)
member = {}
for ids, label, flags in groups:
    for w in ids:
        assert w not in member, f"{w} in two groups"
        member[w] = (ids, label, flags)
known = {i["wid"] for i in items}
assert set(member) <= known and set(notes) <= known, (set(member) | set(notes)) - known


def clean(s):
    return re.sub(r"\s+", " ", s).strip()


def cut(body):
    if len(body) <= BODY_CHARS:
        return body
    return body[:BODY_CHARS].rsplit(" ", 1)[0]


sha = {i["wid"]: hashlib.sha1(clean(i["title"]).encode()).hexdigest()[:12] for i in items}
story, prefix, n = {}, "ch" if split == "holdout" else "ct", 0
rows = []
for i in items:  # in time order: ids numbered by each story's first article
    w = i["wid"]
    key = tuple(member[w][0]) if w in member else (w,)
    if key not in story:
        n += 1
        story[key] = f"{prefix}{n:04d}"
    note = []
    if w in member:
        ids, label, flags = member[w]
        note.append(f"[{label}]")
        note += [f for f in (x.strip() for x in flags.split(",")) if f]
    note += notes.get(w, [])
    rows.append(
        {
            "url": "",
            "title_sha1": sha[w],
            "date": i["publishedAt"][:19] + "Z",
            "source": i["source"],
            "title": clean(i["title"]),
            "text": clean(i["description"]),
            "story": story[key],
            "split": split,
            "note": re.sub(
                r"\[([HT]\d{3})\]", lambda m: f"[{sha[m.group(1)]}]", "; ".join(dict.fromkeys(note))
            ),
            "body": cut(i["body"].strip()),
        }
    )
with open(HERE.parent / f"{split}.csv", "w", encoding="utf-8", newline="") as handle:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
sizes = {}
for r in rows:
    sizes[r["story"]] = sizes.get(r["story"], 0) + 1
multi = [s for s in sizes.values() if s > 1]
pairs = sum(s * (s - 1) // 2 for s in multi)
print(
    f"{split}: {len(rows)} articles, {len(sizes)} stories, {len(multi)} multi-article, "
    f"{pairs} pairs, largest {max(sizes.values())}"
)
