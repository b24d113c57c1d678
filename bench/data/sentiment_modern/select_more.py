"""Second selection (session 7): the Up-to-date-news items not yet in sentiment_modern.tsv.

Same rules as select.py, by code only (no title, summary or label looked at): fintech
outlets dropped; sorted by pubDate, first item per title key (entities decoded, whitespace
collapsed, lower-cased); items whose url or title_sha1 is already in the TSV dropped;
ordered by sha1("pick:" + url); split by sha1("split:" + url) before labelling.
Writes selection_more.json (rows keep their index: batches m*.txt refer to it).
"""

import hashlib
import json
import re
import sys
from pathlib import Path

from feed import FINTECH, key, norm, split_of, utd_row

HERE = Path(__file__).resolve().parent
TSV = HERE.parent / "sentiment_modern.tsv"


def main(utd_path: str) -> None:
    have_urls, have_keys = set(), set()
    for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
        f = line.split("\t")
        have_urls.add(f[0])
        have_keys.add(f[1])
    seen, rows = set(), []
    for a in sorted(json.load(open(utd_path)).values(), key=lambda a: a["pubDate"]):
        if a["source"] in FINTECH or not a["title"].strip():
            continue
        title = norm(a["title"])
        if title.lower() in seen:
            continue
        seen.add(title.lower())
        if a["link"] in have_urls or key(title) in have_keys:
            continue
        row = utd_row(a)
        row.update(title=title, summary=norm(re.sub("<[^>]+>", " ", row["summary"])))
        rows.append(dict(row, title_sha1=key(title), split=split_of(a["link"])))
    rows.sort(key=lambda a: hashlib.sha1(("pick:" + a["url"]).encode()).hexdigest())
    json.dump(rows, open(HERE / "selection_more.json", "w"), indent=0)
    print(len(rows))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/brief/utd.json")
