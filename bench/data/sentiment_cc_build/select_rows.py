"""Choose the rows to label, by code, before any label is given.

tune = December 2025, holdout = February-April 2026 (January 2026 left out on purpose:
the external check of issue 14 very likely used that month). One row per normalised
title (lower case, runs of non-alphanumerics collapsed); a title also seen in January 2026
or in the other split is dropped. Rows are ordered by sha1("cc-pick:" + externalId) and
labelled in that order, so any prefix is a random sample (fixed seed = that prefix string).
Writes ``tune.tsv`` / ``holdout.tsv``: index, id, date, source, title, description.
"""

import hashlib
import html
import json
import re
import sys


def norm(t):
    return re.sub(r"[^0-9a-z]+", " ", html.unescape(t).lower()).strip()


def clean(t):
    return re.sub(r"\s+", " ", html.unescape(t or "")).strip()


def main(items, outdir):
    rows = [json.loads(line) for line in open(items, encoding="utf-8")]
    month = lambda r: r["path"].split("/")[3] + "-" + r["path"].split("/")[4]  # noqa: E731
    jan = {norm(r["title"]) for r in rows if month(r) == "2026-01"}
    splits = {"tune": {"2025-12"}, "holdout": {"2026-02", "2026-03", "2026-04"}}
    keys = {}
    for name, months in splits.items():
        keys[name] = {norm(r["title"]) for r in rows if month(r) in months}
    both = keys["tune"] & keys["holdout"]
    for name, months in splits.items():
        seen, picked = set(), []
        for r in sorted(rows, key=lambda r: r["publishedAt"]):
            k = norm(r["title"])
            if month(r) not in months or k in jan or k in both or k in seen or not k:
                continue
            seen.add(k)
            picked.append(r)
        picked.sort(key=lambda r: hashlib.sha1(f"cc-pick:{r['externalId']}".encode()).hexdigest())
        with open(f"{outdir}/{name}.tsv", "w", encoding="utf-8") as fh:
            for i, r in enumerate(picked):
                f = [
                    str(i),
                    str(r["externalId"]),
                    r["publishedAt"][:16],
                    clean(r["source"]),
                    clean(r["title"]),
                    clean(r["description"]),
                    r["commit"],
                    r["path"],
                ]
                fh.write("\t".join(x.replace("\t", " ") for x in f) + "\n")
        print(name, len(picked))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
