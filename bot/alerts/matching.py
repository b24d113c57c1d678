"""Which subscriptions want an article, computed from postings instead of a scan.

Each subscription is a conjunction of clauses: the (tag, sentiment) clause, the source
clause, the language clause and one clause per keyword, minus its excluded keywords.

* Subscriptions with only tags/sentiments ("plain", the bulk) are listed under every
  (tag, sentiment) key they accept, "any" being key 0, so an article's few keys give
  exactly the matching plain subscriptions.
* The others ("counted") are listed under each clause they require; a subscription
  matches when the number of its postings the article hits equals its clause count.
* Exclusions are postings of their own, subtracted at the end.

The cost of ``match`` is the size of the postings an article touches, i.e. the matches
(``bot/alerts/slot_sets.py``; when an article touches a large share of all subscriptions, big
postings are OR-ed as packed bitmaps instead). Storage is compact (about 100 MB for
5,000,000 subscriptions): postings are ``array('i')`` of slot numbers, per-slot data
are flat arrays (id, chat, clause count, alive), and no filter object is kept. numpy
does the set algebra on zero-copy views of those arrays. Removal marks a slot dead;
a compaction rebuilds everything once a quarter of the slots are dead.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np

from bot.alerts.chat_numbers import ChatNumbers
from bot.alerts.slot_sets import DENSE_SHARE, EMPTY, Posting, SlotSets
from bot.alerts.subscription_filter import ArticleText, article_lang, mismatches
from bot.i18n import _
from bot.models import Article, Sentiment, Subscription, SubscriptionFilter

SENTIMENT_CODE = {Sentiment.POSITIVE: 1, Sentiment.NEGATIVE: 2, Sentiment.NEUTRAL: 3}
BITMAP_SHARE = 64  # postings holding at least 1/64 of all slots also keep a bitmap
NARROW = 2**31
PLAIN = 255  # a plain subscription's clause count: no count of clauses reaches it


def _bitmap(slots: array, size: int) -> bytearray:
    marks = np.zeros(size + 4096 * 8, dtype=np.bool_)
    marks[_view(slots)] = True
    return bytearray(np.packbits(marks, bitorder="little").tobytes())


def _view(values: array) -> np.ndarray:
    return np.frombuffer(values, dtype=np.int32) if len(values) else EMPTY


def ids_view(ids: array) -> np.ndarray:
    """Subscription ids (int32 while every id fits, else int64) as a zero-copy array."""
    return np.frombuffer(ids, dtype=np.int32 if ids.typecode == "i" else np.int64)


def ids_for(ids: array, low: int, high: int) -> array:
    """``ids``, widened to int64 when ``low``..``high`` does not fit int32 (4 bytes a
    subscription: 20 MB at 5,000,000, decision 034)."""
    if ids.typecode == "i" and not (-NARROW <= low and high < NARROW):
        return array("q", ids_view(ids).astype(np.int64).tobytes())
    return ids


class SubscriptionIndex:
    """Subscriptions by clause; add/remove one at a time, match an article in milliseconds."""

    def __init__(self, *, dense_share: int = DENSE_SHARE) -> None:
        self._ids = array("i")  # slot -> subscription id (see ``ids_for``)
        self._chats = array("i")  # slot -> dense chat number
        self._chat_numbers = ChatNumbers()  # dense chat number <-> chat database id
        self._required = bytearray()  # slot -> clauses a counted subscription needs (PLAIN)
        self._alive = bytearray()  # slot -> 1 while the subscription is active
        self._sorted_len = 0  # ids[:sorted_len] ascend; later slots are found via _late
        self._late: dict[int, int] = {}
        self._dead = 0
        self._tag_ids: dict[str, int] = {}
        self._plain: dict[int, array] = {}
        self._counted: dict[int, array] = {}
        self._plain_bits: dict[int, bytearray] = {}
        self._counted_bits: dict[int, bytearray] = {}
        self._sources: dict[str, array] = {}
        self._langs: dict[str, array] = {}
        self._keywords: dict[str, array] = {}
        self._excluded: dict[str, array] = {}
        self._phrases: dict[str, set[str]] = {}  # first two words -> phrases in either table
        self._sets = SlotSets(dense_share)
        self._chat_seen = np.zeros(0, dtype=np.bool_)
        self._chat_best = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ building

    def __len__(self) -> int:
        return len(self._ids) - self._dead

    def __contains__(self, subscription_id: int) -> bool:
        return self._slot_of(subscription_id) is not None

    def subscription_ids(self) -> list[int]:
        """Every indexed (active) subscription id."""
        return [sid for sid, alive in zip(self._ids, self._alive, strict=True) if alive]

    @property
    def max_id(self) -> int:
        return max(self._ids) if self._late else (self._ids[-1] if self._ids else 0)

    def add_subscription(self, subscription: Subscription, chat_id: int) -> bool:
        if not subscription.active:
            return False
        return self.add(subscription.id, chat_id, subscription.filter)

    def add(self, subscription_id: int, chat_id: int, flt: SubscriptionFilter) -> bool:
        """Index one active subscription; False when it is already indexed."""
        slot = len(self._ids)
        if not self._late and (not slot or subscription_id > self._ids[-1]):
            self._sorted_len = slot + 1  # the common case: ids arrive in ascending order
        elif self._slot_of(subscription_id) is not None:
            return False
        else:
            self._late[subscription_id] = slot
        self._ids = ids_for(self._ids, subscription_id, subscription_id)
        self._ids.append(subscription_id)
        self._chats.append(self._chat_numbers.number(chat_id))
        if self._chat_numbers.needs_renumbering():
            remap = self._chat_numbers.renumber()
            self._chats = array("i", remap[np.frombuffer(self._chats, dtype=np.int32)].tobytes())
        self._alive.append(1)
        required, postings = self.clauses(flt)
        self._required.append(required)
        for table, key in postings:
            if table is self._plain or table is self._counted:
                bits = self._plain_bits if table is self._plain else self._counted_bits
                self._post_struct(table, bits, key, slot)  # type: ignore[arg-type]
            elif table is self._keywords or table is self._excluded:
                self._post_keyword(table, key, slot)  # type: ignore[arg-type]
            else:
                self._post(table, key, slot)
        if len(self._late) >= max(4096, slot // 8):
            self._compact()
        return True

    def clauses(self, flt: SubscriptionFilter) -> tuple[int, list[tuple[dict, object]]]:
        """(clauses a counted subscription needs, PLAIN for plain; the (table, key) postings
        one subscription with this filter goes under): shared by ``add`` and bulk loads."""
        sentiments = flt.sentiments if len(flt.sentiments) < 3 else frozenset()
        keywords = flt.keywords if len(flt.keywords) < 2 else tuple(dict.fromkeys(flt.keywords))
        keys = self._struct_keys(flt.tags, sentiments)
        postings: list[tuple[dict, object]] = []
        if not (flt.sources or flt.lang or keywords):
            required = PLAIN
            postings += [(self._plain, key) for key in keys]
        else:
            required = (1 if flt.tags or sentiments else 0) + len(keywords)
            required = min(PLAIN - 1, required + bool(flt.sources) + bool(flt.lang))
            if flt.tags or sentiments:
                postings += [(self._counted, key) for key in keys]
            postings += [(self._sources, source) for source in flt.sources]
            if flt.lang:
                postings.append((self._langs, flt.lang))
            postings += [(self._keywords, keyword) for keyword in keywords]
        postings += [(self._excluded, k) for k in dict.fromkeys(flt.exclude_keywords)]
        return required, postings

    def add_many(self, rows: Iterable[tuple[int, int, SubscriptionFilter]]) -> int:
        """Index (subscription id, chat id, filter) rows, e.g. streamed from storage."""
        return sum(1 for sid, chat, flt in rows if self.add(sid, chat, flt))

    def remove(self, subscription_id: int) -> bool:
        """Forget one subscription; False when it was not indexed."""
        slot = self._slot_of(subscription_id)
        if slot is None:
            return False
        self._alive[slot] = 0
        self._late.pop(subscription_id, None)
        self._dead += 1
        if self._dead >= 1024 and self._dead * 4 >= len(self._ids):
            self._compact()
        return True

    def remove_chat(self, chat_id: int) -> int:
        """Forget every subscription of a chat (chat gone or deactivated)."""
        number = self._chat_numbers.find(chat_id)
        if number is None or not self._ids:
            return 0
        chats = np.frombuffer(self._chats, dtype=np.int32)
        alive = np.frombuffer(self._alive, dtype=np.uint8)
        slots = np.flatnonzero((chats == number) & (alive == 1))
        del chats, alive
        ids = [self._ids[int(slot)] for slot in slots]
        for subscription_id in ids:
            self.remove(subscription_id)
        return len(ids)

    def chat_of(self, subscription_id: int) -> int | None:
        slot = self._slot_of(subscription_id)
        return None if slot is None else self._chat_numbers.db[self._chats[slot]]

    # ------------------------------------------------------------------ matching

    def match_slots(self, article: Article) -> np.ndarray:
        """Distinct slot numbers of the matching subscriptions, unordered (an integer array)."""
        if article.draft or article.retracted or not self._ids:
            return EMPTY
        keys, tag_count = self._article_keys(article)
        text = ArticleText.of(article)
        clauses = [
            self._sources.get((article.source_key or "").lower()),
            self._langs.get(article_lang(article)),
            *(self._keywords[k] for k in self._present_keywords(text, self._keywords)),
        ]
        return self._sets.match(
            len(self._ids),
            plain=self._postings(self._plain, self._plain_bits, keys),
            struct=self._postings(self._counted, self._counted_bits, keys),
            clauses=[_view(p) for p in clauses if p is not None],
            excluded=[
                _view(self._excluded[k]) for k in self._present_keywords(text, self._excluded)
            ],
            required=np.frombuffer(self._required, dtype=np.uint8),
            alive=np.frombuffer(self._alive, dtype=np.uint8) if self._dead else None,
            # Postings of one family overlap only through multi-tag subscriptions and articles.
            overlapping=tag_count > 1,
        )

    def match_ids(self, article: Article) -> np.ndarray:
        """Matching subscription ids as an int64 array (no Python objects per match)."""
        slots = self.match_slots(article)
        if not len(slots):
            return np.zeros(0, dtype=np.int64)
        return ids_view(self._ids)[slots].astype(np.int64, copy=False)

    def match(self, article: Article) -> set[int]:
        """Matching subscription ids."""
        return set(self.match_ids(article).tolist())

    def match_chats(self, article: Article) -> dict[int, int]:
        """Chat id -> one matching subscription id: one entry per chat, however many match."""
        chats, chosen = self.match_chat_arrays(article)
        return dict(zip(chats.tolist(), chosen.tolist(), strict=True))

    def match_chat_arrays(self, article: Article) -> tuple[np.ndarray, np.ndarray]:
        """(chat ids, one matching subscription id of each): ``match_chats`` as arrays.

        The subscription reported for a chat is one of its matching ones (in practice the
        lowest id, as slots are written in reverse id order); callers must not rely on which."""
        slots = self.match_slots(article)
        if not len(slots):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        slots = slots[::-1]
        chats = np.frombuffer(self._chats, dtype=np.int32)[slots]
        ids = ids_view(self._ids)[slots]
        chat_db = self._chat_numbers.db
        if len(self._chat_seen) < len(chat_db):
            size = len(chat_db) + 1024
            self._chat_seen = np.zeros(size, dtype=np.bool_)
            self._chat_best = np.zeros(size, dtype=np.int64)
        seen, best = self._chat_seen, self._chat_best
        seen[chats] = True
        best[chats] = ids  # repeated chats: any write is a matching subscription of that chat
        touched = np.flatnonzero(seen[: len(chat_db)])
        chosen = best[touched]
        seen[touched] = False
        return np.frombuffer(chat_db, dtype=np.int64)[touched], chosen

    @staticmethod
    def explain(article: Article, subscription: Subscription) -> str:
        """Why a subscription does or does not want an article, in one line for ``/why``."""
        reasons = mismatches(subscription.filter, article)
        if not reasons:
            return _("subscription #{id} matches", id=subscription.id)
        return _("subscription #{id}", id=subscription.id) + " " + "; ".join(reasons)

    # ------------------------------------------------------------------ internals

    def _slot_of(self, subscription_id: int) -> int | None:
        slot = self._late.get(subscription_id)
        if self._ids.typecode == "i" and not -NARROW <= subscription_id < NARROW:
            return None  # wider than every indexed id
        if slot is None and self._sorted_len:
            ids = ids_view(self._ids)[: self._sorted_len]
            at = int(np.searchsorted(ids, subscription_id))
            if at < self._sorted_len and ids[at] == subscription_id:
                slot = at
        if slot is None or not self._alive[slot]:
            return None
        return slot

    def _tag_id(self, tag: str) -> int:
        found = self._tag_ids.get(tag)
        if found is None:
            found = self._tag_ids[tag] = len(self._tag_ids) + 1
        return found

    def _struct_keys(self, tags: frozenset[str], sentiments: frozenset[Sentiment]) -> list[int]:
        tag_ids = [self._tag_id(t) for t in tags] or [0]
        codes = [SENTIMENT_CODE[s] for s in sentiments] or [0]
        return [t * 4 + s for t in tag_ids for s in codes]

    def _article_keys(self, article: Article) -> tuple[list[int], int]:
        tags = {self._tag_ids.get(t.upper()) for t in article.tags} - {None}
        sentiment = SENTIMENT_CODE.get(article.sentiment, 0)
        keys = [t * 4 + s for t in (0, *tags) for s in (0, sentiment)]  # type: ignore[operator]
        return keys, len(tags)

    @staticmethod
    def _postings(
        table: dict[int, array], bits: dict[int, bytearray], keys: list[int]
    ) -> list[Posting]:
        found = []
        for key in keys:
            slots = table.get(key)
            if slots is not None:
                packed = bits.get(key)
                view = np.frombuffer(packed, dtype=np.uint8) if packed is not None else None
                found.append((_view(slots), view))
        return found

    def _post_struct(
        self, table: dict[int, array], bits: dict[int, bytearray], key: int, slot: int
    ) -> None:
        """Post a slot; big postings also keep a packed bitmap for dense matching."""
        self._post(table, key, slot)
        packed = bits.get(key)
        if packed is not None:
            byte = slot >> 3
            if byte >= len(packed):
                packed.extend(bytes(byte + 1 - len(packed) + len(packed) // 2 + 4096))
            packed[byte] |= 1 << (slot & 7)
            return
        count = len(table[key])
        if count % 1024 == 0 and count * BITMAP_SHARE >= len(self._ids):
            bits[key] = _bitmap(table[key], len(self._ids))

    @staticmethod
    def _post(table: dict, key: object, slot: int) -> None:
        postings = table.get(key)
        if postings is None:
            postings = table[key] = array("i")
        postings.append(slot)

    def _post_keyword(self, table: dict[str, array], keyword: str, slot: int) -> None:
        self._post(table, keyword, slot)
        if " " in keyword:
            pair = " ".join(keyword.split(" ", 2)[:2])
            self._phrases.setdefault(pair, set()).add(keyword)

    def _present_keywords(self, text: ArticleText, table: dict[str, array]) -> list[str]:
        if not table:
            return []
        found = list(table.keys() & text.words)
        for pair in self._phrases.keys() & text.pairs:
            found += [p for p in self._phrases[pair] if p in table and text.contains(p)]
        return found

    def _compact(self) -> None:
        """Rebuild without dead slots, in id order (a quarter dead, or many late adds)."""
        ids = ids_view(self._ids)
        alive = np.frombuffer(self._alive, dtype=np.uint8) == 1
        old = np.flatnonzero(alive)
        old = old[np.argsort(ids[old], kind="stable")]
        new_of_old = np.full(len(ids), -1, dtype=np.int32)
        new_of_old[old] = np.arange(len(old), dtype=np.int32)
        chats = np.frombuffer(self._chats, dtype=np.int32)[old].copy()
        required = np.frombuffer(self._required, dtype=np.uint8)[old].copy()
        new_ids = ids[old].copy()
        del ids, alive
        for table in (
            self._plain,
            self._counted,
            self._sources,
            self._langs,
            self._keywords,
            self._excluded,
        ):
            for key in list(table):
                mapped = new_of_old[_view(table[key])]
                mapped = np.sort(mapped[mapped >= 0])
                if len(mapped):
                    table[key] = array("i", mapped.tobytes())
                else:
                    del table[key]
        for table, bits in ((self._plain, self._plain_bits), (self._counted, self._counted_bits)):
            bits.clear()
            for key, slots in table.items():
                if len(slots) >= 1024 and len(slots) * BITMAP_SHARE >= len(new_ids):
                    bits[key] = _bitmap(slots, len(new_ids))
        self._ids = array(self._ids.typecode, new_ids.tobytes())
        self._chats = array("i", chats.tobytes())
        self._required = bytearray(required.tobytes())
        self._alive = bytearray(len(new_ids))
        np.frombuffer(self._alive, dtype=np.uint8)[:] = 1
        self._sorted_len = len(new_ids)
        self._late = {}
        self._dead = 0
        self._sets.reset()
