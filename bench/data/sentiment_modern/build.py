import collections
import glob
import json

sel = json.load(open("selection.json"))
codes = {}

for f in sorted(glob.glob("batches/b*.txt")):
    for line in open(f):
        if not line.strip():
            continue
        start, rest = line.split(":")
        start = int(start)
        for j, c in enumerate(rest.split()):
            assert start + j not in codes, (f, start + j)
            codes[start + j] = c
missing = [i for i in range(len(sel)) if i not in codes]
print("missing", missing, "extra", [i for i in codes if i >= len(sel)])
lab = {"p": "positive", "n": "negative", "u": "neutral"}
rows = []
for i, a in enumerate(sel):
    c = codes[i]
    label = lab[c[0]]
    clear = c[1:] == "1"
    rows.append(dict(a, label=label, clear=int(clear)))
cnt = collections.Counter((r["split"], r["label"]) for r in rows)
print(cnt)
print(collections.Counter((r["split"], r["label"]) for r in rows if r["clear"]))
json.dump(rows, open("labelled.json", "w"))
