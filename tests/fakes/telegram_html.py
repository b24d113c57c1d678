"""Telegram's HTML parse mode, as strictly as the real Bot API checks it.

The fake Bot API runs every ``parse_mode=HTML`` text through ``parse_html`` so an unescaped
``<`` or ``&`` in article text fails in tests exactly as it would fail in production.
"""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class EntityError(ValueError):
    """The text would be refused with "Bad Request: can't parse entities: ..."."""


def parse_html(text: str) -> str:
    """Return the visible text of an HTML-formatted message, or raise EntityError."""
    visible: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            match = _TAG.match(text, pos)
            offset = len(text[:pos].encode("utf-8"))
            if match is None:
                raise EntityError(f"Unexpected end of name token at byte offset {offset}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>"'
                        if stack
                        else f"Unexpected end tag at byte offset {offset}"
                    )
                stack.pop()
            else:
                if name == "a" and "href=" not in match.group(3):
                    raise EntityError(f"Can't find end of href at byte offset {offset}")
                stack.append(name)
            pos = match.end()
        elif char == "&":
            match = _ENTITY.match(text, pos)
            if match is None:
                offset = len(text[:pos].encode("utf-8"))
                raise EntityError(f"Unsupported entity at byte offset {offset}")
            visible.append(html.unescape(match.group(0)))
            pos = match.end()
        else:
            visible.append(char)
            pos += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)


def utf16_len(text: str) -> int:
    """Telegram measures message and caption lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
