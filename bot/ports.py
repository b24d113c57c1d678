"""The protocols the core needs from the outside world: storage and chat adapters.

The core depends on these shapes only; ``storage`` and ``adapters`` implement them and
are found through entry points (see ``bot/plugins.py``), so ``bot`` never imports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from bot.config import Settings
from bot.models import Alert, Capabilities, ChatRef, DeliveryResult


@runtime_checkable
class Storage(Protocol):
    """A database holding the archive, chats, subscriptions, the outbox and the audit log."""

    dialect: str

    async def upgrade(self) -> tuple[str | None, str | None]:
        """Apply pending migrations; return (revision before, revision after)."""

    async def current_revision(self) -> str | None: ...

    async def ping(self) -> None:
        """Raise when the database cannot be reached."""

    async def close(self) -> None: ...


StorageFactory = Callable[[Settings], Storage]


class ChatAdapter(Protocol):
    """One chat platform, translated to and from the core's neutral types."""

    name: str
    capabilities: Capabilities

    async def start(self, on_command: Callable[..., Awaitable[object]]) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        """Deliver one alert; platform errors come back as results, never as exceptions."""

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult: ...
