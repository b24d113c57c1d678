"""Building the subscription index in one go at start-up, from compact columns.

Adding subscriptions one by one costs ~11 µs each in Python (every posting list grows
row by row, one filter object per row), so a million took 11 s after 10 s more of
reading and decoding. At start-up the rows arrive in id order and nearly all of them
share one of a few thousand distinct filters, so storage hands over columns instead
(``SubscriptionBatch``: ids, chat ids and the number of each row's filter, with every
distinct filter decoded once) and ``BulkLoad`` groups the rows by filter with one numpy
sort and posts each filter's slots as one slice. The index it builds is the one ``add``
would have built for the same rows (tests compare them).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from bot.alerts.matching import BITMAP_SHARE, SubscriptionIndex, _bitmap
from bot.models import SubscriptionFilter


@dataclass(slots=True)
class SubscriptionBatch:
    """Active subscriptions as columns: ``filters`` holds the distinct filters first seen
    in this batch, numbered after those of the earlier batches of the same load."""

    ids: array = field(default_factory=lambda: array("q"))  # ascending across batches
    chats: array = field(default_factory=lambda: array("q"))  # chat database ids
    shapes: array = field(default_factory=lambda: array("i"))  # filter number per row
    filters: list[SubscriptionFilter] = field(default_factory=list)


class BulkLoad:
    """Collects batches, then builds an empty index from them in one go."""

    def __init__(self) -> None:
        self.rows = SubscriptionBatch()

    def add(self, batch: SubscriptionBatch) -> None:
        if self.rows.ids and batch.ids and batch.ids[0] <= self.rows.ids[-1]:
            raise ValueError("subscription batches must come in ascending id order")
        self.rows.ids.extend(batch.ids)
        self.rows.chats.extend(batch.chats)
        self.rows.shapes.extend(batch.shapes)
        self.rows.filters.extend(batch.filters)

    def __len__(self) -> int:
        return len(self.rows.ids)

    def build(self, index: SubscriptionIndex) -> int:
        """Fill ``index`` (which must be empty); returns the number of subscriptions."""
        if len(index._ids):
            raise ValueError("bulk loads fill an empty index only")
        ids = np.frombuffer(self.rows.ids, dtype=np.int64)
        count = len(ids)
        if not count:
            return 0
        shapes = np.frombuffer(self.rows.shapes, dtype=np.int32)
        chats = np.frombuffer(self.rows.chats, dtype=np.int64)
        chat_db, dense = np.unique(chats, return_inverse=True)
        # Each filter's postings once, as numbers: (table, key) -> posting number.
        numbers: dict[tuple[int, object], int] = {}
        where: list[tuple[dict, object]] = []
        flat: list[int] = []
        per_filter = np.zeros(len(self.rows.filters), dtype=np.int64)
        needed = np.zeros(len(self.rows.filters), dtype=np.uint8)
        for number, flt in enumerate(self.rows.filters):
            needed[number], postings = index.clauses(flt)
            per_filter[number] = len(postings)
            for table, key in postings:
                found = numbers.get((id(table), key))
                if found is None:
                    found = numbers[(id(table), key)] = len(where)
                    where.append((table, key))
                flat.append(found)
        # Every (slot, posting) pair of every row at once, grouped by posting; the stable
        # sort keeps each posting's slots ascending, as ``add`` in id order leaves them.
        starts = np.cumsum(per_filter) - per_filter
        counts = per_filter[shapes]
        slots = np.repeat(np.arange(count, dtype=np.int32), counts)
        within = np.arange(len(slots), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        posting = np.asarray(flat, dtype=np.int32)[np.repeat(starts[shapes], counts) + within]
        del counts, within
        order = np.argsort(posting, kind="stable")
        bounds = np.searchsorted(posting[order], np.arange(len(where) + 1))
        grouped = slots[order]
        del slots, posting, order
        for number, (table, key) in enumerate(where):
            table[key] = array("i", grouped[bounds[number] : bounds[number + 1]].tobytes())
            if (table is index._keywords or table is index._excluded) and " " in key:  # type: ignore[operator]
                pair = " ".join(key.split(" ", 2)[:2])  # type: ignore[attr-defined]
                index._phrases.setdefault(pair, set()).add(key)  # type: ignore[arg-type]
        required = needed[shapes]
        for table, bits in (
            (index._plain, index._plain_bits),
            (index._counted, index._counted_bits),
        ):
            for key, slots in table.items():  # as ``_post_struct`` would have decided
                if len(slots) >= 1024 and len(slots) * BITMAP_SHARE >= count:
                    bits[key] = _bitmap(slots, count)
        index._ids = array("q", ids.tobytes())
        index._chats = array("i", dense.astype(np.int32).tobytes())
        index._chat_db = array("q", chat_db.tobytes())
        index._chat_numbers = dict(zip(chat_db.tolist(), range(len(chat_db)), strict=True))
        index._required = bytearray(required.tobytes())
        index._alive = bytearray(b"\x01" * count)
        index._sorted_len = count
        index._sets.reset()
        self.rows = SubscriptionBatch()
        return count
