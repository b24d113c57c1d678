"""Find storage and adapter implementations through entry points.

This keeps the dependency arrow one way: ``storage`` and ``adapters`` import ``bot``;
``bot`` only knows the entry point group names.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

STORAGE_GROUP = "cryptowire.storage"
ADAPTER_GROUP = "cryptowire.adapters"


class PluginError(RuntimeError):
    """A required plugin is not installed; the message says which."""


def load_plugin(group: str, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``."""
    for entry in entry_points(group=group):
        if entry.name == name:
            return entry.load()
    raise PluginError(
        f"no '{name}' plugin in '{group}': is cryptowire installed (pip install -e .)?"
    )


def available(group: str) -> list[str]:
    return sorted(entry.name for entry in entry_points(group=group))
