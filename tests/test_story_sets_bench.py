"""The story benchmark and the tuning tools read the 2026 multi-outlet set beside the
2021-22 one (decision 041): per set and split through the CLI's ingest loop, a missing
file skipped with a line that says so, each 2026 day its own cross-validation block, and
the fit solves the logistic problem it claims to."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench import bench_stories, story_sets, tune_stories
from bench.logistic import fit_logistic

COLUMNS = ["url", "title_sha1", "date", "source", "title", "text", "story", "split", "note"]


def _modern_tune(folder: Path) -> list[dict[str, str]]:
    """Twelve real rows re-dated to two 2026 days, as the labellers' tune.csv holds them:
    two labelled multi-article stories of the 2021-22 set and singletons."""
    rows = [r for r, _ in bench_stories.load_real("tune")]
    by_story: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_story.setdefault(r["story"], []).append(r)
    groups = [g for g in by_story.values() if len(g) == 3][:2]
    singles = [g[0] for g in by_story.values() if len(g) == 1][:6]
    chosen = [*groups[0], *groups[1], *singles]
    out = []
    for i, r in enumerate(chosen):
        day = "2026-08-19" if i < 6 else "2026-08-20"
        row = {k: r[k] for k in COLUMNS}
        row["date"] = f"{day}T{r['date'][11:]}"
        row["split"] = "tune"
        row["url"] = f"https://example.org/{i}"
        out.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "tune.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(out)
    return out


def _bench_tune_only(name: str, capsys) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """Run the bench on one set whose folder holds only tune.csv: it scores tune with every
    method and metric, and skips the missing holdout with a line saying so."""
    results: dict = {}
    bench_stories.run_real(results, sets=(name,))
    out = capsys.readouterr().out
    assert f"stories_{name} holdout:" in out and "holdout.csv not found: skipped" in out
    for method in ("semantic", "lexical"):
        for metric in ("precision", "recall", "f1", "strict_f1", "largest"):
            assert f"stories_{name}_tune_{method}_{metric}" in results
    assert not any(k.startswith(f"stories_{name}_holdout") for k in results)
    return results, out


def test_bench_scores_the_modern_set_per_split_and_skips_a_missing_file(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(story_sets, "MODERN", tmp_path / "stories_modern")
    written = _modern_tune(tmp_path / "stories_modern")
    results, out = _bench_tune_only("modern", capsys)
    assert "stories_modern tune: 12 articles, 6 same-event pairs" in out
    assert not any(k.startswith("stories_real") for k in results)
    assert results["stories_modern_tune_semantic_largest"]["baseline"] == 3
    # the rows come back with their set's name, and only the split asked for
    loaded = bench_stories.load_set("modern", "tune")
    assert [r["url"] for r, _ in loaded] == [r["url"] for r in written]
    assert {r["set"] for r, _ in loaded} == {"modern"}
    with pytest.raises(FileNotFoundError):
        bench_stories.load_set("modern", "holdout")


def test_bench_scores_the_cc_set_with_its_bodies_and_skips_a_missing_file(
    tmp_path, monkeypatch, capsys
):
    """stories_cc (CryptoCompare-fed front matter, decision-free data set): its rows carry a
    ``body`` column, which is what the bench writes after the front matter."""
    with (story_sets.DATA / "stories_cc" / "tune.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_story: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_story.setdefault(r["story"], []).append(r)
    pairs = [g for g in by_story.values() if len(g) == 2][:3]
    chosen = [r for g in pairs for r in g] + [g[0] for g in by_story.values() if len(g) == 1][:4]
    folder = tmp_path / "stories_cc"
    folder.mkdir()
    with (folder / "tune.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    monkeypatch.setattr(story_sets, "CC", folder)
    _, out = _bench_tune_only("cc", capsys)
    assert "stories_cc tune: 10 articles, 3 same-event pairs" in out
    loaded = bench_stories.load_set("cc", "tune")
    assert [a.body for _, a in loaded] == [r["body"] for r in chosen]
    assert all(len(r["body"]) > len(r["text"]) for r in chosen)
    written = bench_stories.write_front_matter(tmp_path, loaded[:1])[0].read_text(encoding="utf-8")
    _, head, body = written.split("---\n", 2)
    assert body == chosen[0]["body"] + "\n"
    assert yaml.safe_load(head)["description"] == chosen[0]["text"]


def test_each_modern_day_is_its_own_cross_validation_block(tmp_path, monkeypatch):
    monkeypatch.setattr(story_sets, "MODERN", tmp_path / "stories_modern")
    monkeypatch.setattr(tune_stories, "SETS", ("modern",))
    _modern_tune(tmp_path / "stories_modern")
    blocks = tune_stories.tune_blocks()
    assert list(blocks) == ["2026-08-19", "2026-08-20"]
    assert [len(b["labels"]) for b in blocks.values()] == [6, 6]
    assert {b["set"] for b in blocks.values()} == {"modern"}
    # the first day holds both three-article stories: 3 + 3 labelled pairs
    first = blocks["2026-08-19"]
    assert int(np.triu(first["same"] & first["near"], 1).sum()) == 6
    assert tune_stories.block_of({"set": "real", "date": "2022-05-10T01:00:00Z"}) == "E"


def test_logistic_fit_is_the_regularised_optimum():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 3)) * [1.0, 5.0, 0.2] + [0.0, 3.0, -1.0]
    logit = 1.5 * x[:, 0] - 0.4 * x[:, 1] + 4.0 * x[:, 2] + 1.0
    y = (rng.random(2000) < 1 / (1 + np.exp(-logit))).astype(int)
    weights, bias = fit_logistic(x, y, c=0.3, positive=5.0)
    # the gradient of 0.5|w|^2 + C * sum(weight * logloss) on standardised columns is 0
    mean, scale = x.mean(axis=0), x.std(axis=0)
    w_std = weights * scale
    z = (x - mean) / scale
    p = 1 / (1 + np.exp(-(z @ w_std + bias + weights @ mean)))
    sample = np.where(y == 1, 5.0, 1.0) * 0.3
    assert np.abs(z.T @ (sample * (p - y)) + w_std).max() < 1e-6
    assert abs(float(sample @ (p - y))) < 1e-6
    assert np.sign(weights).tolist() == [1.0, -1.0, 1.0]


def test_rereport_subject_reads_one_actor_under_two_names():
    """Decision 047's same_subject column: a headline's first rare capitalised word,
    alias-canonical, so two outlets' names for one actor meet and generic words do not."""
    from bench.story_features_cv import subject

    assert subject("a16z Raises $4.5 Billion to Invest in Crypto") == subject(
        "Andreessen Horowitz closes $4.5 billion crypto fund"
    )
    assert subject("Bhutan makes second Bitcoin transfer in a week") == "bhutan"
    assert subject("Bitcoin price falls below $70K") == ""
