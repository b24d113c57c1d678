"""Reading aid only: for each keyword, print the titles that contain it with their story ids,
so paraphrases split across stories can be re-read. Decides nothing."""

import csv
import sys

split = sys.argv[1]
rows = list(csv.DictReader(open(f"../{split}.csv", encoding="utf-8")))
for kw in sys.argv[2:]:
    hits = [r for r in rows if kw.lower() in (r["title"] + " " + r["text"]).lower()]
    if len({r["story"] for r in hits}) > 1:
        print(f"== {kw}")
        for r in hits:
            print(f"  {r['story']} {r['date'][5:16]} {r['source'][:8]:8} {r['title'][:110]}")
