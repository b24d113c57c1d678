"""The protocols the core needs from the outside world: storage and chat adapters.

The core depends on these shapes only; ``storage`` and ``adapters`` implement them and
are found through entry points (see ``bot/plugins.py``), so ``bot`` never imports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.config import Settings
from bot.models import (
    Alert,
    Article,
    Capabilities,
    ChatRef,
    DeliveryResult,
    IncomingCommand,
    Reply,
    Story,
)

if TYPE_CHECKING:
    from bot.ingest.outcome import IngestOutcome
    from bot.stories.grouping import StoryFeatures


@runtime_checkable
class Storage(Protocol):
    """A database holding the archive, chats, subscriptions, the outbox and the audit log."""

    dialect: str

    async def upgrade(self) -> tuple[str | None, str | None]:
        """Apply pending migrations; return (revision before, revision after)."""

    async def current_revision(self) -> str | None: ...

    def missing(self) -> str | None:
        """One line when the database does not exist yet (an embedded file never
        created), else None; lets reading commands refuse instead of creating it."""

    async def ping(self) -> None:
        """Raise when the database cannot be reached."""

    async def close(self) -> None: ...


StorageFactory = Callable[[Settings], Storage]


class Archive(Protocol):
    """The article archive (``SqlStorage.archive``): saving with identity, updates and
    stories in one transaction, and the reads behind /latest, /search and autocomplete.

    Reads return visible articles only (drafts never appear)."""

    async def save(
        self,
        article: Article,
        *,
        identity: str,
        origin: str,
        story_window: timedelta,
        features: StoryFeatures | None = None,
        bands: tuple[int, ...] | None = None,
    ) -> IngestOutcome:
        """Insert, update in place, or recognise a duplicate; group into a story.
        ``features``/``bands``: the article's story keys when already computed (bulk
        loads compute them in parse workers); else the archive computes them."""

    def batch(
        self,
        *,
        group: int = 1000,
        on_commit: Callable[[], Awaitable[None]] | None = None,
        inline: bool = False,
    ) -> AbstractAsyncContextManager[None]:
        """Bulk saves for the calling task: each article atomic, commits grouped (up to
        ``group`` articles); ``on_commit`` is awaited after each commit point; ``inline``
        lets a CLI write on the loop's own thread."""

    async def latest(self, tag: str | None = None, limit: int = 10) -> list[Article]: ...

    async def search(self, query: str, limit: int = 10) -> list[Article]:
        """Relevance blended with recency; any text is safe (bad syntax is just words)."""

    async def get_article(self, article_id: int) -> Article | None: ...

    async def get_story(self, story_id: int) -> Story | None: ...

    async def story_articles(self, story_id: int) -> list[Article]: ...

    async def story_evidence(self, story_id: int) -> dict[int, dict[str, object]]:
        """Why each article of the story is in it, by article id: the method, and the
        score, similarities, shared names/figures and matched article when it joined
        (``semantic.Evidence.as_dict``); articles grouped before migration 0005 have none."""

    async def known_tags(self, prefix: str = "", limit: int = 25) -> list[str]:
        """Tags in use, most frequent first (Discord autocomplete, /tags)."""


@dataclass(frozen=True, slots=True)
class CoreServices:
    """What the core offers an adapter once it starts: commands in, tag suggestions out."""

    handle_command: Callable[[IncomingCommand], Awaitable[Reply]]
    known_tags: Callable[[str], Awaitable[list[str]]]
    # tags the chat's subscriptions name (a picker shows them switched on); None when the
    # core cannot tell, and a picker then starts with everything off
    subscribed_tags: Callable[[ChatRef], Awaitable[set[str]]] | None = None
    # a reply could not reach the chat (the user blocked the bot, it was kicked): the chat
    # is marked unreachable as a failed alert would mark it; None when the core cannot
    chat_gone: Callable[[ChatRef, str], Awaitable[None]] | None = None
    # the language the bot answers in in this chat, as commands pick it (its /language
    # choice, else the asking user's app language, else the chat's): for the adapter's own
    # words (Telegram's picker and page buttons); None when the core cannot tell
    reply_language: Callable[[ChatRef, str | None], Awaitable[str | None]] | None = None


class ChatAdapter(Protocol):
    """One chat platform, translated to and from the core's neutral types.

    Adapters are found through the ``cryptowire.adapters`` entry point group; each entry
    is a factory ``create_adapter(settings: Settings) -> ChatAdapter | None`` that returns
    None when the platform is not configured (no token).
    """

    name: str
    capabilities: Capabilities

    async def start(self, core: CoreServices) -> None:
        """Connect and begin receiving commands; returns once running (work goes on in tasks)."""

    async def stop(self) -> None: ...

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        """Deliver one alert; platform errors come back as results, never as exceptions."""

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult:
        """Replace a sent message's content (story updated); same result mapping as send."""


@runtime_checkable
class PinningAdapter(Protocol):
    """Optional adapter capability (issue 8): pin a sent message (breaking news in a
    broadcast channel). Adapters without it get a logged note instead of a pin."""

    async def pin(self, to: ChatRef, message_id: str) -> DeliveryResult: ...


AdapterFactory = Callable[[Settings], "ChatAdapter | None"]
