"""Read every src/content/blog/{2025/12,2026/02}/*.en.md ever added in the mirror of
savvoff/pumpushka.trade (data only: front matter fields and the body start) into items.json."""

import json
import subprocess
import sys

import yaml

REPO = "/work/.mirror/savvoff+pumpushka.trade/repo"


def git(*args):
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, check=True).stdout


log = git(
    "log",
    "--all",
    "--diff-filter=A",
    "--name-only",
    "--format=C %H",
    "--",
    "src/content/blog/2025/12/*.en.md",
    "src/content/blog/2026/02/*.en.md",
).decode()
first = {}
commit = None
for line in log.splitlines():
    if line.startswith("C "):
        commit = line[2:]
    elif line.endswith(".en.md"):
        first[line] = commit  # log is newest first: the last seen is the oldest addition
items = []
for path, c in sorted(first.items()):
    text = git("show", f"{c}:{path}").decode("utf-8")
    _, fm, body = text.split("---\n", 2)
    meta = yaml.safe_load(fm)
    items.append(
        {
            "path": path,
            "commit": c,
            "title": meta.get("title", ""),
            "description": meta.get("description", ""),
            "publishedAt": str(meta.get("publishedAt", "")),
            "externalId": str(meta.get("externalId", "")),
            "source": (meta.get("source") or {}).get("name", ""),
            "source_key": (meta.get("source") or {}).get("key", ""),
            "ai": meta.get("ai"),
            "body": body.strip()[:3000],
        }
    )
json.dump(items, open(sys.argv[1] if len(sys.argv) > 1 else "items.json", "w"), ensure_ascii=False)
print(len(items))
