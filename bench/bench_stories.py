"""Story grouping on real labelled news, through the real pipeline, and on labelled pairs.

Main figures: bench/data/stories_real/stories.csv (1,543 real cryptonews.csv articles of
30 whole days grouped into stories by a reader; see its README). Each split (`tune`,
`holdout`) is written as front matter files without tags or sentiment and ingested into a
fresh SQLite archive by the `cryptowire ingest` loop itself (``ingest_files``: parse
workers, batch writer), once per ``[stories] method``; the story ids the outcomes carry
give pair precision/recall/F1 against the labels, and the largest story. Thresholds are
tuned on `tune` only (bench/tune_stories.py); `holdout` is the reported figure.
The same for stories_real/more.csv (blocks G-J), bench/data/stories_modern/{tune,holdout}.csv
(2026 articles of many outlets), stories_modern/cnth.csv (Feb 5/6 2026, both halves) and
bench/data/stories_cc/{tune,holdout}.csv (CryptoCompare-fed front matter: Dec 2025 / Feb 2026,
with a ``body`` column that is written as the file's body), same columns (decision 041), when
those files are there: results ``stories_{real,realmore,modern,cnth,cc}_{split}_{semantic,
lexical}_{precision,recall,f1,strict_f1,largest}``.

Secondary, the older pair set (bench/data/story_pairs*.{csv,json}):

Pairs reference rows of ../shared/datasets/cryptonews.csv by URL (text read at bench
time; skipped with a message when the dataset is absent) plus pairs we wrote. A pair is
predicted "same story" exactly as the archive decides: published within the story
window, at least MIN_SHARED_BANDS shared MinHash bands (the LSH candidate step), and a
pair score at or above the join threshold. Baseline: title word Jaccard >= 0.3 within
the same window, measured on the same pairs.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.story_sets import CC, FAMILY, MODERN, REAL, SETS, load_real, load_set, set_file
from bot.models import Article
from bot.stories import grouping as rules

__all__ = ["CC", "FAMILY", "MODERN", "REAL", "SETS", "load_real", "load_set", "set_file"]

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SHARED = Path(os.environ.get("CRYPTOWIRE_SHARED") or HERE.parents[1] / "shared")
DATASET = SHARED / "datasets" / "cryptonews.csv"
WINDOW = timedelta(hours=72)
SUBJECT_TAGS = {
    "bitcoin": "BTC",
    "ethereum": "ETH",
    "altcoin": "ALTCOIN",
    "nft": "NFT",
    "defi": "DEFI",
    "blockchain": "BLOCKCHAIN",
}


@dataclass(frozen=True)
class Pair:
    a: Article
    b: Article
    label: int
    kind: str
    origin: str


def dataset_articles(path: Path = DATASET) -> dict[str, Article]:
    """Rows of the shared dataset as articles, keyed by URL."""
    articles = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            published = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=UTC)
            tag = SUBJECT_TAGS.get(row["subject"].strip().lower())
            articles[row["url"]] = Article(
                title=row["title"],
                summary=row["text"],
                source_key=row["source"].lower(),
                source_name=row["source"],
                published_at=published,
                url=row["url"],
                tags=(tag,) if tag else (),
            )
    return articles


def _written(item: dict[str, object]) -> Article:
    return Article(
        title=str(item["title"]),
        summary=str(item["summary"]),
        source_key=str(item["source"]),
        source_name=str(item["source"]),
        published_at=datetime.fromisoformat(str(item["at"]).replace("Z", "+00:00")),
        tags=tuple(item.get("tags", ())),  # type: ignore[arg-type]
    )


def load_pairs(articles: dict[str, Article] | None) -> list[Pair]:
    pairs = []
    if articles is not None:
        with (DATA / "story_pairs.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                a, b = articles.get(row["a"]), articles.get(row["b"])
                if a is None or b is None:
                    raise ValueError(f"pair references a URL missing from the dataset: {row}")
                pairs.append(Pair(a, b, int(row["label"]), row["kind"], "dataset"))
    written = json.loads((DATA / "story_pairs_written.json").read_text(encoding="utf-8"))
    for item in written["pairs"]:
        pairs.append(
            Pair(_written(item["a"]), _written(item["b"]), item["label"], item["kind"], "written")
        )
    return pairs


def predict(a: Article, b: Article) -> bool:
    """The archive's decision for two articles, as a pair."""
    if abs(a.published_at - b.published_at) > WINDOW:
        return False
    fa, fb = rules.features(a), rules.features(b)
    shared = set(rules.article_bands(fa)) & set(rules.article_bands(fb))
    if len(shared) < rules.MIN_SHARED_BANDS:
        return False
    return rules.score_pair(fa, fb).same_story


_WORDS = re.compile(r"\w+")


def baseline(a: Article, b: Article) -> bool:
    if abs(a.published_at - b.published_at) > WINDOW:
        return False
    wa, wb = set(_WORDS.findall(a.title.lower())), set(_WORDS.findall(b.title.lower()))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.3


def scores(pairs: list[Pair], decide) -> dict[str, float]:  # type: ignore[no-untyped-def]
    tp = fp = fn = tn = 0
    for pair in pairs:
        same = decide(pair.a, pair.b)
        if same and pair.label:
            tp += 1
        elif same:
            fp += 1
        elif pair.label:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    hard = [p for p in pairs if p.kind == "hard-negative"]
    hard_fp = sum(1 for p in hard if decide(p.a, p.b))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "hard_negatives": len(hard),
        "hard_negative_false_merges": hard_fp,
    }


def mistakes(pairs: list[Pair]) -> list[str]:
    lines = []
    for pair in pairs:
        if predict(pair.a, pair.b) != bool(pair.label):
            s = rules.score_pair(rules.features(pair.a), rules.features(pair.b))
            lines.append(
                f"   {'missed' if pair.label else 'merged'} ({s.score:+.2f}): "
                f"{pair.a.title[:50]!r} / {pair.b.title[:50]!r}"
            )
    return lines


SPLITS = ("tune", "holdout")
METHODS = ("semantic", "lexical")
STRICT_OUT = ("market move", "doubtful")  # notes of the rows the strict F1 leaves out


def _pairs(groups: list[object]) -> int:
    counts: dict[object, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    return sum(n * (n - 1) // 2 for n in counts.values())


def pair_scores(labels: list[str], predicted: list[int]) -> dict[str, float]:
    """Pair precision/recall/F1: a pair is "same story" when both articles share an id."""
    truth, guess = _pairs(list(labels)), _pairs(list(predicted))
    both = _pairs(list(zip(labels, predicted, strict=True)))
    precision = both / guess if guess else 1.0
    recall = both / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sizes: dict[int, int] = {}
    for p in predicted:
        sizes[p] = sizes.get(p, 0) + 1
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": truth,
        "predicted_pairs": guess,
        "largest": max(sizes.values(), default=0),
    }


def write_front_matter(folder: Path, items: list[tuple[dict[str, str], Article]]) -> list[Path]:
    """One markdown file per row, as a feed would send it: no tags, no sentiment; the body is
    the row's ``body`` when the set has one (stories_cc), else its summary."""
    import yaml

    files = []
    for i, (row, article) in enumerate(items):
        meta = {
            "title": article.title,
            "description": row["text"],
            "publishedAt": row["date"],
            "url": row["url"] or None,
            "source": {"name": row["source"], "key": row["source"].lower()},
            "lang": "en",
        }
        head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        path = folder / f"{i:05d}.md"
        body = row.get("body") or row["text"]
        path.write_text(f"---\n{head}---\n{body}\n", encoding="utf-8")
        files.append(path)
    return files


async def ingest_split(files: list[Path], db: Path, method: str) -> list[int]:
    """Story id per file, from the outcomes of the CLI's own ingest loop."""
    from bot.alerts.pipeline import plain_pipeline
    from bot.cli.archive import ingest_files
    from bot.config import Settings
    from storage.database import Database
    from storage.plugin import SqlStorage

    settings = Settings.model_validate(
        {"storage": {"url": f"sqlite:///{db}"}, "stories": {"method": method}}
    )
    storage = SqlStorage(Database(settings.storage.url))
    await storage.upgrade()
    found: dict[str, int] = {}

    def note(path: Path, outcome) -> None:  # type: ignore[no-untyped-def]
        found[str(path)] = outcome.story.id if outcome.story else -1

    try:
        await ingest_files(plain_pipeline(settings, storage), [(f, None) for f in files], note)
    finally:
        await storage.close()
    return [found[str(f)] for f in files]


def measure(
    items: list[tuple[dict[str, str], Article]], method: str
) -> tuple[dict[str, float], float]:
    """Pair scores of one split ingested by the CLI's loop with one method (``strict_f1``:
    over the rows whose note flags neither a market move nor a doubt), and the articles
    per second of that ingest."""
    import asyncio
    import tempfile
    import time

    labels = [row["story"] for row, _ in items]
    with tempfile.TemporaryDirectory(prefix="cw-bench-stories-") as tmp:
        files = write_front_matter(Path(tmp), items)
        started = time.perf_counter()
        predicted = asyncio.run(ingest_split(files, Path(tmp) / "s.db", method))
        elapsed = time.perf_counter() - started
    scores = pair_scores(labels, predicted)
    keep = [i for i, (row, _) in enumerate(items) if not any(k in row["note"] for k in STRICT_OUT)]
    scores["strict_f1"] = pair_scores([labels[i] for i in keep], [predicted[i] for i in keep])["f1"]
    return scores, len(items) / elapsed


def _record(results: dict, key: str, s: dict[str, float], split: str, labels: list[str]) -> None:  # type: ignore[type-arg]
    for metric in ("precision", "recall", "f1", "strict_f1"):
        results[f"{key}_{metric}"] = {
            "value": round(s[metric], 4),
            "unit": "ratio",
            "baseline": None,
            "ratio": None,
            "target": ">= 0.95" if metric == "f1" and split == "holdout" else None,
        }
    results[f"{key}_largest"] = {
        "value": s["largest"],
        "unit": "articles",
        "baseline": max(labels.count(x) for x in set(labels)),
        "ratio": None,
        "target": f"< {_max_size()}",
    }


def run_real(results: dict, sets: tuple[str, ...] = SETS) -> None:  # type: ignore[type-arg]
    """Every split of every labelled set there is (results ``stories_{set}_{split}_...``);
    a set's file not there yet is skipped with a line saying so."""
    for name in sets:
        for split in SPLITS:
            try:
                items = load_set(name, split)
            except FileNotFoundError:
                where = set_file(name, split)
                print(f"   stories_{name} {split}: {where} not found: skipped")
                continue
            labels = [row["story"] for row, _ in items]
            truth = pair_scores(labels, labels)
            print(
                f"   stories_{name} {split}: {len(items)} articles, "
                f"{truth['true_pairs']} same-event pairs, largest labelled story {truth['largest']}"
            )
            for method in METHODS:
                s, rate = measure(items, method)
                kind = "tuned on" if split == "tune" else "held out"
                print(
                    f"   {name:<6} {split:<8} {method:<9} precision {s['precision']:.3f}  "
                    f"recall {s['recall']:.3f}  F1 {s['f1']:.3f}  (strict {s['strict_f1']:.3f})  "
                    f"largest story {s['largest']}  "
                    f"({kind}; {rate:,.0f} articles/s)"
                )
                _record(results, f"stories_{name}_{split}_{method}", s, split, labels)
            sem = results[f"stories_{name}_{split}_semantic_f1"]
            sem["baseline"] = results[f"stories_{name}_{split}_lexical_f1"]["value"]
            sem["ratio"] = round(sem["value"] / sem["baseline"], 3) if sem["baseline"] else None


def _max_size() -> int:
    from bot.stories.semantic import MAX_STORY_SIZE

    return MAX_STORY_SIZE


def run(results: dict) -> None:  # type: ignore[type-arg]
    run_real(results)
    articles = dataset_articles() if DATASET.is_file() else None
    if articles is None:
        print(f"   dataset not found at {DATASET}: measuring the written pairs only")
    pairs = load_pairs(articles)
    ours, base = scores(pairs, predict), scores(pairs, baseline)
    positives = sum(p.label for p in pairs)
    print(
        f"   {len(pairs)} pairs ({positives} same-event, {ours['hard_negatives']} hard negatives)"
    )
    for name, s in (("minhash+figures", ours), ("title-jaccard baseline", base)):
        print(
            f"   {name:<24} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
            f"F1 {s['f1']:.3f}  hard-negative merges {s['hard_negative_false_merges']}"
        )
    for origin in ("dataset", "written"):
        subset = [p for p in pairs if p.origin == origin]
        if subset:
            s = scores(subset, predict)
            print(
                f"   {origin:<8} pairs {len(subset):>3}: precision {s['precision']:.3f}  "
                f"recall {s['recall']:.3f}  F1 {s['f1']:.3f}"
            )
    for line in mistakes(pairs):
        print(line)
    for metric, target in (("precision", 0.9), ("recall", 0.8), ("f1", 0.85)):
        results[f"stories_{metric}"] = {
            "value": round(ours[metric], 4),
            "unit": "ratio",
            "baseline": round(base[metric], 4),
            "ratio": round(ours[metric] / base[metric], 3) if base[metric] else None,
            "target": target,
        }
    results["stories_pairs"] = {
        "value": len(pairs),
        "unit": "pairs",
        "baseline": None,
        "ratio": None,
        "target": 100,
    }


if __name__ == "__main__":
    run({})
