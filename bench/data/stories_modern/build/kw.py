"""Print items whose title or summary matches a regex I chose to check (reading aid only).

Usage: python3 kw.py REGEX [DAY...]
"""

import re
import sys

import sel

pat = re.compile(sys.argv[1], re.I)
days = sys.argv[2:]
for it in sel.items():
    if days and it["pubDate"][:10] not in days:
        continue
    if pat.search(it["ctitle"]) or pat.search(it["text"][:300]):
        print(f"{it['wid']} {it['pubDate'][5:16]} [{it['source']}] {it['ctitle']}")
