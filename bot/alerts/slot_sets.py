"""Set algebra over postings of subscription slots, with scratch buffers reused across calls.

Plain subscriptions (tags/sentiments only) match when any of their postings is hit:
postings of one family that cannot overlap (an article with one tag) are simply
concatenated, a cost equal to the answer. Overlapping ones are deduplicated with scratch
marks touched only where the postings point (sparse), or, when they cover a large share
of all slots, by OR-ing the packed bitmaps kept for big postings (N/8 bytes each) and
reading the set bits once (dense). Counted subscriptions always go sparse (decision
034): each needs a source, language or keyword clause, so only slots in those postings
are counted, and their (tag, sentiment) clause is a bit test of those slots alone.
The scratch buffers are all-zero between calls.
"""

from __future__ import annotations

import numpy as np

EMPTY = np.zeros(0, dtype=np.int32)
Posting = tuple[np.ndarray, "np.ndarray | None"]
DENSE_SHARE = 16  # go dense when the postings touch at least 1/16 of all slots


def concat(parts: list[np.ndarray]) -> np.ndarray:
    """One array from several; never a view of a posting (it would pin the array's size)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)


class SlotSets:
    """Scratch space plus the two strategies; one instance per index."""

    def __init__(self, dense_share: int = DENSE_SHARE) -> None:
        self.dense_share = dense_share  # 0: always sparse
        self._marks = np.zeros(0, dtype=np.bool_)
        self._counts = np.zeros(0, dtype=np.uint8)

    def reset(self) -> None:
        """Give the scratch memory back (after a compaction shrank the index)."""
        self.__init__(self.dense_share)  # type: ignore[misc]

    def _ensure(self, size: int) -> None:
        if len(self._marks) < size:
            grown = size + size // 8 + 4096
            self._marks = np.zeros(grown, dtype=np.bool_)
            self._counts = np.zeros(grown, dtype=np.uint8)

    def match(
        self,
        size: int,
        plain: list[Posting],
        struct: list[Posting],
        clauses: list[np.ndarray],
        excluded: list[np.ndarray],
        required: np.ndarray,
        alive: np.ndarray | None,
        *,
        overlapping: bool,
    ) -> np.ndarray:
        """Slots in ``plain``, or whose required clause count is met by ``struct`` (counted
        once however many of its postings hit) plus ``clauses``; minus ``excluded``; only
        ``alive`` ones. ``overlapping`` says whether postings of one family may share slots.
        A ``Posting`` is (slots, packed bitmap or None); the bitmap serves the dense path."""
        self._ensure(size)
        counted = self._counted(size, struct, clauses, required) if clauses else EMPTY
        counted = self._keep(counted, excluded, alive)
        touched = sum(len(p) for p, _ in plain)
        if overlapping and self.dense_share and touched * self.dense_share >= size:
            marks = _bitmap_union(size, plain)
            for out in excluded:
                marks[out] = False
            if alive is not None:
                np.logical_and(marks, alive[:size], out=marks)
            found = np.flatnonzero(marks)
        else:
            found = (self.distinct if overlapping else concat)([p for p, _ in plain])
            found = self._keep(found, excluded, alive)
        # disjoint: a subscription is plain or counted, not both
        return np.concatenate((found, counted)) if len(counted) else found

    def _keep(
        self, slots: np.ndarray, excluded: list[np.ndarray], alive: np.ndarray | None
    ) -> np.ndarray:
        """``slots`` without the excluded and the dead ones."""
        if excluded and len(slots):
            marks = self._marks
            for out in excluded:
                marks[out] = True
            slots = slots[~marks[slots]]
            for out in excluded:
                marks[out] = False
        if alive is not None and len(slots):
            slots = slots[alive[slots] == 1]
        return slots

    def distinct(self, parts: list[np.ndarray]) -> np.ndarray:
        """Union of postings (each free of repeats) in time proportional to their length."""
        parts = [p for p in parts if len(p)]
        if len(parts) <= 1:
            return concat(parts)
        marks = self._marks
        pieces = [parts[0]]
        marks[parts[0]] = True
        for part in parts[1:]:
            fresh = part[~marks[part]]
            marks[fresh] = True
            pieces.append(fresh)
        for piece in pieces:
            marks[piece] = False
        return np.concatenate(pieces)

    def _counted(
        self, size: int, struct: list[Posting], clauses: list[np.ndarray], required: np.ndarray
    ) -> np.ndarray:
        """Counted subscriptions whose every clause the article meets. Each of them
        requires a source, language or keyword clause, so only slots in ``clauses`` can
        match: they are counted where they point, and the (tag, sentiment) clause is a
        bit test of those slots alone (its postings can cover a third of all slots)."""
        counts = self._counts
        for part in clauses:
            counts[part] += 1
        if struct:
            candidates = concat(clauses)
            hit = candidates[self._struct_hit(size, struct, candidates)]
            counts[hit] += 1  # once per slot, however often it repeats in ``hit``
        done = []
        for part in clauses:
            full = part[counts[part] == required[part]]
            counts[full] = 0  # reported once, even when listed in several parts
            done.append(full)
        for part in clauses:
            counts[part] = 0
        return concat(done)

    def _struct_hit(self, size: int, struct: list[Posting], slots: np.ndarray) -> np.ndarray:
        """Which ``slots`` are in any of the ``struct`` postings (a bool per slot)."""
        hit = np.zeros(len(slots), dtype=np.bool_)
        packed = None
        for _slots, bits in struct:
            if bits is not None:
                if packed is None:
                    packed = np.zeros((size + 7) // 8, dtype=np.uint8)
                n = min(len(bits), len(packed))
                np.bitwise_or(packed[:n], bits[:n], out=packed[:n])
        if packed is not None:
            shift = (slots & 7).astype(np.uint8)
            hit |= ((packed[slots >> 3] >> shift) & 1).view(np.bool_)
        small = [posting for posting, bits in struct if bits is None]
        if small:
            marks = self._marks
            for posting in small:
                marks[posting] = True
            hit |= marks[slots]
            for posting in small:
                marks[posting] = False
        return hit


def _bitmap_union(size: int, parts: list[Posting]) -> np.ndarray:
    """A bool per slot: OR of the packed bitmaps where a posting has one, else scattered."""
    nbytes = (size + 7) // 8
    packed = np.zeros(nbytes, dtype=np.uint8)
    scattered = []
    for slots, bits in parts:
        if bits is None:
            scattered.append(slots)
        else:
            n = min(len(bits), nbytes)
            np.bitwise_or(packed[:n], bits[:n], out=packed[:n])
    marks = np.unpackbits(packed, count=size, bitorder="little").view(np.bool_)
    for slots in scattered:
        marks[slots] = True
    return marks
