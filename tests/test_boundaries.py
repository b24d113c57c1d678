"""The dependency arrow points one way: the core imports no storage, adapter or platform code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = ("storage", "adapters", "telegram", "discord", "sqlalchemy", "alembic")
PLATFORM_MODULES = ("telegram", "discord")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bot").rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_storage_adapter_or_platform(path: Path):
    assert not imported_modules(path) & set(FORBIDDEN_IN_CORE), path


@pytest.mark.parametrize("path", sorted((ROOT / "storage").rglob("*.py")), ids=lambda p: p.name)
def test_storage_imports_no_adapter_or_platform(path: Path):
    assert not imported_modules(path) & {"adapters", *PLATFORM_MODULES}, path


def test_each_platform_library_stays_in_its_adapter():
    for path in (ROOT / "adapters").rglob("*.py"):
        package = path.relative_to(ROOT / "adapters").parts[0]
        used = imported_modules(path) & set(PLATFORM_MODULES)
        assert used <= {package}, f"{path} imports {used}"
