"""Select one day's rows of ../stories_modern/cnth.csv for sentiment labelling (DAYS).

Why: the same real Feb 2026 items as the story set, labelled for sentiment too. By code, before
any label: rows whose url or title_sha1 is already in sentiment_modern.tsv from another source
(origin not Gamezxz/cryptonews, so a rebuild selects the same rows) are dropped; order is
sha1("pick:" + url) as in select.py; split by feed.split_of (the url-hash rule), not by the
story set's day split. `python3 select_cnth.py 2026-02-06` writes that day's selection file
(DAYS) and prints it.
"""

import csv
import hashlib
import json
import sys
from pathlib import Path

from feed import split_of
from write_tsv import TSV

HERE = Path(__file__).resolve().parent
STORIES = HERE.parent / "stories_modern"
# day -> (selection file, decision batches); each day keeps its own indices
DAYS = {
    "2026-02-06": ("selection_cnth.json", "batches/c*.txt"),
    "2026-02-05": ("selection_cnth_0205.json", "batches/d*.txt"),
}
ITEMS = STORIES / "build_cnth" / "items_all.json"


def main(day: str) -> None:
    have = set()
    for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
        f = line.split("\t")
        if not f[9].startswith("Gamezxz/cryptonews@"):
            have.update((f[0], f[1]))
    items = json.load(open(ITEMS, encoding="utf-8"))
    rows = []
    for r in csv.DictReader(open(STORIES / "cnth.csv", encoding="utf-8")):
        if not r["date"].startswith(day) or r["url"] in have or r["title_sha1"] in have:
            continue
        it = items[r["url"]]
        rows.append(
            dict(
                title=r["title"],
                summary=r["text"],
                url=r["url"],
                source=r["source"],
                date=r["date"],
                repo="Gamezxz/cryptonews",
                commit=it["_commit"],
                path=it["_path"],
                title_sha1=r["title_sha1"],
                split=split_of(r["url"]),
            )
        )
    rows.sort(key=lambda a: hashlib.sha1(("pick:" + a["url"]).encode()).hexdigest())
    json.dump(rows, open(HERE / DAYS[day][0], "w"), ensure_ascii=False)
    for i, a in enumerate(rows):
        print(f"{i} [{a['source'][:9]}] {a['title']} || {a['summary'][:170]}")


if __name__ == "__main__":
    main(sys.argv[1])
