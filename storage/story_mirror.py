"""The SQLite writer's memory of the story tables: band rows and story members, so a
bulk load's candidate lookups need no query (issue 14, decision 044).

Why trust it: within a write transaction nobody else can write (BEGIN IMMEDIATE), and
between two of them ``PRAGMA data_version`` changes when any other connection committed.
So at the start of each of its transactions the writer asks it (``begin``): unchanged,
the mirror still holds what the tables hold, because every later change is this
connection's own and goes through here; changed, everything is dropped and the queries
answer again. Writes this module does not see (the general ``save_article`` path of an
applied update) call ``reset`` too.

Bands: complete only from an empty ``story_bands`` table (a fresh archive: then every
row is one this writer wrote, its group's pending rows included), and above ``_low``
once old rows are dropped to bound memory; otherwise ``band_counts`` answers None and
the candidate query runs. Members: whole stories, loaded by one query the first time a
story is a candidate (or known empty when this writer starts it), kept up to date with
the articles this writer adds; the candidate query's ``LIMIT`` cut is reproduced.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import cache

from bot.stories import grouping as rules

MAX_BAND_ROWS = 500_000  # past this, rows stamped before the current window are dropped
MAX_STORIES = 50_000  # member lists kept; the oldest half goes past this (re-read if needed)
MemberRow = tuple[int, int, str]  # (article id, story id, content hash)


@cache
def _members_sql(n: int) -> str:
    # the candidate query without its LIMIT, in the order its plan yields rows (the
    # story_id index: stories ascending, then ids ascending; tests compare both)
    marks = ", ".join("?" * n)
    return (
        "SELECT id, story_id, content_hash FROM articles "
        f"WHERE story_id IN ({marks}) AND draft IS NOT 1 ORDER BY story_id, id"
    )


class StoryMirror:
    """Band rows (band -> {story: stamp}) and member lists (story -> [(id, hash)])."""

    def __init__(self, max_band_rows: int = MAX_BAND_ROWS, max_stories: int = MAX_STORIES):
        self.max_band_rows = max_band_rows
        self.max_stories = max_stories
        self._version: int | None = None
        self.resets = 0  # times another connection's commit (or an unseen write) voided it
        self.reset()

    def reset(self) -> None:
        # band -> (stamps ascending, their stories): the window is one bisected slice, as
        # the candidate query reads one range of its (band, published_at) index
        self._bands: dict[int, tuple[list[str], list[int]]] | None = None  # None: table
        self._rows = 0
        self._low = ""  # rows stamped before this were dropped
        self._members: dict[int, list[tuple[int, str]]] = {}
        self._tried = False
        self._staged_bands: list[tuple[int, Sequence[int], str, bool]] = []
        self._staged_members: list[tuple[int, int, str, bool]] = []

    def begin(self, raw: sqlite3.Connection) -> None:
        """At the start of each write transaction (the write lock is held)."""
        version = raw.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            if self._version is not None:
                self.resets += 1
            self.reset()
            self._version = version
        if self._bands is None and not self._tried:
            self._tried = True
            if raw.execute("SELECT 1 FROM story_bands LIMIT 1").fetchone() is None:
                self._bands = {}

    # ---- bands ------------------------------------------------------------------------

    def band_counts(self, bands: Iterable[int], low: str, high: str) -> dict[int, int] | None:
        """Story id -> how many of ``bands`` it holds stamped within [low, high] (the
        candidate query's counts, before its HAVING), or None when the table must answer."""
        if self._bands is None or low < self._low:
            return None
        if self._rows > self.max_band_rows:
            self._drop_before(low)
            # a window holding most rows itself: grow rather than drop at every lookup
            self.max_band_rows = max(self.max_band_rows, 2 * self._rows)
        rows = self._bands
        counts: dict[int, int] = {}
        get = rows.get
        for band in set(bands):
            found = get(band)
            if found is not None:
                stamps, stories = found
                for story_id in stories[bisect_left(stamps, low) : bisect_right(stamps, high)]:
                    counts[story_id] = counts.get(story_id, 0) + 1
        return counts

    def candidates(self, bands: Sequence[int], low: str, high: str) -> list[tuple[int, int]] | None:
        """The candidate query's rows (story id, shared bands), unordered and uncut."""
        counts = self.band_counts(bands, low, high)
        if counts is None:
            return None
        least = rules.MIN_SHARED_BANDS
        return [(story, count) for story, count in counts.items() if count >= least]

    def add_bands(self, story_id: int, bands: Sequence[int], stamp: str, *, new: bool) -> None:
        """Rows the current article writes (to the table or to the group's pending rows:
        both end in the table, the first stamp of a (band, story) winning). ``new``: the
        article starts the story, which has no row yet."""
        if self._bands is not None:
            self._staged_bands.append((story_id, bands, stamp, new))

    def _drop_before(self, low: str) -> None:
        assert self._bands is not None
        kept: dict[int, tuple[list[str], list[int]]] = {}
        for band, (stamps, stories) in self._bands.items():
            start = bisect_left(stamps, low)
            if start < len(stamps):
                kept[band] = (stamps[start:], stories[start:])
        self._bands, self._low = kept, low
        self._rows = sum(len(stamps) for stamps, _stories in kept.values())

    # ---- members ----------------------------------------------------------------------

    def member_rows(
        self, raw: sqlite3.Connection, story_ids: Sequence[int], limit: int
    ) -> list[MemberRow]:
        """What ``SELECT id, story_id, content_hash ... WHERE story_id IN (...) AND draft
        IS NOT 1 LIMIT limit`` answers, in its order."""
        members = self._members
        missing = [s for s in story_ids if s not in members]
        if missing:
            if len(members) + len(missing) > self.max_stories:
                for story in list(members)[: len(members) // 2]:
                    del members[story]
            for story in missing:
                members[story] = []
            for aid, sid, digest in raw.execute(_members_sql(len(missing)), missing):
                members[sid].append((aid, digest))
        out: list[MemberRow] = []
        for sid in sorted(story_ids):
            for aid, digest in members[sid]:
                if len(out) == limit:
                    return out
                out.append((aid, sid, digest))
        return out

    def add_member(self, story_id: int, article_id: int, digest: str, *, new: bool) -> None:
        """The current article joined (or, ``new``, started) the story."""
        self._staged_members.append((story_id, article_id, digest, new))

    # ---- one article's savepoint ----------------------------------------------------

    def keep_article(self) -> None:
        rows = self._bands
        if rows is not None:
            get = rows.get
            for story_id, bands, stamp, new in self._staged_bands:
                for band in bands:
                    found = get(band)
                    if found is None:
                        rows[band] = ([stamp], [story_id])
                    elif not new and story_id in found[1]:
                        continue  # ON CONFLICT DO NOTHING: the first stamp stays
                    elif stamp >= found[0][-1]:  # publication order: the usual case
                        found[0].append(stamp)
                        found[1].append(story_id)
                    else:
                        at = bisect_right(found[0], stamp)
                        found[0].insert(at, stamp)
                        found[1].insert(at, story_id)
                self._rows += len(bands)  # an upper bound (rows already held count again)
        members = self._members
        for story_id, article_id, digest, new in self._staged_members:
            if new:
                members[story_id] = [(article_id, digest)]
            else:
                found = members.get(story_id)
                if found is not None:  # ids only grow: the list stays in id order
                    found.append((article_id, digest))
        self.drop_article()

    def drop_article(self) -> None:
        self._staged_bands.clear()
        self._staged_members.clear()
