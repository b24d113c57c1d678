"""The demo's settings and example archive: our own invented articles, shipped as package data."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.config import Settings, StorageConfig

EXAMPLES_PACKAGE = "bot"
EXAMPLES_DIR = ("data", "examples")


def demo_settings(base: Settings, scratch: Path, inbox: Path) -> Settings:
    """The user's settings, but a fresh embedded SQLite archive and no other sources.

    Raises OSError when ``inbox`` cannot be created or is not a folder.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    if not inbox.is_dir():
        raise NotADirectoryError(20, "not a folder", str(inbox))
    return base.model_copy(
        update={
            "storage": StorageConfig(url=f"sqlite:///{scratch / 'demo.db'}"),
            "sources": [],
        }
    )


def example_files() -> list[Traversable]:
    """The example articles, in name order (formats: front matter, scraped page, plain)."""
    folder = files(EXAMPLES_PACKAGE).joinpath(*EXAMPLES_DIR)
    return sorted((f for f in folder.iterdir() if f.is_file()), key=lambda f: f.name)
