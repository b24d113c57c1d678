"""Add the cnth rows (each day's selection file + its batches, select_cnth.DAYS) to the TSV.

Run from this folder after `select_cnth.py DAY` for each day. Rows of the TSV whose url is in a
selection are replaced by their current decision; every other row is kept as it is.
"""

import json

from build import label_rows, read_codes
from select_cnth import DAYS
from write_tsv import TSV, tsv_line, write

new, urls = [], set()
for sel_file, batches in DAYS.values():
    sel = json.load(open(sel_file))
    new += label_rows(sel, read_codes(batches))
    urls |= {r["url"] for r in sel}
kept = []
for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
    fields = line.split("\t")
    if fields[0] not in urls:
        kept.append((fields[1], line))
write(kept + [(r["title_sha1"], tsv_line(r)) for r in new])
