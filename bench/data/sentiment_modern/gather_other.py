import collections
import json
import subprocess

out = []
g = ["git", "--git-dir=/work/.mirror/mikechavez+crypto-news-aggregator/repo"]
c = "02e904cfb909a80952d66864333d1ec95a02e94f"
d = json.loads(
    subprocess.run(
        [*g, "show", f"{c}:coinbase_headlines_review.json"], capture_output=True, text=True
    ).stdout
)
for a in d["articles"]:
    out.append(
        dict(
            title=a["title"],
            summary="",
            link=a["url"],
            source=a["source"],
            pubDate=a["published_at"],
            _repo="mikechavez/crypto-news-aggregator",
            _commit=c,
            _path="coinbase_headlines_review.json",
        )
    )
g = ["git", "--git-dir=/work/.mirror/black-belt-badger+vertx-demo/repo"]
for c in subprocess.run(
    [
        *g,
        "rev-list",
        "--all",
        "--",
        "bash/apis/finnhub/output/Market-News-crypto.json",
        "dhall/input/news_crypto.json",
    ],
    capture_output=True,
    text=True,
).stdout.split():
    for p in ["bash/apis/finnhub/output/Market-News-crypto.json", "dhall/input/news_crypto.json"]:
        r = subprocess.run([*g, "show", f"{c}:{p}"], capture_output=True, text=True)
        if r.returncode:
            continue
        try:
            d = json.loads(r.stdout)
        except Exception as e:
            print(p, e)
            continue
        for a in d:
            out.append(
                dict(
                    title=a["headline"],
                    summary=a.get("summary", ""),
                    link=a["url"],
                    source=a["source"],
                    pubDate=str(a["datetime"]),
                    _repo="black-belt-badger/vertx-demo",
                    _commit=c,
                    _path=p,
                )
            )
seen = {}
for a in out:
    seen.setdefault(a["link"], a)
print(len(out), len(seen))

print(collections.Counter(a["_repo"] for a in seen.values()))
json.dump(list(seen.values()), open("other.json", "w"))
