"""Build pool.tsv: unlabelled real crypto headlines for the teacher to label (decision 046).

Sources (data only; see README.md beside this file):
  * SahandNZ/cryptonews-articles-with-price-momentum-labels, data/textual/cryptonews/url.csv
    (cryptonews.com titles and links, Nov 2022 - May 2023) and news.json (first paragraph
    as the lead where that file has the article);
  * Gamezxz/cryptonews: the items of every commit (bench/data/stories_modern/build_cnth/
    items_all.json, gathered by gather.py there), description as the lead;
  * ../shared/datasets/cryptonews.csv rows that no labelled set holds.
Every headline whose normalised title or url is in ANY labelled set (holdout halves
included) is dropped, so no holdout headline can reach training through the pool.

    python bench/data/sentiment_pseudo/build_pool.py   # from the repository root
"""

from __future__ import annotations

import csv
import html
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bench.sentiment_data import (  # noqa: E402
    CC,
    EXTRA,
    HEADLINES,
    MODERN,
    TRAIN,
    dataset_path,
    load_dataset,
    title_key,
)

HERE = Path(__file__).resolve().parent
SAHAND = "/work/.mirror/SahandNZ+cryptonews-articles-with-price-momentum-labels/repo"
SAHAND_COMMIT = "0a8c43b0019b285b0468d2779dac6dd662c93f3b"
GAMEZXZ = ROOT / "bench" / "data" / "stories_modern" / "build_cnth" / "items_all.json"


def norm(title: str) -> str:
    """Lower-cased letters and digits only: 'Bitcoin’s' and "Bitcoin's" are one title."""
    text = html.unescape(title).lower().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def labelled() -> tuple[set[str], set[str]]:
    titles, urls = set(), set()
    for path in (HEADLINES, EXTRA, TRAIN, MODERN, CC):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                titles.add(norm(row["title"]))
                urls.add(row["url"].rstrip("/"))
    return titles, urls


def git_blob(path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", SAHAND, "show", f"{SAHAND_COMMIT}:{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def clean(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())


def main() -> int:
    titles, urls = labelled()
    out: dict[str, dict[str, str]] = {}

    def add(title: str, lead: str, url: str, source: str, origin: str) -> None:
        title, lead = clean(title), clean(lead)[:600]
        key = norm(title)
        if len(key.split()) < 3 or key in titles or url.rstrip("/") in urls or key in out:
            return
        out[key] = {"title_key": title_key(title), "source": source, "url": url,
                    "title": title, "lead": lead, "origin": origin}  # fmt: skip

    leads = {a["url"]: (a.get("paragraphs") or [""])[0]
             for a in json.loads(git_blob("data/textual/cryptonews/news.json"))}  # fmt: skip
    origin = f"SahandNZ/cryptonews-articles-with-price-momentum-labels@{SAHAND_COMMIT[:12]}"
    for row in csv.DictReader(git_blob("data/textual/cryptonews/url.csv").splitlines()):
        add(row["title"], leads.get(row["url"], ""), row["url"], "CryptoNews",
            origin + ":data/textual/cryptonews/url.csv")  # fmt: skip
    for item in json.loads(GAMEZXZ.read_text(encoding="utf-8")).values():
        add(item["title"], item.get("content", ""), item["link"], item.get("source", ""),
            f"Gamezxz/cryptonews@{item['_commit'][:12]}:{item['_path']}")  # fmt: skip
    for row in load_dataset(dataset_path()):
        add(row["title"], row["text"], row["url"], row["source"],
            "shared/datasets/cryptonews.csv")  # fmt: skip
    rows = sorted(out.values(), key=lambda r: r["title_key"])
    with (HERE / "pool.tsv").open("w", encoding="utf-8") as handle:
        cols = ("title_key", "source", "url", "title", "lead", "origin")
        handle.write("\t".join(cols) + "\n")
        for r in rows:
            handle.write("\t".join(r[c].replace("\t", " ") for c in cols) + "\n")
    print(len(rows), "pool rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
