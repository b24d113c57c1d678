"""Join the hand decisions (batches/*.txt, ``index: code ...``) to the selected rows."""

import collections
import glob
import json

LABELS = {"p": "positive", "n": "negative", "u": "neutral"}


def read_codes(pattern: str) -> dict[int, str]:
    """index -> code (``p|n|u`` + clear digit) from every batch file matching ``pattern``."""
    codes: dict[int, str] = {}
    for f in sorted(glob.glob(pattern)):
        for line in open(f):
            if not line.strip():
                continue
            start, rest = line.split(":")
            for j, c in enumerate(rest.split()):
                assert int(start) + j not in codes, (f, int(start) + j)
                assert c in ("u", "p0", "p1", "n0", "n1"), (f, int(start) + j, c)
                codes[int(start) + j] = c
    return codes


def label_rows(sel: list[dict], codes: dict[int, str]) -> list[dict]:
    """The selected rows that have a decision, with label and clear (selection order)."""
    rows = []
    for i, a in enumerate(sel):
        if i in codes:
            c = codes[i]
            rows.append(dict(a, label=LABELS[c[0]], clear=int(c[1:] == "1")))
    print("missing", [i for i in range(len(sel)) if i not in codes][:20])
    print("extra", [i for i in codes if i >= len(sel)])
    print(collections.Counter((r["split"], r["label"]) for r in rows))
    print(collections.Counter((r["split"], r["label"]) for r in rows if r["clear"]))
    return rows


if __name__ == "__main__":
    rows = label_rows(json.load(open("selection.json")), read_codes("batches/b*.txt"))
    json.dump(rows, open("labelled.json", "w"))
