"""Reading aid: print rows (working id, story, title) whose title matches a regex I chose."""

import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
story = {r["wid"]: r["story"] for r in csv.DictReader(open(os.path.join(HERE, "items.csv")))}
from sel import select  # noqa: E402

pat = re.compile(sys.argv[1], re.I)
for v in select():
    if v["wid"] in story and pat.search(v["title"]):
        print(v["wid"], story[v["wid"]], v["source"][:10], "|", v["title"][:130])
