"""Print full title + summary for the given working ids (reading aid)."""

import sys

import sel

want = set(sys.argv[1:])
for it in sel.items():
    if it["wid"] in want:
        print(
            f"{it['wid']} {it['pubDate'][:16]} [{it['source']}] {it['ctitle']}\n"
            f"   {it['text'][:900]}\n   {it['link']}\n"
        )
