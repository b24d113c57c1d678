"""discord.py's markdown escaping, kept per text: the same title and summary go to every
channel of a fan-out.

``discord.utils.escape_markdown`` is one regex substitution with a Python call per
markdown character it escapes; over a summary with some (``**``, ``_``, ``*``) that is
most of what building an alert's embed costs (about 0.15 ms of 0.18 in ``bench
templates``), paid again for every channel. Results are kept by text, within a budget
of characters (emptied when it is spent: a fan-out needs the few texts of one article).
"""

from __future__ import annotations

import discord

MAX_CHARS = 4_000_000  # characters of text and result kept (about 8-16 MB at most)
MAX_TEXTS = 8_192


class _Kept:
    """Results by text, emptied when they hold too many characters or texts."""

    __slots__ = ("_chars", "_found", "_make")

    def __init__(self, make: object) -> None:
        self._make = make
        self._found: dict[str, str] = {}
        self._chars = 0

    def __call__(self, text: str) -> str:
        found = self._found.get(text)
        if found is None:
            found = self._make(text)  # type: ignore[operator]
            self._chars += len(text) + len(found)
            if self._chars > MAX_CHARS or len(self._found) >= MAX_TEXTS:
                self._found.clear()
                self._chars = len(text) + len(found)
            self._found[text] = found
        return found  # type: ignore[no-any-return]


markdown = _Kept(discord.utils.escape_markdown)
"""``discord.utils.escape_markdown(text)``."""

markdown_and_mentions = _Kept(
    lambda text: discord.utils.escape_mentions(discord.utils.escape_markdown(text))
)
"""``escape_mentions(escape_markdown(text))``: a template's span."""
