"""Print items.tsv rows FROM..TO for reading (summary shortened, feed boilerplate removed)."""

import re
import sys

rows = [line.rstrip("\n").split("\t") for line in open("items.tsv")]
ids = [r[0] for r in rows]
a, b = ids.index(sys.argv[1]), ids.index(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
for wid, date, src, title, text, _url in rows[a : b + 1]:
    text = re.sub(r"The post .*? appeared first on [^.]*\.?", "", text).strip()
    if text.startswith(title):
        text = text[len(title) :].strip()
    print(f"{wid} {date[11:16]} [{src}] {title}")
    if text:
        print("    " + text[:n])
