"""Select whole UTC days from items_all.json (gather.py) and print them for reading.

Why: the rows must be chosen by code before any label: the day, the outlets dropped, one item
per title key. Working ids: e001.. = 2026-02-05, f001.. = 2026-02-06, in (pubDate, link) order.
Usage: python3 sel.py 2026-02-06 [width]
"""

import hashlib
import html
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DAYS = {"2026-02-05": "e", "2026-02-06": "f"}
# General-fintech / general-markets outlets, as the other sets drop them (+ Investing.com's
# four hours of general market news and Finance Magnates, a forex/fintech trade outlet).
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
    "Investing.com",
    "Finance Magnates",
}


def clean_title(t: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(t or "")).strip()


def clean_text(t: str) -> str:
    t = re.sub(r"<[^>]+>", " ", t or "")
    return re.sub(r"\s+", " ", html.unescape(t)).strip()


def title_sha1(title: str) -> str:
    return hashlib.sha1(clean_title(title).encode("utf-8")).hexdigest()[:12]


def select() -> list[dict]:
    items = json.load(open(os.path.join(HERE, "items_all.json"), encoding="utf-8")).values()
    rows = sorted(
        (v for v in items if v["pubDate"][:10] in DAYS and v["source"] not in DROP),
        key=lambda v: (v["pubDate"], v["link"]),
    )
    out, seen, n = [], set(), {}
    for v in rows:
        key = clean_title(v["title"]).lower()
        if key in seen:
            continue
        seen.add(key)
        p = DAYS[v["pubDate"][:10]]
        n[p] = n.get(p, 0) + 1
        out.append(
            {
                "wid": f"{p}{n[p]:03d}",
                "url": v["link"],
                "title": clean_title(v["title"]),
                "text": clean_text(v["content"]),
                "source": v["source"],
                "date": v["pubDate"][:19] + "Z",
            }
        )
    return out


if __name__ == "__main__":
    day = sys.argv[1]
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 160
    for v in select():
        if v["date"].startswith(day):
            head = f"{v['wid']} {v['date'][11:16]} {v['source'][:10]:10}"
            print(f"{head} | {v['title']} || {v['text'][:width]}")
