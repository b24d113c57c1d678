"""What happened to one ingested document: the single value listeners and the CLI see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.models import Article, Story

Status = Literal["new", "updated", "duplicate", "draft", "rejected"]
NOTIFY: frozenset[str] = frozenset({"new", "updated", "draft"})


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """The result of ingesting one file or feed item.

    ``article``/``story`` are as stored after the commit (None when rejected);
    ``changed`` lists the fields an update changed; ``published_now`` is True when the
    article became visible with this input (new non-draft, or a draft set live);
    ``story_joined`` is True when the article joined an already existing story.
    """

    origin: str
    status: Status
    article: Article | None = None
    story: Story | None = None
    changed: tuple[str, ...] = ()
    error: str | None = None
    published_now: bool = False
    story_joined: bool = False

    @property
    def notifies(self) -> bool:
        """Listeners hear about stored changes only, never duplicates or rejects."""
        return self.status in NOTIFY

    @classmethod
    def rejected(cls, origin: str, error: str) -> IngestOutcome:
        return cls(origin=origin, status="rejected", error=error)
