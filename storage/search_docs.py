"""What the search index stores of an article and what a search returns of it.

Why apart from ``storage/search_index.py``: these are plain data (no tantivy), shared by
the worker that writes the index (``search_sync``) and the search that reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TF_CAP = 31  # occurrences of a word counted per field (10 * 31 / 32.2 = 9.6 of 10)
_BITS = (1, 2, 4, 8, 16)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (UTC if naive), as stored in the ``at`` field."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True, slots=True)
class Doc:
    """What the index needs of one visible article."""

    id: int
    title: str
    summary: str
    body: str
    tags: Sequence[str]
    sentiment: str
    sources: Sequence[str]  # lower-cased source key and name
    at: int  # published_at in epoch microseconds


@dataclass(frozen=True, slots=True)
class Candidates:
    """Parallel arrays, one entry per candidate."""

    ids: Any  # numpy int64
    ats: Any  # published_at, epoch microseconds
    in_title: Any  # query terms found in the title (float64)
    in_summary: Any

    def only(self, keep: Any) -> Candidates:
        """The candidates at ``keep`` (indexes or a boolean mask)."""
        return Candidates(
            self.ids[keep], self.ats[keep], self.in_title[keep], self.in_summary[keep]
        )

    def newest(self, limit: int) -> Candidates:
        """The ``limit`` candidates with the highest ids."""
        import numpy as np

        return self.only(np.argsort(-self.ids, kind="stable")[:limit])

    @classmethod
    def empty(cls) -> Candidates:
        import numpy as np

        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none.astype(np.float64), none.astype(np.float64))


def counted(tokens: Iterable[str]) -> list[str]:
    """A word found n times (capped at ``TF_CAP``) as one ``word#2^b`` term per bit b set
    in n: a query adding 2^b points per such term it finds reads the word's count in the
    field (FTS5's ``highlight()`` counted it; tantivy's scores do not expose it) with
    five clauses per word and field."""
    counts = Counter(tokens)
    return [
        f"{token}#{bit}" for token, n in counts.items() for bit in _BITS if min(n, TF_CAP) & bit
    ]
