"""Run every benchmark module and merge the figures into bench/results.json.

Each ``bench/bench_*.py`` exposes ``run(results: dict) -> None`` and records entries as
``{"name": {"value", "unit", "baseline", "ratio", "target"}}``; baselines are measured in
the same run so ratios survive noisy machines. ``python -m bench NAME...`` runs a subset.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


def discover() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    wanted = [f"bench_{name.removeprefix('bench_')}" for name in argv] or discover()
    results: dict[str, dict[str, object]] = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    failures = 0
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module.run(results)
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            failures += 1
            print(f"   {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    results["_machine"] = {
        "value": f"{machine}, python {platform.python_version()}",
        "unit": "",
        "baseline": None,
        "ratio": None,
        "target": None,
    }
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"figures written to {RESULTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
