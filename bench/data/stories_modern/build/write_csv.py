"""Write ../tune.csv from the selected items and the hand decisions in decisions/*.txt.

Only days that have a decision file are written (whole days only). Nothing here decides a
group: every G:/N: line was typed by hand after reading the items.
Usage: python3 write_csv.py
"""

import csv
import glob
import os
import re

import sel

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tune.csv")
COLS = ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note"]


def read_decisions() -> tuple[set[str], list[tuple[list[str], str]], dict[str, list[str]]]:
    """Days covered, groups (ids, label) and per-row notes."""
    days, groups, notes, joins = set(), [], {}, []
    for path in sorted(glob.glob(os.path.join(HERE, "decisions", "day*_*.txt"))):
        days.add(re.search(r"(\d{4}-\d\d-\d\d)", path).group(1))
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("G:"):
                ids, label = line[2:].split("|", 1)
                groups.append((ids.split(), label.strip()))
            elif line.startswith("J:"):
                ids, _, label = line[2:].partition("|")
                joins.append((ids.split(), label.strip()))
            elif line.startswith("N:"):
                wid, text = line[2:].strip().split(" ", 1)
                notes.setdefault(wid, []).append(text.strip())
    for ids, label in joins:
        anchor = [g for g in groups if ids[0] in g[0]]
        if anchor:
            assert not label, f"label given for existing group of {ids[0]}"
            anchor[0][0].extend(ids[1:])
        else:
            assert label, f"{ids[0]} is a singleton: J: needs a label"
            groups.append((ids, label))
    return days, groups, notes


def main() -> None:
    days, groups, notes = read_decisions()
    items = [it for it in sel.items() if it["pubDate"][:10] in days]
    by_wid = {it["wid"]: it for it in items}
    sha = {w: sel.sha(it["title"]) for w, it in by_wid.items()}
    gid, label = {}, {}
    for n, (ids, lab) in enumerate(groups):
        for w in ids:
            assert w in by_wid, f"unknown or out-of-day id {w}"
            assert w not in gid, f"{w} in two groups"
            gid[w], label[w] = n, lab
    for w in notes:
        assert w in by_wid, f"note for unknown id {w}"
    story, nxt, rows = {}, 0, []
    for it in items:
        w = it["wid"]
        key = ("g", gid[w]) if w in gid else ("s", w)
        if key not in story:
            nxt += 1
            story[key] = f"t{nxt:04d}"
        parts = [f"[{label[w]}]"] if w in label else []
        parts += notes.get(w, [])
        note = " ".join(parts)
        note = re.sub(r"\[([ab]\d{3})\]", lambda m: f"[{sha[m.group(1)]}]", note)
        rows.append(
            {
                "url": it["link"],
                "title_sha1": sha[w],
                "date": it["pubDate"][:19] + "Z",
                "source": it["source"],
                "title": it["ctitle"],
                "text": it["text"],
                "story": story[key],
                "split": "tune",
                "note": note,
            }
        )
    keys = {(r["url"], r["title_sha1"]) for r in rows}
    assert len(keys) == len(rows)
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLS)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(HERE, "items.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["wid", "url", "title_sha1", "story"])
        for it, r in zip(items, rows, strict=True):
            w.writerow([it["wid"], r["url"], r["title_sha1"], r["story"]])
    print(f"wrote {len(rows)} rows, {nxt} stories, days {sorted(days)}")


if __name__ == "__main__":
    main()
