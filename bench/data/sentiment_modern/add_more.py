"""Add the session-7 rows (selection_more.json + batches/m*.txt) to sentiment_modern.tsv.

Run from this folder after select_more.py. Rows of the TSV whose url is in the second
selection are replaced by their current decision; every other row is kept as it is, so
the first 1,000 rows do not need selection.json to be rebuilt.
"""

import json

from build import label_rows, read_codes
from write_tsv import TSV, tsv_line, write

sel = json.load(open("selection_more.json"))
new = label_rows(sel, read_codes("batches/m*.txt"))
urls = {r["url"] for r in sel}
kept = []
for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
    fields = line.split("\t")
    if fields[0] not in urls:
        kept.append((fields[1], line))
write(kept + [(r["title_sha1"], tsv_line(r)) for r in new])
