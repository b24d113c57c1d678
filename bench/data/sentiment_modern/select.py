import collections
import hashlib
import json
import re

from feed import FINTECH, key, norm, split_of, utd_row

utd = json.load(open("utd.json"))
pool = []
for a in utd.values():
    pool.append(utd_row(a))
for a in json.load(open("other.json")):
    pool.append(
        dict(
            title=a["title"],
            summary=a["summary"],
            url=a["link"],
            source=a["source"],
            date=a["pubDate"],
            repo=a["_repo"],
            commit=a["_commit"],
            path=a["_path"],
        )
    )


seen = set()
rows = []
for a in pool:
    if a["source"] in FINTECH or not a["title"].strip():
        continue
    a["title"] = norm(a["title"])
    a["summary"] = norm(re.sub("<[^>]+>", " ", a["summary"]))
    k = key(a["title"])
    if k in seen:
        continue
    seen.add(k)
    a["title_sha1"] = k
    rows.append(a)
rows.sort(key=lambda a: hashlib.sha1(("pick:" + a["url"]).encode()).hexdigest())
print(len(rows))
# at most 250 from any one outlet, in hash order (no content looked at)
cap = collections.Counter()
sel = []
for a in rows:
    if cap[a["source"]] >= 250:
        continue
    cap[a["source"]] += 1
    sel.append(a)
sel = sel[:1000]
for a in sel:
    a["split"] = split_of(a["url"])
print(
    len(sel),
    collections.Counter(a["split"] for a in sel),
    collections.Counter(a["source"] for a in sel).most_common(),
)
json.dump(sel, open("selection.json", "w"), indent=0)
with open("show.txt", "w") as f:
    for i, a in enumerate(sel):
        f.write(f"{i}\t{a['title']}\t|| {a['summary'][:160]}\n")
