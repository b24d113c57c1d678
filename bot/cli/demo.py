"""The demo's settings and example archive: our own invented articles, shipped as package data."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.config import Settings, StorageConfig
from bot.ingest.identity import content_hash
from bot.models import Article

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


def recent_dates(
    articles: list[Article], now: datetime, age: timedelta = timedelta(hours=1)
) -> list[Article]:
    """The articles with their stated dates moved by one offset, the newest ``age`` old.

    Dates the parser inferred (files without one get the time of reading) stay as they are.
    """
    stated = [a.published_at for a in articles if "published_at" not in a.inferred]
    if not stated:
        return articles
    offset = now - age - max(stated)
    moved = []
    for article in articles:
        if "published_at" in article.inferred:
            moved.append(article)
            continue
        updated = article.updated_at + offset if article.updated_at else None
        article = replace(article, published_at=article.published_at + offset, updated_at=updated)
        moved.append(replace(article, content_hash=content_hash(article)))
    return moved
