import json

rows = json.load(open("labelled.json"))


def clean(s):
    return " ".join(s.replace("\t", " ").split())


def iso(d):
    d = str(d)
    if d.isdigit():
        from datetime import UTC, datetime

        return datetime.fromtimestamp(int(d), UTC).strftime("%Y-%m-%dT%H:%M")
    return d[:16]


out = ["url\ttitle_sha1\tsource\tdate\ttitle\tlead\tlabel\tclear\tsplit\torigin"]
for r in sorted(rows, key=lambda r: r["title_sha1"]):
    lead = clean(r["summary"])[:600]
    origin = f"{r['repo']}@{r['commit'][:12]}:{r['path']}"
    out.append(
        "\t".join(
            [
                clean(r["url"]),
                r["title_sha1"],
                clean(r["source"]),
                iso(r["date"]),
                clean(r["title"]),
                lead,
                r["label"],
                str(r["clear"]),
                r["split"],
                origin,
            ]
        )
    )
open("/work/wt/senti/bench/data/sentiment_modern.tsv", "w").write("\n".join(out) + "\n")
print(len(out) - 1)
