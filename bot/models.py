"""Neutral value types shared by the core, the storage layer and every adapter.

Nothing here knows a platform or SQL: adapters translate to and from these types,
storage persists them. Keep them small, immutable where possible, and typed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def tuple_state(cls: type[T]) -> type[T]:
    """Pickle a frozen slotted dataclass as the tuple of its field values (decision 048).

    ``dataclass(frozen=True, slots=True)`` pickles through its own ``__getstate__`` and
    ``__setstate__``, which call ``dataclasses.fields()`` on every object, both ways: most
    of the cost of a parse worker's result, which the writer's process unpickles for every
    article (four such objects each). The names are worked out once here; the values and
    their order are the same."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values: Callable[[Any], Any] = attrgetter(*names)
    setter = object.__setattr__
    if len(names) == 1:  # attrgetter of one name returns the value itself

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return (values(self),)
    else:

        def __getstate__(self: Any) -> tuple[Any, ...]:
            return values(self)  # type: ignore[no-any-return]

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            setter(self, name, value)

    cls.__getstate__ = __getstate__  # type: ignore[assignment,method-assign]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]
    return cls


class Sentiment(enum.StrEnum):
    """Market mood of an article; stored and shown in upper case."""

    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"

    @classmethod
    def parse(cls, value: str) -> Sentiment:
        """Accept any case and the market words users actually type."""
        aliases = {
            "bullish": "POSITIVE",
            "bearish": "NEGATIVE",
            "pos": "POSITIVE",
            "neg": "NEGATIVE",
        }
        text = value.strip()
        key = aliases.get(text.lower(), text.upper())
        return cls(key)


class ChatKind(enum.StrEnum):
    """What kind of conversation a chat is; decides pacing and who may configure it."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


class DeliveryKind(enum.StrEnum):
    """Why a message is sent; also its priority order (breaking first)."""

    BREAKING = "breaking"
    ALERT = "alert"
    DIGEST = "digest"
    EDIT = "edit"  # an in-place edit of a sent message (story updated); never a new message


class DeliveryStatus(enum.StrEnum):
    """Lifecycle of one outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ResultKind(enum.StrEnum):
    """What an adapter says happened to one send; the core decides what follows."""

    SENT = "SENT"
    RETRY_AFTER = "RETRY_AFTER"
    CHAT_GONE = "CHAT_GONE"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a message goes: platform, chat id and an optional thread or forum topic."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    def __str__(self) -> str:
        suffix = f"#{self.thread_id}" if self.thread_id else ""
        return f"{self.platform}:{self.chat_id}{suffix}"


@dataclass(slots=True)
class Article:
    """One normalised news article, whatever format or source it came from."""

    title: str
    source_key: str
    source_name: str
    published_at: datetime
    summary: str = ""
    body: str = ""
    url: str | None = None
    external_id: str | None = None
    updated_at: datetime | None = None
    lang: str = "en"
    tags: tuple[str, ...] = ()
    sentiment: Sentiment = Sentiment.NEUTRAL
    image_url: str | None = None
    sticky_weight: int = 0
    draft: bool = False
    content_hash: str = ""
    inferred: tuple[str, ...] = ()
    id: int | None = None
    story_id: int | None = None
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class Story:
    """The same event reported by one or more sources."""

    id: int
    title: str
    first_published_at: datetime
    last_updated_at: datetime
    article_count: int = 1
    source_keys: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sentiment: Sentiment = Sentiment.NEUTRAL


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    """What a subscription wants: any of the tags/sentiments/sources, all the keywords, none
    of the excluded words. An empty set means "any"."""

    tags: frozenset[str] = frozenset()
    sentiments: frozenset[Sentiment] = frozenset()
    sources: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's standing request for alerts."""

    id: int
    chat: ChatRef
    filter: SubscriptionFilter
    active: bool = True
    mention: str | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Limits an adapter declares as data; the core enforces them."""

    max_text_len: int
    markup: str  # "html" | "markdown" | "plain"
    sends_per_second: float
    per_chat_interval_s: float
    per_group_per_minute: float | None = None
    max_caption_len: int | None = None
    supports_images: bool = False
    supports_edit: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Outcome of one send or edit, in the core's terms."""

    kind: ResultKind
    message_id: str | None = None
    retry_after: float | None = None
    whole_adapter: bool = False
    reason: str | None = None

    @classmethod
    def sent(cls, message_id: str | int) -> DeliveryResult:
        return cls(ResultKind.SENT, message_id=str(message_id))

    @classmethod
    def retry(cls, seconds: float, *, whole_adapter: bool = False) -> DeliveryResult:
        return cls(ResultKind.RETRY_AFTER, retry_after=seconds, whole_adapter=whole_adapter)

    @classmethod
    def gone(cls, reason: str) -> DeliveryResult:
        return cls(ResultKind.CHAT_GONE, reason=reason)

    @classmethod
    def failed(cls, reason: str) -> DeliveryResult:
        return cls(ResultKind.FAILED, reason=reason)


@dataclass(frozen=True, slots=True)
class Alert:
    """What the core asks an adapter to show: an article in the context of its story."""

    article: Article
    kind: DeliveryKind = DeliveryKind.ALERT
    extra_sources: int = 0
    updated: bool = False
    retracted: bool = False
    mention: str | None = None
    digest_items: tuple[Article, ...] = field(default_factory=tuple)
    timezone: str = "UTC"  # the receiving chat's zone (/timezone): times are shown in it
    new_image: bool = False  # an edit whose cover image changed: replace the photo too
    rendered: RenderedAlert | None = None  # the chat's template applied (None: the fixed look)
    language: str | None = None  # the receiving chat's language for the bot's own words


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one style; adapters escape ``text`` and style it natively.

    ``url`` is one of the article's own http(s) URLs (a template cannot name another); an
    ``elastic`` span (the summary) is what shrinks first when the message is too long.
    """

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    url: str = ""
    elastic: bool = False

    def __hash__(self) -> int:  # the text alone: styles rarely differ, equality settles it
        return hash(self.text)


Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class RenderedAlert:
    """A chat template's output in neutral form (``bot/delivery/templating``).

    ``lines`` is the message (the embed description on Discord); the rest are the
    template's choices for the platforms that have them: embed parts on Discord, cover
    image and link preview on Telegram.
    """

    lines: tuple[Line, ...]
    title: Line = ()
    fields: tuple[tuple[str, Line, bool], ...] = ()
    author: str = ""
    footer: str = ""
    colour: str = "sentiment"  # "sentiment", "none" or "#rrggbb"
    image: bool = True
    preview: bool = True
    timestamp: bool = True
    mention: str = ""  # the /mention the template did not place itself: shown at the end


PRIORITY = {
    DeliveryKind.BREAKING: 0,
    DeliveryKind.ALERT: 1,
    DeliveryKind.DIGEST: 2,
    DeliveryKind.EDIT: 3,  # edits never hold back news
}


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A stored chat with its delivery preferences (times are HH:MM in ``timezone``)."""

    id: int
    ref: ChatRef
    kind: ChatKind = ChatKind.PRIVATE
    active: bool = True
    timezone: str = "UTC"
    mode: str = "instant"  # "instant" | "digest"
    digest_schedule: str | None = None  # "hourly" | "daily"
    digest_time: str | None = None  # "HH:MM" for daily digests
    quiet_start: str | None = None
    quiet_end: str | None = None
    muted_until: datetime | None = None
    title: str | None = None
    template: str | None = None  # the chat's message template (None: the platform default)
    mentions: tuple[tuple[str, str], ...] = ()  # (tag, who to mention) from /mention
    language: str | None = None  # /language: the chat's choice (a shipped catalog name)
    language_hint: str | None = None  # the platform's language for the chat (no choice made)

    @property
    def locale(self) -> str | None:
        """The language alerts to this chat use: its choice, else what the platform said."""
        return self.language or self.language_hint


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One outbox row to enqueue; (chat, story, kind) is its idempotency key."""

    chat_id: int  # database id of the chat (ChatSettings.id)
    kind: DeliveryKind
    due_at: datetime
    story_id: int | None = None
    article_id: int | None = None
    subscription_id: int | None = None
    payload: dict[str, object] = field(default_factory=dict)
    key: str | None = None  # overrides the default key (edits: one per message and revision)

    @property
    def idempotency_key(self) -> str:
        if self.key is not None:
            return self.key
        subject = f"s{self.story_id}" if self.story_id is not None else f"a{self.article_id}"
        return f"{self.chat_id}:{subject}:{self.kind.value}"

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]


@dataclass(frozen=True, slots=True)
class IncomingCommand:
    """A command as any adapter received it, already stripped of platform types.

    ``can_manage`` is the adapter's answer to "may this user change this chat's
    subscriptions?" (group admin, Manage Channels...); ``is_admin`` is bot-wide admin.
    """

    chat: ChatRef
    text: str
    user_id: str
    chat_kind: ChatKind = ChatKind.PRIVATE
    user_name: str | None = None
    can_manage: bool = True
    is_admin: bool = False
    chat_title: str | None = None
    # Language hints (issue 17): the user's own (Telegram language_code, Discord locale) and
    # the chat's (the private user's, a Discord guild's preferred_locale); None: unknown.
    language: str | None = None
    chat_language: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """The core's answer to a command; adapters render ``articles`` natively when present."""

    text: str
    articles: tuple[Article, ...] = ()
    error: bool = False
    ephemeral: bool = False
    button: AppButton | None = None  # opens a web page inside the chat app (a Mini App)
    language: str | None = None  # the language it was answered in: the adapter's words match


@dataclass(frozen=True, slots=True)
class AppButton:
    """A button that opens ``url`` in the chat app's own web view (Telegram: a web_app
    button); an adapter without one shows the reply's text only."""

    label: str
    url: str
