"""Gather every English CryptoCompare item of savvoff/pumpushka.trade (data only).

Lists every ``src/content/blog/YYYY/MM/*.en.md`` path ever added in the mirror's
history and reads each at the commit that added it. The front matter's machine-made
``sentiment`` / ``score`` fields are dropped here, before anything is written, so they are
never seen while labelling. Writes ``items.jsonl`` (one object per path).
"""

import json
import re
import subprocess
import sys

import yaml

REPO = "/work/.mirror/savvoff+pumpushka.trade/repo"
PAT = re.compile(r"^src/content/blog/(\d{4})/(\d{2})/[^/]+\.en\.md$")
KEEP = ("title", "description", "publishedAt", "externalId", "source", "category", "tags")


def git(*args):
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, check=True).stdout


def main(out):
    log = git("log", "--all", "--diff-filter=A", "--name-only", "--format=C %H").decode()
    added = {}
    commit = None
    # log is newest first: walk again, overwriting, so the oldest add wins
    for line in log.splitlines():
        if line.startswith("C "):
            commit = line[2:]
        elif PAT.match(line):
            added[line] = commit
    with open(out, "w", encoding="utf-8") as fh:
        for path in sorted(added):
            text = git("show", f"{added[path]}:{path}").decode("utf-8", "replace")
            parts = text.split("---", 2)
            meta = yaml.safe_load(parts[1]) or {}
            row = {k: meta.get(k) for k in KEEP}
            src = row["source"]
            row["source"] = src.get("name") if isinstance(src, dict) else src
            row["publishedAt"] = str(row["publishedAt"])
            row["path"] = path
            row["commit"] = added[path]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
