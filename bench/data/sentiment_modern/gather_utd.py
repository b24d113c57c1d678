import collections
import json
import subprocess

g = ["git", "--git-dir=/work/.mirror/Up-to-date-news+cryptonews/repo"]
items = {}
first = {}
for c in subprocess.run([*g, "rev-list", "--all"], capture_output=True, text=True).stdout.split():
    files = subprocess.run(
        [*g, "ls-tree", "--name-only", c, "data/articles/"], capture_output=True, text=True
    ).stdout.split()
    for f in files:
        if not f.endswith(".json"):
            continue
        try:
            d = json.loads(
                subprocess.run([*g, "show", f"{c}:{f}"], capture_output=True, text=True).stdout
            )
        except Exception:
            continue
        for a in d:
            items[a["link"]] = a
            first[a["link"]] = (c, f)
print(len(items))
src = collections.Counter(a["source"] for a in items.values())
print(src.most_common(40))
months = collections.Counter(a["pubDate"][:7] for a in items.values())
print(sorted(months.items()))
json.dump(
    {k: dict(v, _commit=first[k][0], _path=first[k][1]) for k, v in items.items()},
    open("utd.json", "w"),
)
