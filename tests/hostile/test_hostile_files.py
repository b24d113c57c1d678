"""The hostile file corpus (tests/hostile/files/ plus the big ones from generated.py),
through the real entry points: the ingest pipeline on a real SQLite file, measured one file
at a time in a subprocess (CPU seconds of every thread, peak traced memory), and
`cryptowire ingest --json` as a user runs it.

Every input ends in a one-line rejection naming the problem or a correct article, never a
traceback, within 1 s of CPU and 100 MB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from generated import write_generated

from tests.test_cli_foundation import cryptowire

HERE = Path(__file__).parent
MAX_CPU_S = 1.0
MAX_MEMORY_MB = 100.0
ACCEPTED = "accepted"  # a new article whose fields are checked below

# file -> ACCEPTED, or a piece of its one-line rejection
EXPECTED: dict[str, str] = {
    # YAML: alias bombs anywhere, recursion, nesting, size, tags that would run code
    "yaml_alias_bomb_draft.md": "expands to over 10,000 values",
    "yaml_alias_bomb_9_levels.md": "expands to over 10,000 values",
    "yaml_alias_bomb_source_name.md": "expands to over 10,000 values",
    "yaml_alias_bomb_tags.md": "expands to over 10,000 values",
    "yaml_alias_bomb_unused.md": "expands to over 10,000 values",
    "yaml_recursive_anchor.md": "expands to over 10,000 values",
    "yaml_deep_flow.md": "nested more than 32 levels deep",
    "yaml_deep_block.md": "nested more than 32 levels deep",
    "yaml_python_tag.md": "could not determine a constructor",
    "yaml_syntax_error.md": "malformed YAML front matter",
    "huge_front_matter_list.md": "over the 65,536-character limit",
    "huge_front_matter_flow.md": "over the 65,536-character limit",
    "huge_title.md": "over the 65,536-character limit",
    "front_matter_unclosed.md": "never closed",
    "front_matter_not_mapping.md": "expected 'key: value' pairs",
    "draft_mapping.md": "'draft' must be true or false, not a mapping",
    "sticky_list.md": "'stickyWeight' must be a whole number, not a list",
    "external_id_list.md": "'externalId' must be a single value, not a list",
    "no_title.md": "no title",
    # impossible dates
    "date_year_9999.md": "more than a year in the future",
    "date_year_9999_offset.md": "impossible date in publishedAt",
    "date_year_0001.md": "impossible date in publishedAt",
    "date_year_10000.md": "impossible date in publishedAt",
    "date_updated_9999.md": "impossible date in updatedAt",
    "date_epoch_huge.md": "impossible date in publishedAt",
    "date_feb_31.md": "impossible date in publishedAt",
    "date_free_form_9999.md": "more than a year in the future",
    # bytes that are not UTF-8 text
    "binary.bin": "binary file",
    "gzip_disguised.md": "binary file",
    "control_characters.txt": "binary file",
    "utf16_bom.txt": "UTF-16 text is not supported",
    "latin1.txt": "not valid UTF-8",
    "truncated_utf8.txt": "not valid UTF-8",
    "empty.md": "empty document",
    "whitespace_only.txt": "empty document",
    "over_the_limit.md": "over the 2097152-byte limit",
    # HTML: too many tags, nesting; scripts never reach the archive
    "html_many_tags.html": "too complex to read",
    "html_deep_nesting.html": "too complex to read",
    "html_page_with_script.html": ACCEPTED,
    "script_in_title.md": ACCEPTED,
    # huge fields and pathological markdown: read, cut to the column sizes
    "long_title_in_front_matter.md": ACCEPTED,
    "huge_title_plain.txt": ACCEPTED,
    "brackets_body.md": ACCEPTED,
    "emphasis_body.md": ACCEPTED,
    "link_parens_body.md": ACCEPTED,
    "markdown_link_storm.md": ACCEPTED,
    "one_long_line.txt": ACCEPTED,
    "many_short_lines.txt": ACCEPTED,
    "nul_after_8k.txt": ACCEPTED,
}
EXPECTED_TITLES = {
    "html_page_with_script.html": "Solana outage halts blocks",
    "script_in_title.md": "Bitcoin pumps 5%",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for path in (HERE / "files").iterdir():
        shutil.copy(path, folder / path.name)
    write_generated(folder)
    names = {p.name for p in folder.iterdir()}
    assert names == set(EXPECTED), f"corpus and expectations differ: {names ^ set(EXPECTED)}"
    return folder


def _check(name: str, status: str, error: str | None) -> None:
    wanted = EXPECTED[name]
    if wanted == ACCEPTED:
        assert status == "new", f"{name}: {status} {error}"
        return
    assert status == "rejected", f"{name}: expected a rejection, got {status}"
    assert error and wanted in error, f"{name}: {error!r} lacks {wanted!r}"
    assert "\n" not in error and "Traceback" not in error and len(error) < 300, error


@pytest.mark.slow
def test_every_file_is_refused_in_one_line_or_read_within_budget(corpus: Path, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'measure.db'}"
    result = subprocess.run(
        [sys.executable, str(HERE / "measure_ingest.py"), str(corpus), url],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["name"] for r in rows} == set(EXPECTED)
    over = []
    for row in rows:
        name = row["name"]
        _check(name, row["status"], row["error"])
        if row["cpu_s"] > MAX_CPU_S or row["peak_mb"] > MAX_MEMORY_MB:
            over.append(f"{name}: {row['cpu_s']} s, {row['peak_mb']} MB")
        if EXPECTED[name] == ACCEPTED:
            assert 0 < len(row["title"]) <= 500, name
            assert len(row["summary"]) <= 1000, name
            for text in (row["title"], row["summary"], row["body_head"]):
                assert "<script" not in text and "alert(" not in text, name
                assert "onerror" not in text and "javascript:" not in text, name
        if name in EXPECTED_TITLES:
            assert row["title"] == EXPECTED_TITLES[name]
    assert not over, f"over {MAX_CPU_S} s of CPU or {MAX_MEMORY_MB} MB: {over}"


@pytest.mark.slow
def test_cryptowire_ingest_reports_each_file_in_one_line(corpus: Path, tmp_path: Path):
    result = cryptowire(
        "--database-url",
        f"sqlite:///{tmp_path / 'cli.db'}",
        "ingest",
        str(corpus),
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr[-3000:]  # some files were rejected
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    rows = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == set(EXPECTED)  # every file has its line: none stopped the batch
    for name, row in rows.items():
        _check(name, row["status"], row["error"])
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected: ")]
    assert len(rejected) == sum(1 for v in EXPECTED.values() if v != ACCEPTED)
