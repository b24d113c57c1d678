"""The direct front matter walk builds exactly what PyYAML's safe loader builds.

Same values (types, key order, duplicates), same errors with the same wording, on
documents that use every YAML feature front matter might: anchors, merge keys, explicit
tags, odd scalars, deep nesting; and on the shared dataset rendered as front matter.
"""

from __future__ import annotations

import csv
from typing import Any

import pytest
import yaml

from bot.ingest import front_yaml
from tests.conftest import SHARED

DATASET = SHARED / "datasets" / "cryptonews.csv"

DOCUMENTS = [
    "",
    "# only a comment",
    "title: T",
    "title: T\ntitle: U",
    "a: &x {k: 1}\nb: *x\ntitle: T",
    "list: &l [1, 2]\nother: *l",
    "title: &t Same\nheadline: *t",
    "base: &b {title: Merged}\n<<: *b\nsource: S",
    "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3",
    "a: !!int abc\n<<: 5",
    "<<: 5\ntitle: T",
    "title: !!str 123\nsticky: !!int '7'",
    "tags: !!set {a, b}",
    "image: !!binary aGVsbG8=",
    "date: !!timestamp 2022-01-01",
    "date: 2022-01-01\nwhen: 2022-01-01 10:00:00 +02:00",
    "=: eq",
    "x: =",
    "? [a, b]\n: c",
    "? {a: 1}\n: c",
    "title: yes\ndraft: 'no'\nsticky: 0x1F\nflag: On\nother: NO",
    "title: 1.5e3\nstickyWeight: 1_000\nretracted: off\nn: -0o17",
    "f: .inf\ng: -.NaN\nh: 0o17\ni: 0b101\nj: 1:30\nk: 1_0.5\nl: +12\nm: 190:20:30.15",
    "title: ~\nheadline: null\nempty:\nnothing: ''",
    "tags: [bitcoin, 'Layer 2', 3, 4.5, true, null, [nested], {k: v}]",
    "source: {name: [a]}",
    "1: one\n2.5: two\ntrue: three\nnull: four",
    "b: !!bool maybe",
    "f: !!float abc",
    "x: !!python/object:os.system ls",
    "x: !custom value",
    "d: " + "[" * 19 + "]" * 19,
    "d: " + "[" * 25 + "]" * 25,
    "d: " + "[" * 300 + "]" * 300,
    "d: " + "{a: " * 60 + "1" + "}" * 60,
    "- a\n- b",
    "just a string",
    "title: [unclosed",
    "title: T\n...\n---\nfoo: bar",
    "a: 1\n---\nb: 2",
    "title: 'Ã©tÃ© â€” cafÃ©'\ndescription: \"caf\\u00e9 \\t na\\u00efve\"",
    "description: folded\n  over two\n\n  lines\nblock: |\n  keep\n   this\nfold: >-\n  a\n  b\n",
]


def outcome(load: Any, text: str) -> tuple[str, str]:
    try:
        return "ok", repr(load(text))
    except Exception as error:
        return type(error).__name__, str(error)


def reference(text: str) -> Any:
    return yaml.load(text, Loader=front_yaml.DatesAsText)


@pytest.mark.parametrize("text", DOCUMENTS)
def test_same_values_and_errors_as_pyyaml(text: str):
    assert outcome(front_yaml.load, text) == outcome(reference, text)


def test_shared_collections_stay_shared():
    """An alias is the same object, as PyYAML builds it (the walk hands it over)."""
    loaded = front_yaml.load("a: &x {k: 1}\nb: *x")
    assert loaded["a"] is loaded["b"]


def test_dates_stay_text():
    assert front_yaml.load("publishedAt: 2026-02-31") == {"publishedAt": "2026-02-31"}


def test_dataset_rows_as_front_matter_load_the_same():
    if not DATASET.is_file():
        pytest.skip(f"dataset not found at {DATASET} (set CRYPTOWIRE_SHARED)")
    with DATASET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))[:400]
    for i, row in enumerate(rows):
        meta = {
            "title": row["title"],
            "description": row["text"],
            "publishedAt": row["date"],
            "externalId": i,
            "source": {"name": row["source"], "key": row["source"].lower()},
            "tags": [row["subject"], i, 1.5, True, None],
        }
        for text in (
            yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
            yaml.safe_dump(meta, default_flow_style=True),
        ):
            assert outcome(front_yaml.load, text) == outcome(reference, text)
