"""The console adapter: a terminal chat for one local user (the demo, and `run` by default)."""

from __future__ import annotations

from adapters.console.adapter import ConsoleAdapter, create_adapter

__all__ = ["ConsoleAdapter", "create_adapter"]
