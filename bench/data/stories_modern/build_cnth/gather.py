"""Collect every article page of the Gamezxz/cryptonews mirror (all commits) into items.json.

Data only: each prerendered `.next/server/app/news/<slug>.html` holds one RSS item (title, link,
pubDate, feed description, source) in its Next.js flight payload. Output: link -> item, with
the first commit (oldest) the page was seen in.
"""

import json
import re
import subprocess
import sys

GIT = ["git", "--git-dir", "/work/.mirror/Gamezxz+cryptonews/repo"]
PUSH = re.compile(r'self\.__next_f\.push\(\[1,("(?:[^"\\]|\\.)*")\]\)')


def git(*args: str) -> str:
    return subprocess.run(GIT + list(args), capture_output=True, text=True, check=True).stdout


def main_item(html: str) -> dict | None:
    """Decode the flight payload and return the article object (the one with a `link`)."""
    payload = "".join(json.loads(m.group(1)) for m in PUSH.finditer(html))
    dec = json.JSONDecoder()
    for m in re.finditer(r'\{"_id":"[0-9a-f]+"', payload):
        try:
            obj, _ = dec.raw_decode(payload, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and obj.get("link") and obj.get("pubDate"):
            return obj
    return None


def main() -> None:
    commits = git("rev-list", "--all", "--reverse", "--date-order").split()
    seen_blobs: set[str] = set()
    items: dict[str, dict] = {}
    for c in commits:
        for line in git("ls-tree", c, ".next/server/app/news/").splitlines():
            meta, path = line.split("\t", 1)
            blob = meta.split()[2]
            if not path.endswith(".html") or blob in seen_blobs:
                continue
            seen_blobs.add(blob)
            obj = main_item(git("cat-file", "-p", blob))
            if not obj or obj["link"] in items:
                continue
            items[obj["link"]] = {
                k: obj.get(k, "") for k in ("title", "link", "pubDate", "content", "source")
            } | {"_commit": c, "_path": path}
    json.dump(
        items,
        open(sys.argv[1] if len(sys.argv) > 1 else "items.json", "w"),
        ensure_ascii=False,
        indent=0,
    )
    print(len(commits), "commits", len(seen_blobs), "pages", len(items), "items")


if __name__ == "__main__":
    main()
