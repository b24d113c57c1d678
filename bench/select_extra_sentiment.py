"""Print dataset rows that are in neither half of the labelled headline set, for labelling
by reading (``bench/data/sentiment_extra.tsv``, train-only rows).

    python -m bench.select_extra_sentiment START COUNT   # print rows to read
    python -m bench.select_extra_sentiment --build       # decisions -> sentiment_extra.tsv

Rows come in sha1(url) order after the labelled ones; any row whose title (whitespace
collapsed) equals a labelled title is skipped, so no holdout headline can leak in.
Nothing is pre-labelled: this only prints title, lead and source for a person to read.
"""

from __future__ import annotations

import hashlib
import sys

from bench.sentiment_data import HEADLINES, dataset_path, load_dataset


def candidates() -> list[dict[str, str]]:
    labelled_urls, labelled_titles = set(), set()
    for line in HEADLINES.read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        labelled_urls.add(cells[0])
        labelled_titles.add(" ".join(cells[4].split()).lower())
    path = dataset_path()
    if path is None:
        raise SystemExit("../shared/datasets/cryptonews.csv not found")
    seen, out = set(), []
    for row in load_dataset(path):
        title = " ".join(row["title"].split())
        if not row["url"] or not title or row["url"] in labelled_urls or row["url"] in seen:
            continue
        if title.lower() in labelled_titles:
            continue
        seen.add(row["url"])
        out.append(row)
    return sorted(out, key=lambda r: hashlib.sha1(r["url"].encode()).hexdigest())


CODES = {"p": "positive", "n": "negative", "u": "neutral"}
DECISIONS = HEADLINES.parent / "sentiment_extra"
EXTRA = HEADLINES.parent / "sentiment_extra.tsv"


def build() -> int:
    """Join the decisions (``sentiment_extra/x*.txt``: ``index code``, code = p|n|u plus
    the clear digit) to the rows they were made on and write ``sentiment_extra.tsv``."""
    rows = candidates()
    lines = ["url\ttitle_sha1\tsource\tdate\ttitle\tlabel\tclear\tsplit"]
    for path in sorted(DECISIONS.glob("x*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            index, code = line.split()
            row = rows[int(index)]
            title = " ".join(row["title"].split())
            key = hashlib.sha1(title.encode("utf-8")).hexdigest()[:12]
            cells = [row["url"], key, row["source"], row["date"], title]
            lines.append("\t".join([*cells, CODES[code[0]], code[1], "extra"]))
    EXTRA.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 1} rows to {EXTRA}")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--build"]:
        return build()
    start, count = int(argv[0]), int(argv[1])
    for i, row in enumerate(candidates()[start : start + count], start):
        title = " ".join(row["title"].split())
        print(f"{i}\t{title}\t|| {' '.join(row['text'].split())[:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
