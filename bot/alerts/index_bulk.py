"""Building the subscription index in one go at start-up, from compact columns.

Adding subscriptions one by one costs ~11 µs each in Python (every posting list grows
row by row, one filter object per row), so a million took 11 s after 10 s more of
reading and decoding. At start-up the rows arrive in id order and nearly all of them
share one of a few thousand distinct filters, so storage hands over columns instead
(``SubscriptionBatch``: ids, chat ids and the number of each row's filter, with every
distinct filter decoded once) and ``BulkLoad`` posts each page as it arrives: the
page's (posting, slot) pairs are expanded and grouped with one numpy sort and appended
to the postings, so no page is kept once read (decision 028). Nothing grows with the
number of distinct filters either (decision 034: 607,692 of them at 5,000,000
subscriptions): storage starts its numbering over every 100,000 distinct filters and
the per-filter tables here start over with it. The index it builds is the one ``add``
would have built for the same rows (tests compare them).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from bot.alerts.chat_numbers import ChatNumbers
from bot.alerts.matching import BITMAP_SHARE, SubscriptionIndex, _bitmap, ids_for, ids_view
from bot.models import SubscriptionFilter

NARROW = 2**31  # chat ids below this are held as int32 while loading
PIECE = 500_000  # rows numbered at a time


@dataclass(slots=True)
class SubscriptionBatch:
    """Active subscriptions as columns: ``filters`` holds the distinct filters first seen
    in this batch, numbered after those of the earlier batches of the same load, or from
    0 when ``fresh`` (storage started its numbering over: decision 034)."""

    ids: array = field(default_factory=lambda: array("q"))  # ascending across batches
    chats: array = field(default_factory=lambda: array("q"))  # chat database ids
    shapes: array = field(default_factory=lambda: array("i"))  # filter number per row
    filters: list[SubscriptionFilter] = field(default_factory=list)
    fresh: bool = False


class BulkLoad:
    """Posts batches into an empty index as they come; ``build`` finishes it."""

    def __init__(self, index: SubscriptionIndex) -> None:
        if len(index._ids):
            raise ValueError("bulk loads fill an empty index only")
        self.index = index
        self._chats = array("i")  # raw chat database ids until ``build`` numbers them
        self._numbers: dict[tuple[int, object], int] = {}  # (table, key) -> posting number
        self._where: list[array] = []  # posting number -> its slots (the index's array)
        self._flat = array("i")  # posting numbers of every filter, filter after filter
        self._per_filter = array("q")  # filter number -> how many postings it has
        self._needed = bytearray()  # filter number -> clauses it requires

    def __len__(self) -> int:
        return len(self.index._ids)

    def add(self, batch: SubscriptionBatch) -> None:
        index = self.index
        if index._ids and batch.ids and batch.ids[0] <= index._ids[-1]:
            raise ValueError("subscription batches must come in ascending id order")
        if batch.fresh:  # filters are numbered from 0 again
            self._flat, self._per_filter, self._needed = array("i"), array("q"), bytearray()
        for flt in batch.filters:
            self._learn(flt)
        if not batch.ids:
            return
        offset = len(index._ids)
        ids = np.frombuffer(batch.ids, dtype=np.int64)
        index._ids = ids_for(index._ids, int(ids[0]), int(ids[-1]))
        index._ids.frombytes(ids.astype(ids_view(index._ids).dtype).tobytes())
        chats = np.frombuffer(batch.chats, dtype=np.int64)
        if self._chats.typecode == "i" and (chats.min() < 0 or chats.max() >= NARROW):
            wide = np.frombuffer(self._chats, dtype=np.int32).astype(np.int64)
            self._chats = array("q", wide.tobytes())
        if self._chats.typecode == "i":
            self._chats.frombytes(chats.astype(np.int32).tobytes())
        else:
            self._chats.extend(batch.chats)
        shapes = np.frombuffer(batch.shapes, dtype=np.int32)
        index._required.extend(np.frombuffer(self._needed, dtype=np.uint8)[shapes].tobytes())
        self._post(shapes, offset)

    def _learn(self, flt: SubscriptionFilter) -> None:
        """Number a new filter's postings (each (table, key) once per load)."""
        required, postings = self.index.clauses(flt)
        self._needed.append(required)
        self._per_filter.append(len(postings))
        for table, key in postings:
            found = self._numbers.get((id(table), key))
            if found is None:
                found = self._numbers[(id(table), key)] = len(self._where)
                if key not in table:
                    table[key] = array("i")
                self._where.append(table[key])
                if (table is self.index._keywords or table is self.index._excluded) and (
                    " " in key  # type: ignore[operator]
                ):
                    pair = " ".join(key.split(" ", 2)[:2])  # type: ignore[attr-defined]
                    self.index._phrases.setdefault(pair, set()).add(key)  # type: ignore[arg-type]
            self._flat.append(found)

    def _post(self, shapes: np.ndarray, offset: int) -> None:
        """Every (posting, slot) pair of one page, sorted by posting then slot (so each
        posting's slots stay ascending, as ``add`` in id order leaves them), appended."""
        per_filter = np.frombuffer(self._per_filter, dtype=np.int64)
        starts = np.cumsum(per_filter) - per_filter
        counts = per_filter[shapes]
        total = int(counts.sum())
        if not total:
            return
        rows = np.repeat(np.arange(offset, offset + len(shapes), dtype=np.int64), counts)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        flat = np.frombuffer(self._flat, dtype=np.int32)
        pairs = flat[np.repeat(starts[shapes], counts) + within].astype(np.int64) << 32
        del within, per_filter, flat
        pairs |= rows
        del rows
        pairs.sort()
        postings = (pairs >> 32).astype(np.int32)
        slots = pairs.astype(np.int32)  # the low 32 bits
        del pairs
        cuts = np.flatnonzero(postings[1:] != postings[:-1]) + 1
        firsts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [total]))
        for number, start, end in zip(
            postings[firsts].tolist(), firsts.tolist(), ends.tolist(), strict=True
        ):
            self._where[number].frombytes(slots[start:end].tobytes())

    def build(self) -> int:
        """Number the chats and add the big postings' bitmaps; returns the count."""
        index = self.index
        count = len(index._ids)
        index._chats, ascending = _chat_numbers(self._chats)
        self._chats = array("i")
        index._chat_numbers = ChatNumbers(ascending)
        del ascending
        for table in (index._plain, index._counted):
            for key in [key for key, slots in table.items() if not slots]:
                del table[key]  # learnt from a filter no row used
        for table, bits in (
            (index._plain, index._plain_bits),
            (index._counted, index._counted_bits),
        ):
            for key, slots in table.items():  # as ``_post_struct`` would have decided
                if len(slots) >= 1024 and len(slots) * BITMAP_SHARE >= count:
                    bits[key] = _bitmap(slots, count)
        for table in (index._sources, index._langs, index._keywords, index._excluded):
            for key in [key for key, slots in table.items() if not slots]:
                del table[key]
        index._alive = bytearray(count)
        np.frombuffer(index._alive, dtype=np.uint8)[:] = 1
        index._sorted_len = count
        index._sets.reset()
        self._where = []
        return count


def _chat_numbers(chats: array) -> tuple[array, np.ndarray]:
    """(chat number per row, the distinct chat ids ascending). Int32 chat ids are
    numbered in place, a piece at a time: no second per-row array at the load's peak.
    Database ids are nearly dense, so a mark per id finds the distinct ones where
    ``np.unique`` would sort a copy of every row's."""
    raw = np.frombuffer(chats, dtype=np.int32 if chats.typecode == "i" else np.int64)
    if not len(raw):
        return array("i"), np.zeros(0, dtype=np.int64)
    low, high = int(raw.min()), int(raw.max())
    if low >= 0 and high < 4 * len(raw) + 65536:
        marks = np.zeros(high + 1, dtype=np.bool_)
        marks[raw] = True
        ascending = np.flatnonzero(marks)
        del marks
    else:
        ascending = np.unique(raw).astype(np.int64)
    dense = chats if chats.typecode == "i" else array("i")
    for start in range(0, len(raw), PIECE):
        piece = np.searchsorted(ascending, raw[start : start + PIECE]).astype(np.int32)
        if dense is chats:
            raw[start : start + PIECE] = piece
        else:
            dense.frombytes(piece.tobytes())
    del raw
    return dense, ascending
