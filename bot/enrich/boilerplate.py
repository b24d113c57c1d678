"""Sentences an outlet adds to every item, removed before tagging and sentiment.

"The post ... appeared first on Bitcoin Magazine.", "This article originally appeared
in ...", "Read more: ...", "Follow us on ...": they name an outlet (often after a coin)
and carry no news, so a coin tag or a mood read from them is wrong. Only the text that
enrichment reads is cleaned; the stored body keeps them.
"""

from __future__ import annotations

import re

_BOILERPLATE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\n))[^\n.!?]{0,40}?"
    r"(?:The post\b[^\n]{0,300}?\bappeared first on\b"
    r"|This (?:article|story|post) (?:was )?(?:originally |first )?(?:appeared|published|posted)\b"
    r"|Originally (?:published|posted) (?:on|in|at|by)\b"
    r"|(?:Read|See) (?:more|also|the full (?:story|article))\s*(?:on|at|:)"
    r"|Follow us on\b|Subscribe to (?:our|the)\b|Sign up for\b"
    r"|Disclaimer:|(?:©|Copyright)\s*(?:\d{4}\s*)?\w"
    r")[^\n]{0,300}?(?:[.!?](?=\s|$)|(?=\n)|$)",
    re.IGNORECASE,
)
_HINTS = ("appeared", "originally", "published", "posted", "read ", "see ", "follow us",
          "subscribe", "sign up", "disclaimer", "©", "copyright")  # fmt: skip


def strip_boilerplate(text: str) -> str:
    """``text`` without outlet boilerplate sentences (cheap when there is none)."""
    lower = text.lower()
    if not any(hint in lower for hint in _HINTS):
        return text
    return _BOILERPLATE.sub("", text)
