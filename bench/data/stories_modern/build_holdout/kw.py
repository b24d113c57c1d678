"""Reading aid: print titles (both days) whose title or summary matches a keyword."""

import re
import sys

rows = [line.rstrip("\n").split("\t") for line in open("items.tsv")]
pat = re.compile("|".join(sys.argv[1:]), re.I)
for wid, date, src, title, text, _url in rows:
    if pat.search(title) or pat.search(text):
        print(f"{wid} {date[5:16]} [{src}] {title}")
