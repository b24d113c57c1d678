"""Second selection (session 7): the Up-to-date-news items not yet in sentiment_modern.tsv.

Same rules as select.py, by code only (no title, summary or label looked at): fintech
outlets dropped; sorted by pubDate, first item per title key (entities decoded, whitespace
collapsed, lower-cased); items whose url or title_sha1 is already in the TSV dropped;
ordered by sha1("pick:" + url); split by sha1("split:" + url) before labelling.
Writes selection_more.json (rows keep their index: batches m*.txt refer to it).
"""

import hashlib
import html
import json
import sys
from pathlib import Path

# The general-fintech outlets select.py drops (rarely about crypto).
FINTECH_SOURCES = set(
    "Finextra|PYMNTS|Financial IT|Banking Dive|Payments Dive|Tearsheet|Finovate"
    "|The Fintech Times|Crowdfund Insider|Admin".split("|")
)


def norm(title: str) -> str:
    """HTML entities decoded, whitespace collapsed (the TSV's title)."""
    return " ".join(html.unescape(title).split())


def title_sha1(title: str) -> str:
    """The TSV's title_sha1: first 12 hex of sha1 of the normalised title."""
    return hashlib.sha1(title.encode()).hexdigest()[:12]


HERE = Path(__file__).resolve().parent
TSV = HERE.parent / "sentiment_modern.tsv"


def split_of(url: str) -> str:
    """tune when the last hex digit of sha1("split:" + url) is even (as select.py)."""
    return (
        "tune"
        if int(hashlib.sha1(("split:" + url).encode()).hexdigest()[-1], 16) % 2 == 0
        else "holdout"
    )


def main(utd_path: str) -> None:
    import re

    have_urls, have_keys = set(), set()
    for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
        f = line.split("\t")
        have_urls.add(f[0])
        have_keys.add(f[1])
    utd = json.load(open(utd_path))
    items = sorted(utd.values(), key=lambda a: a["pubDate"])
    seen, rows = set(), []
    for a in items:
        if a["source"] in FINTECH_SOURCES or not a["title"].strip():
            continue
        title = norm(a["title"])
        k = title.lower()
        if k in seen:
            continue
        seen.add(k)
        if a["link"] in have_urls or title_sha1(title) in have_keys:
            continue
        rows.append(
            dict(
                title=title,
                summary=norm(re.sub("<[^>]+>", " ", a.get("summary") or "")),
                url=a["link"],
                source=a["source"],
                date=a["pubDate"],
                repo="Up-to-date-news/cryptonews",
                commit=a["_commit"],
                path=a["_path"],
                title_sha1=title_sha1(title),
                split=split_of(a["link"]),
            )
        )
    rows.sort(key=lambda a: hashlib.sha1(("pick:" + a["url"]).encode()).hexdigest())
    json.dump(rows, open(HERE / "selection_more.json", "w"), indent=0)
    print(len(rows))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/brief/utd.json")
