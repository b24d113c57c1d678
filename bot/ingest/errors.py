"""The one error a document can cause while it is parsed."""

from __future__ import annotations

from bot.errors import UserError


class RejectedDocument(UserError):
    """The document cannot become an article; the message is one line (the caller adds the path)."""

    def __init__(self, reason: str) -> None:
        one_line = " ".join(reason.split())
        super().__init__(one_line)
        self.reason = one_line
