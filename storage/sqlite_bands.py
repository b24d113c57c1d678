"""Band rows of stories started in the SQLite writer's open group: kept in memory and
written at the group's commit, sorted.

Why: 32 ``story_bands`` rows per article were the costliest write of a bulk load. Written
per article they land on 32 random pages of two B-trees, and each article's savepoint
copies every page it touches into its journal; sorted at the commit, neighbouring rows
share pages and no savepoint sees them. Lookups stay exact: a story started in this
group has no rows in the table yet (its id is new, and a deleted story's rows go with it:
foreign keys are on), so its band count comes from here alone and every other story's
from the table alone; ``merge`` ranks both exactly as the candidate query ranks one
table. Rows of stories older than the group are still written at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from bot.stories import grouping as rules

_BANDS = (
    "INSERT INTO story_bands (band, story_id, published_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)


class PendingBands:
    """(band, story) -> stamp of the group's own stories; the first row of a key wins, as
    ``ON CONFLICT DO NOTHING`` would keep it. ``staged`` holds one article's rows until
    its savepoint is released."""

    def __init__(self) -> None:
        self._rows: dict[int, dict[int, str]] = {}  # band -> {story id: stamp}
        self._kept: list[tuple[int, Sequence[int], str]] = []  # not yet in ``_rows``
        self._stories: set[int] = set()
        self._staged: list[tuple[int, Sequence[int], str]] = []
        self._staged_stories: set[int] = set()
        self._written: tuple[dict[int, dict[int, str]], set[int]] | None = None

    def __len__(self) -> int:
        return sum(len(stories) for stories in self._indexed().values())

    def owns(self, story_id: int) -> bool:
        """True when the story was started in this group: its rows wait here."""
        return story_id in self._stories or story_id in self._staged_stories

    def start(self, story_id: int) -> None:
        """A story the current article starts (its rows belong here)."""
        self._staged_stories.add(story_id)

    def add(self, story_id: int, bands: Sequence[int], stamp: str) -> None:
        self._staged.append((story_id, bands, stamp))

    def candidates(self, bands: Iterable[int], low: str, high: str) -> dict[int, int]:
        """Story id -> how many of ``bands`` it holds with a stamp in [low, high] (the
        stamps are the table's text, so text order is the SQL comparison)."""
        counts: dict[int, int] = {}
        rows = self._indexed()
        for band in set(bands):
            found = rows.get(band)
            if found is None:
                continue
            for story_id, stamp in found.items():
                if low <= stamp <= high:
                    counts[story_id] = counts.get(story_id, 0) + 1
        return counts

    def keep_article(self) -> None:
        # indexed only when a lookup or the write needs it: with the writer's mirror
        # answering lookups, once per group (the same rows: the first stamp still wins)
        self._kept += self._staged
        self._stories |= self._staged_stories
        self._written = None
        self.drop_article()

    def drop_article(self) -> None:
        self._staged.clear()
        self._staged_stories.clear()
        if self._written is not None:  # written inside the savepoint rolled back
            self._rows, self._stories = self._written
            self._written = None

    def write(self, raw: sqlite3.Connection, *, in_article: bool = False) -> None:
        """Insert every kept row, sorted, and forget them (the table now answers).
        ``in_article``: inside an article's savepoint, so a rollback of that article
        puts them back here."""
        rows = self._indexed()
        if rows:
            raw.executemany(_BANDS, self._sorted())
        if in_article:
            self._written = (rows, self._stories)
        self._rows, self._stories = {}, set()

    def clear(self) -> None:
        self._rows, self._stories = {}, set()
        self._kept = []
        self._staged.clear()
        self._staged_stories.clear()
        self._written = None

    def _indexed(self) -> dict[int, dict[int, str]]:
        rows = self._rows
        for story_id, bands, stamp in self._kept:
            for band in bands:
                rows.setdefault(band, {}).setdefault(story_id, stamp)
        self._kept = []
        return rows

    def _sorted(self) -> list[tuple[int, int, str]]:
        return [
            (band, story_id, stamp)
            for band in sorted(self._rows)
            for story_id, stamp in sorted(self._rows[band].items())
        ]


def merge(table: Iterable[tuple[int, int]], pending: dict[int, int], limit: int) -> list[int]:
    """The candidate query's answer over table and memory together: stories with at least
    MIN_SHARED_BANDS bands, most shared first, then the higher id; at most ``limit``."""
    ranked = [(count, story_id) for story_id, count in table]
    ranked += [(c, s) for s, c in pending.items() if c >= rules.MIN_SHARED_BANDS]
    ranked.sort(reverse=True)
    return [story_id for _count, story_id in ranked[:limit]]
