"""Inline keyboards: the /subscribe picker and paginated /latest and /search lists.

The picker opens with the tags the chat already follows ticked ("✅ BTC"); a tap switches
that tag's alerts on or off at once through the core's own /subscribe and /unsubscribe, so
what the keyboard shows is what the chat gets. Its state lives in the keyboard itself, so
any admin can keep tapping after a restart; only list pages live in a small in-memory
cache. Callback data stays under Telegram's 64-byte limit.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _
from bot.models import Article, Sentiment

CHECK = "✅ "
MAX_CALLBACK_BYTES = 64
PAGE_SIZE = 5
SUB_PREFIX = "sub"
PAGE_PREFIX = "pg"
SENTIMENT_LABELS = {
    Sentiment.POSITIVE: ("📈", N_("positive")),
    Sentiment.NEGATIVE: ("📉", N_("negative")),
    Sentiment.NEUTRAL: ("➖", N_("neutral")),
}


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def subscribe_keyboard(
    tags: Sequence[str], *, on: Collection[str] = (), target: str | None = None
) -> InlineKeyboardMarkup:
    """Popular tags (three a row, ``on`` ones ticked), the sentiments, then Done.

    A tag tap switches that tag's alerts on or off at once; the sentiment row only
    chooses what a tag switched on next asks for. ``target`` is a channel id when an admin
    configures a channel from a private chat (carried by the Done button).
    """
    ticked = {tag.upper() for tag in on}
    buttons = [
        InlineKeyboardButton(
            CHECK + tag if tag.upper() in ticked else tag, callback_data=f"{SUB_PREFIX}:t:{tag}"
        )
        for tag in tags
        if _fits(f"{SUB_PREFIX}:t:{tag}")
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append(
        [
            InlineKeyboardButton(
                f"{icon} {_(word)}", callback_data=f"{SUB_PREFIX}:s:{sentiment.value}"
            )
            for sentiment, (icon, word) in SENTIMENT_LABELS.items()
        ]
    )
    done = f"{SUB_PREFIX}:x:{target}" if target else f"{SUB_PREFIX}:x"
    rows.append([InlineKeyboardButton(_("✔ Done"), callback_data=done)])
    return InlineKeyboardMarkup(rows)


def toggled(markup: InlineKeyboardMarkup, data: str) -> InlineKeyboardMarkup:
    """The same keyboard with the button carrying ``data`` switched on or off."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            text = button.text
            if button.callback_data == data:
                text = text.removeprefix(CHECK) if text.startswith(CHECK) else CHECK + text
            new_row.append(InlineKeyboardButton(text, callback_data=button.callback_data))
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)


def with_tags_on(markup: InlineKeyboardMarkup, on: Collection[str]) -> InlineKeyboardMarkup:
    """The same keyboard with exactly the tags in ``on`` ticked (sentiments untouched).

    Switching one tag off removes every subscription naming it, which may switch others
    off too (``/subscribe BTC ETH`` is one subscription): the core's answer is the truth.
    """
    ticked = {tag.upper() for tag in on}
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            data, text = str(button.callback_data or ""), button.text
            parts = data.split(":", 2)
            if parts[:2] == [SUB_PREFIX, "t"] and len(parts) == 3:
                text = (CHECK if parts[2].upper() in ticked else "") + parts[2]
            new_row.append(InlineKeyboardButton(text, callback_data=button.callback_data))
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)


def is_on(markup: InlineKeyboardMarkup | None, data: str) -> bool:
    """Whether the button carrying ``data`` is ticked."""
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text.startswith(CHECK)
    return False


def picker_target(markup: InlineKeyboardMarkup | None) -> str | None:
    """The channel a picker configures (from its Done button), None for the chat itself.

    Pickers sent before tags toggled at once carried it on a Subscribe button (``sub:go``).
    """
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            parts = str(button.callback_data or "").split(":", 2)
            if parts[:2] in ([SUB_PREFIX, "x"], [SUB_PREFIX, "go"]) and len(parts) == 3:
                return parts[2] if parts[2].lstrip("-").isdigit() else None
    return None


@dataclass(frozen=True, slots=True)
class Selection:
    """What the picker shows as chosen."""

    tags: tuple[str, ...]
    sentiments: tuple[Sentiment, ...]

    def subscribe_command(self, tag: str) -> str:
        """``/subscribe TAG`` with the chosen sentiments (none chosen: every sentiment)."""
        words = [tag, *(s.value.lower() for s in self.sentiments)]
        return "/subscribe " + " ".join(words)


def selection(markup: InlineKeyboardMarkup | None) -> Selection:
    tags: list[str] = []
    sentiments: list[Sentiment] = []
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = str(button.callback_data or "")
            if not button.text.startswith(CHECK):
                continue
            parts = data.split(":", 2)
            if parts[:2] == [SUB_PREFIX, "t"]:
                tags.append(parts[2])
            elif parts[:2] == [SUB_PREFIX, "s"]:
                sentiments.append(Sentiment(parts[2]))
    return Selection(tuple(tags), tuple(sentiments))


@dataclass(slots=True)
class ArticlePages:
    """One command's results, shown PAGE_SIZE at a time."""

    header: str
    articles: tuple[Article, ...]
    chat_id: int
    created_at: float
    footer: str = ""

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.articles) / PAGE_SIZE))

    def page(self, number: int) -> tuple[Article, ...]:
        start = (number - 1) * PAGE_SIZE
        return self.articles[start : start + PAGE_SIZE]


class PageCache:
    """Recent result lists by short token; bounded in size and age."""

    def __init__(
        self,
        *,
        max_entries: int = 500,
        ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, ArticlePages] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl_s
        self._clock = clock

    def put(self, header: str, articles: Sequence[Article], chat_id: int, footer: str = "") -> str:
        token = secrets.token_urlsafe(6)
        self._entries[token] = ArticlePages(header, tuple(articles), chat_id, self._clock(), footer)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return token

    def get(self, token: str) -> ArticlePages | None:
        entry = self._entries.get(token)
        if entry is None or self._clock() - entry.created_at > self._ttl:
            self._entries.pop(token, None)
            return None
        self._entries.move_to_end(token)
        return entry


def page_keyboard(token: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀ Prev · n/m · Next ▶ (only the buttons that lead somewhere); None for one page."""
    if pages <= 1:
        return None
    row = []
    if page > 1:
        row.append(
            InlineKeyboardButton(_("◀ Prev"), callback_data=f"{PAGE_PREFIX}:{token}:{page - 1}")
        )
    row.append(
        InlineKeyboardButton(f"{page}/{pages}", callback_data=f"{PAGE_PREFIX}:{token}:{page}")
    )
    if page < pages:
        row.append(
            InlineKeyboardButton(_("Next ▶"), callback_data=f"{PAGE_PREFIX}:{token}:{page + 1}")
        )
    return InlineKeyboardMarkup([row])


class PickerStates:
    """The latest keyboard of each open picker, so fast taps build on each other.

    Each tap's callback carries the message as it was when tapped; two quick taps would
    both start from the same old keyboard. A lock per picker serialises them; when a picker
    is not known here (after a restart) the keyboard carried by the tap is the state.
    """

    def __init__(self, *, max_entries: int = 1000) -> None:
        self._markups: OrderedDict[tuple[int, int], InlineKeyboardMarkup] = OrderedDict()
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._max = max_entries

    def lock(self, key: tuple[int, int]) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def current(
        self, key: tuple[int, int], carried: InlineKeyboardMarkup | None
    ) -> InlineKeyboardMarkup | None:
        return self._markups.get(key, carried)

    def remember(self, key: tuple[int, int], markup: InlineKeyboardMarkup) -> None:
        self._markups[key] = markup
        self._markups.move_to_end(key)
        while len(self._markups) > self._max:
            old, _markup = self._markups.popitem(last=False)
            lock = self._locks.get(old)
            if lock is not None and not lock.locked():
                del self._locks[old]

    def close(self, key: tuple[int, int]) -> None:
        self._markups.pop(key, None)
        self._locks.pop(key, None)
