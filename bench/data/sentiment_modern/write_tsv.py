"""Write sentiment_modern.tsv from labelled rows (sorted by title_sha1)."""

import json
from datetime import UTC, datetime
from pathlib import Path

TSV = Path(__file__).resolve().parents[1] / "sentiment_modern.tsv"
HEADER = "url\ttitle_sha1\tsource\tdate\ttitle\tlead\tlabel\tclear\tsplit\torigin"


def clean(s: str) -> str:
    return " ".join(s.replace("\t", " ").split())


def iso(d: object) -> str:
    d = str(d)
    if d.isdigit():
        return datetime.fromtimestamp(int(d), UTC).strftime("%Y-%m-%dT%H:%M")
    return d[:16]


def tsv_line(r: dict) -> str:
    """One row of the file; the lead is the summary as read (first 600 characters)."""
    lead = clean(r["summary"])[:600]
    origin = f"{r['repo']}@{r['commit'][:12]}:{r['path']}"
    fields = [clean(r["url"]), r["title_sha1"], clean(r["source"]), iso(r["date"])]
    fields += [clean(r["title"]), lead, r["label"], str(r["clear"]), r["split"], origin]
    return "\t".join(fields)


def write(lines: list[tuple[str, str]]) -> None:
    """(title_sha1, line) pairs, written in title_sha1 order under the header."""
    body = [line for _, line in sorted(lines)]
    TSV.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    print(len(body))


if __name__ == "__main__":
    write([(r["title_sha1"], tsv_line(r)) for r in json.load(open("labelled.json"))])
