"""Render bench/results.json as the table in BENCHMARKS.md: ``python -m bench.report``.

Every figure is listed with its baseline, ratio and target; "met?" compares the value to
the target in the direction the unit implies (times and sizes: at most; rates, ratios
and fractions: at least; counts of errors: at most).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
MARK_START = "<!-- figures:start -->"
MARK_END = "<!-- figures:end -->"
AT_LEAST = ("/s", "fraction", "articles/s", "x")


_TEXT_TARGET = re.compile(r"^\s*(>=|<=|<|>)\s*([0-9.]+)")


def met(entry: dict) -> str:
    """yes / **no** / "" (no numeric target: a reference figure)."""
    target, value = entry.get("target"), entry.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    if isinstance(target, str):  # targets written as text: ">= 95%", "< 500 µs"
        found = _TEXT_TARGET.match(target)
        if not found:
            return ""
        bound = float(found.group(2))
        ok = {
            ">=": value >= bound,
            ">": value > bound,
            "<=": value <= bound,
            "<": value < bound,
        }[found.group(1)]
        return "yes" if ok else "**no**"
    if not isinstance(target, int | float):
        return ""
    unit = str(entry.get("unit") or "")
    higher_is_better = any(marker in unit for marker in AT_LEAST) and "ms" not in unit
    ok = value >= target if higher_is_better else value <= target
    return "yes" if ok else "**no**"


def _cell(value: object) -> str:
    if isinstance(value, dict | list):
        return "(see results.json)"
    return "" if value is None else str(value).replace("|", "/")


def table(results: dict) -> str:
    rows = [
        "| name | value | unit | baseline | ratio | target | met? |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for name in sorted(k for k in results if not k.startswith("_")):
        entry = results[name]
        cells = [entry.get(key) for key in ("value", "unit", "baseline", "ratio", "target")]
        rows.append(f"| {name} | " + " | ".join(_cell(c) for c in cells) + f" | {met(entry)} |")
    machine = results.get("_machine", {}).get("value", "")
    return "\n".join(rows) + (f"\n\nRecorded on: {machine}." if machine else "")


def render(markdown: str, results: dict) -> str:
    """Replace the text between the figure markers with a fresh table."""
    start, end = markdown.index(MARK_START), markdown.index(MARK_END)
    return markdown[: start + len(MARK_START)] + "\n" + table(results) + "\n" + markdown[end:]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else HERE.parent / "BENCHMARKS.md"
    results = json.loads(RESULTS.read_text())
    target.write_text(render(target.read_text(), results))
    print(f"{target} updated from {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
