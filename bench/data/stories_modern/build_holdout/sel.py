"""Select the holdout days (2026-08-21, 2026-08-22) from utd.json and print them for reading.

Why: the selection is fixed by code so that no label influences which items are in the set.
Usage: python3 sel.py [DAY] ; writes items.tsv (working id, date, source, title, text, url).
"""

import html
import json
import re
import sys

DAYS = {"2026-08-21": "A", "2026-08-22": "B"}
DROP = {
    "Finextra",
    "PYMNTS",
    "Financial IT",
    "Banking Dive",
    "Payments Dive",
    "Tearsheet",
    "Finovate",
    "The Fintech Times",
    "Crowdfund Insider",
    "Admin",
}


def clean_title(t: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(t or "")).strip()


def clean_text(s: str) -> str:
    s = re.sub(r"<[^>]*>", " ", s or "")
    return re.sub(r"\s+", " ", html.unescape(s)).strip()


def select() -> list[dict]:
    d = json.load(open("/work/brief/utd.json"))
    items = [v for v in d.values() if v["pubDate"][:10] in DAYS and v["source"] not in DROP]
    items.sort(key=lambda v: v["pubDate"])
    seen, out = set(), []
    for v in items:
        k = clean_title(v["title"]).lower()
        if k in seen:
            continue
        seen.add(k)
        out.append(v)
    n = {p: 0 for p in DAYS.values()}
    for v in out:
        p = DAYS[v["pubDate"][:10]]
        n[p] += 1
        v["wid"] = f"{p}{n[p]:03d}"
    return out


if __name__ == "__main__":
    rows = select()
    with open("items.tsv", "w") as f:
        for v in rows:
            f.write(
                "\t".join(
                    [
                        v["wid"],
                        v["pubDate"][:19] + "Z",
                        v["source"],
                        clean_title(v["title"]),
                        clean_text(v.get("summary")),
                        v["link"],
                    ]
                )
                + "\n"
            )
    day = sys.argv[1] if len(sys.argv) > 1 else None
    for v in rows:
        if day and v["pubDate"][:10] != day:
            continue
        print(f"{v['wid']} {v['pubDate'][11:16]} [{v['source']}] {clean_title(v['title'])}")
        s = clean_text(v.get("summary"))
        if s:
            print("      " + s[:300])
