"""The shape of the core: stage packages, no import cycles, small modules.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a cycle
hidden behind either still couples two modules both ways.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 12


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bot_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in BOT.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The ``bot`` modules that ``path`` imports (a ``from pkg import mod`` counts as ``mod``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                found.add(node.module)
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    found.add(f"{node.module}.{alias.name}")
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component larger than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1 or node in graph[node]:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_inside_bot() -> None:
    modules = _bot_modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a two-module loop is reported."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_module_over_400_lines() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for folder in ("bot", "adapters", "storage")
        for p in (ROOT / folder).rglob("*.py")
    }
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert too_long == {}


def test_bot_is_arranged_in_stage_packages() -> None:
    top = sorted(p.name for p in BOT.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    for stage in ("sources", "ingest", "enrich", "stories", "alerts", "delivery", "commands"):
        assert (BOT / stage / "__init__.py").is_file(), stage


def test_every_package_says_what_its_stage_does() -> None:
    for init in BOT.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.relative_to(ROOT)} needs a docstring"
