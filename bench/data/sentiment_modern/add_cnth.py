"""Add the cnth rows (selection_cnth.json + batches/c*.txt) to sentiment_modern.tsv.

Run from this folder after select_cnth.py. Rows of the TSV whose url is in this selection are
replaced by their current decision; every other row is kept as it is.
"""

import json

from build import label_rows, read_codes
from write_tsv import TSV, tsv_line, write

sel = json.load(open("selection_cnth.json"))
new = label_rows(sel, read_codes("batches/c*.txt"))
urls = {r["url"] for r in sel}
kept = []
for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
    fields = line.split("\t")
    if fields[0] not in urls:
        kept.append((fields[1], line))
write(kept + [(r["title_sha1"], tsv_line(r)) for r in new])
