"""A chat adapter that records what it was asked to send: the platform boundary in tests.

Results can be scripted per chat (a queue of ``DeliveryResult``s, then SENT), so one
adapter covers the SENT, RETRY_AFTER, CHAT_GONE and FAILED paths.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.models import Alert, Capabilities, ChatRef, DeliveryResult, ResultKind
from bot.ports import CoreServices

TELEGRAM_LIKE = Capabilities(
    max_text_len=4096,
    markup="plain",
    sends_per_second=30,
    per_chat_interval_s=1.0,
    per_group_per_minute=20,
)


@dataclass
class Attempt:
    at: float
    to: ChatRef
    alert: Alert
    result: DeliveryResult


@dataclass
class RecordingAdapter:
    """Implements ``bot.ports.ChatAdapter``."""

    name: str = "console"
    capabilities: Capabilities = TELEGRAM_LIKE
    clock: Callable[[], float] = lambda: 0.0
    attempts: list[Attempt] = field(default_factory=list)
    script: dict[str, deque[DeliveryResult]] = field(default_factory=lambda: defaultdict(deque))
    core: CoreServices | None = None
    edits: list[tuple[ChatRef, str, Alert]] = field(default_factory=list)

    def plan(self, chat_id: str, *results: DeliveryResult) -> None:
        """The next sends to ``chat_id`` get these results, in order."""
        self.script[chat_id].extend(results)

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.result.kind is ResultKind.SENT]

    async def start(self, core: CoreServices) -> None:
        self.core = core

    async def stop(self) -> None:
        self.core = None

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        queue = self.script.get(to.chat_id)
        if queue:
            result = queue.popleft()
        else:
            result = DeliveryResult.sent(f"m{len(self.attempts) + 1}")
        self.attempts.append(Attempt(self.clock(), to, alert, result))
        return result

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult:
        self.edits.append((to, message_id, alert))
        return DeliveryResult.sent(message_id)
