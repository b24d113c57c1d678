"""Select the tune days from the Up-to-date-news/cryptonews union and print them for reading.

Usage: python3 sel.py [DAY] [--full]   (DAY = 2026-08-19 or 2026-08-20; prints working ids)
Working ids: a001.. for Aug 19, b001.. for Aug 20, in pubDate order.
"""

import hashlib
import html
import json
import re
import sys

SRC = "/work/brief/utd.json"
DAYS = {"2026-08-19": "a", "2026-08-20": "b"}
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


def clean(s: str) -> str:
    """Entities decoded, whitespace collapsed and stripped."""
    return re.sub(r"\s+", " ", html.unescape(s or "")).strip()


def text_of(s: str) -> str:
    """Summary with HTML tags removed, entities decoded, whitespace collapsed."""
    return clean(re.sub(r"<[^>]*>", " ", s or ""))


def sha(title: str) -> str:
    return hashlib.sha1(clean(title).encode("utf-8")).hexdigest()[:12]


def items() -> list[dict]:
    """All selected items in pubDate order with working ids."""
    d = json.load(open(SRC))
    rows = [v for v in d.values() if v["pubDate"][:10] in DAYS and v["source"] not in DROP]
    rows.sort(key=lambda v: (v["pubDate"], v["link"]))
    seen, out, n = set(), [], {p: 0 for p in DAYS.values()}
    for v in rows:
        key = clean(v["title"]).lower()
        if key in seen:
            continue
        seen.add(key)
        p = DAYS[v["pubDate"][:10]]
        n[p] += 1
        out.append(
            {
                **v,
                "wid": f"{p}{n[p]:03d}",
                "ctitle": clean(v["title"]),
                "text": text_of(v.get("summary")),
            }
        )
    return out


if __name__ == "__main__":
    day = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None
    full = "--full" in sys.argv
    for it in items():
        if day and it["pubDate"][:10] != day:
            continue
        t = it["text"]
        i = t.rfind("The post ")
        if i > 0 and "appeared first on" in t[i:]:
            t = t[:i].strip()
        if not full:
            t = t[:260]
        print(f"{it['wid']} {it['pubDate'][11:16]} [{it['source']}] {it['ctitle']}\n      {t}")
