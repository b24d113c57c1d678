"""Write ../more.csv and items_more.csv from the dataset and the hand decisions in decisions/*.txt.

No grouping logic here: a story is exactly one hand-typed `G:` line; other rows are singletons.
Story ids are numbered block by block in landing order (G, I, H, J), and inside a block in the order
of each story's first article, so ids of a landed block never change when a later block is added.
"""

import csv
import os
import sys

from sel import BLOCKS, rows

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["G", "I", "H", "J"]
SHORT = 45


def parse(block: str) -> tuple[list[tuple[list[str], str]], dict[str, str]]:
    """Return (groups, notes): groups as (ids, note text), notes as id -> text."""
    groups, notes = [], {}
    with open(os.path.join(HERE, "decisions", f"{block}.txt"), encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("G:"):
                ids, _, rest = line[2:].partition("|")
                label, _, extra = rest.partition("||")
                text = f"[{label.strip()}]" + (f" {extra.strip()}" if extra.strip() else "")
                groups.append((ids.split(), text))
            elif line.startswith("N:"):
                wid, _, text = line[2:].partition("|")
                notes[wid.strip()] = text.strip()
    return groups, notes


def build(blocks: list[str]) -> list[dict]:
    """Assign stories to every row of the given blocks; fail loudly on unknown or repeated ids."""
    out, n = [], 0
    for b in [x for x in ORDER if x in blocks]:
        kept, _ = rows(b)
        by_id = {r["wid"]: r for r in kept}
        groups, notes = parse(b)
        member: dict[str, int] = {}
        for gi, (ids, _) in enumerate(groups):
            if len(ids) < 2:
                sys.exit(f"group of one: {ids}")
            for wid in ids:
                if wid not in by_id or wid in member:
                    sys.exit(f"unknown or repeated id {wid}")
                member[wid] = gi
        for wid in notes:
            if wid not in by_id:
                sys.exit(f"note for unknown id {wid}")
        sid: dict[object, str] = {}
        for r in kept:
            key = ("g", member[r["wid"]]) if r["wid"] in member else ("s", r["wid"])
            if key not in sid:
                n += 1
                sid[key] = f"m{n:04d}"
            note = groups[member[r["wid"]]][1] if r["wid"] in member else ""
            if r["wid"] in notes:
                note = f"{note}; {notes[r['wid']]}" if note else notes[r["wid"]]
            out.append({**r, "story": sid[key], "split": BLOCKS[b][2], "note": note})
    out.sort(key=lambda r: (r["dt"], r["source"], r["title"]))
    return out


def main() -> None:
    """Write more.csv (columns of stories.csv) and items_more.csv (working id -> key, story)."""
    blocks = sys.argv[1:] or ORDER
    out = build(blocks)
    cols = ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note"]
    with open(os.path.join(HERE, "..", "more.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in out:
            w.writerow(
                [
                    r["url"],
                    r["sha"],
                    r["iso"],
                    r["source"],
                    r["title"],
                    r["text"],
                    r["story"],
                    r["split"],
                    r["note"],
                ]
            )
    with open(os.path.join(HERE, "items_more.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["wid", "url", "title_sha1", "story"])
        for r in out:
            w.writerow([r["wid"], r["url"], r["sha"], r["story"]])
    print(f"wrote {len(out)} rows for blocks {''.join(blocks)}")


if __name__ == "__main__":
    main()
