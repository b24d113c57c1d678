"""Select whole UTC days (before any label) and print them for reading.
usage: sel.py items.json SPLIT
writes sel_SPLIT.json, prints id | time | source | title || body start"""

import json
import re
import sys
import unicodedata

WINDOWS = {"holdout": ("2026-02-02", "2026-02-05"), "tune": ("2025-12-08", "2025-12-12")}


def key(title):
    t = unicodedata.normalize("NFKC", title).lower()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s$%.]", " ", t)).strip()


items = json.load(open(sys.argv[1]))
split = sys.argv[2]
lo, hi = WINDOWS[split]
rows = sorted(
    (i for i in items if lo <= i["publishedAt"][:10] <= hi), key=lambda i: i["publishedAt"]
)
seen, out, dropped = set(), [], []
for i in rows:
    k = key(i["title"])
    if k in seen:
        dropped.append(i["title"])
        continue
    seen.add(k)
    out.append(i)
prefix = "H" if split == "holdout" else "T"
for n, i in enumerate(out, 1):
    i["wid"] = f"{prefix}{n:03d}"
keep = ("wid", "path", "commit", "title", "description", "publishedAt", "externalId", "source")
saved = [{**{k: i[k] for k in keep}, "body": i["body"][:1600]} for i in out]
json.dump(saved, open(f"sel_{split}.json", "w"), ensure_ascii=False, indent=0)
print(f"# {split} {lo}..{hi}: {len(out)} kept, {len(dropped)} duplicate titles dropped: {dropped}")
for i in out:
    body = re.sub(r"\s+", " ", re.sub(r"^#+ .*$", "", i["body"], flags=re.M)).strip()
    print(f"{i['wid']} {i['publishedAt'][5:16]} {i['source'][:6]} | {i['title']} || {body[:260]}")
