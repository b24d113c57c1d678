"""Join the reading decisions to the selected rows and write bench/data/sentiment_cc.tsv.

Inputs: ``tune.tsv`` / ``holdout.tsv`` written by ``select_rows.py`` (index, externalId,
date, source, title, description, commit, path) and ``decisions/{holdout,tune}_a.txt``
and ``_b.txt`` (second pass, further down the same order; ``index code``; code = p|n|u
+ clear digit), all made before any model saw the rows.
Only rows with a decision are written (a prefix of each split's fixed random order). Rows
whose normalised title is also in another labelled set of bench/data (sentiment_modern.tsv
holds 21 of them; its `tune` rows are training rows) are dropped, by title alone, so this
set stays disjoint from everything the trainer can read.
"""

import csv
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "sentiment_cc.tsv"
COLUMNS = ["url", "title_sha1", "source", "date", "title", "lead", "label", "clear", "split",
           "origin"]  # fmt: skip
LABEL = {"p": "positive", "n": "negative", "u": "neutral"}


OTHER_SETS = ("sentiment_modern.tsv", "sentiment_headlines.tsv", "sentiment_train.tsv",
              "sentiment_extra.tsv")  # fmt: skip


def norm(title):
    return re.sub(r"[^0-9a-z]+", " ", title.lower()).strip()


def other_titles():
    out = set()
    for name in OTHER_SETS:
        with (HERE.parent / name).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            out |= {norm(row["title"]) for row in reader}
    return out


def decisions(path):
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        index, code = line.split()
        assert code[0] in LABEL and code[1] in "01" and not (code[0] == "u" and code[1] == "1")
        assert int(index) not in out, index
        out[int(index)] = code
    return out


def main(selected: Path):
    rows, dropped, taken = [], 0, other_titles()
    for split in ("tune", "holdout"):
        codes = {}
        for batch in sorted((HERE / "decisions").glob(f"{split}_[a-z].txt")):
            more = decisions(batch)
            assert not codes.keys() & more.keys(), batch
            codes |= more
        for line in (selected / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            index, ext, date, source, title, lead, commit, path = line.split("\t")
            if int(index) not in codes:
                continue
            code = codes.pop(int(index))
            if norm(title) in taken:
                dropped += 1
                continue
            rows.append({
                "url": f"cryptocompare:{ext}",
                "title_sha1": hashlib.sha1(" ".join(title.split()).encode()).hexdigest()[:12],
                "source": source,
                "date": date,
                "title": title,
                "lead": lead[:600],
                "label": LABEL[code[0]],
                "clear": code[1],
                "split": split,
                "origin": f"savvoff/pumpushka.trade@{commit[:12]}:{path}",
            })  # fmt: skip
        assert not codes, f"decisions without a row: {sorted(codes)[:5]}"
    rows.sort(key=lambda r: (r["split"] != "tune", r["date"], r["url"]))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            assert not any("\t" in r[c] or "\n" in r[c] for c in COLUMNS)
            fh.write("\t".join(r[c] for c in COLUMNS) + "\n")
    print(f"{len(rows)} rows -> {OUT}; {dropped} dropped as already in another set")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
