"""Where a chat's template may be cut into a head of its own and a known tail, and a plain
head read without Jinja's parser.

After a restart every chat's template is compiled at its first send (``pieces.py``): a
template that is a known one (a preset) under a head of the chat's own parses only the
head. Most heads are a line of text with a placeholder or two ("Desk 7 · {{ source }}")
or a comment that makes the text the chat's own; Jinja's lexer and parser cost about
0.1 ms even for those, so such a head is read here, to the very nodes the parser makes
(a test compares them), and anything else goes to the parser.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from jinja2 import nodes

MAX_HEAD, HEAD_LINES = 400, 3  # a chat's own head: at most this long, this many lines
# text (no brace, no carriage return), a plain placeholder, or a plain comment
_TOKEN = re.compile(r"([^{\r]+)|\{\{ *([a-z_]+) *\}\}|\{#(?![-+])(?:[^#]|#(?!\}))*(?<![-+])#\}")
_CONSTANTS = frozenset({"true", "false", "none"})  # read by Jinja as constants, not names


def cuts(text: str) -> list[tuple[str, str]]:
    """Where a template may be cut into a head of its own and a tail that parse alone to
    the same parts as the whole: after a leading comment, and at one of its first new
    lines (the tail starts with it); the head ends in neither white space (a tail's
    ``{%-`` would strip it in the whole) nor a tag's ``-`` (which would strip what starts
    the tail in the whole). The head must parse alone (no statement left open, no tag,
    comment or raw block cut in two) and the tail too; both are checked where the cut is
    used."""
    found = []
    if text.startswith("{#"):
        end = text.find("#}", 2, MAX_HEAD)
        if end > 0 and text[end - 1] != "-":  # "-#}" would strip the tail's white space
            found.append((text[: end + 2], text[end + 2 :]))
    start = 0
    for _ in range(HEAD_LINES):
        at = text.find("\n", start, MAX_HEAD)
        if at <= 0:
            break
        head = text[:at]
        if not head[-1].isspace() and not head.endswith(("-}}", "-%}", "-#}")):
            found.append((head, text[at:]))
        start = at + 1
    return found


def plain_head(head: str, names: Collection[str]) -> list[str | nodes.Output] | None:
    """The head's top-level output as Jinja's parser gives it (text, and an ``Output``
    of one ``Name`` for each ``{{ name }}``; comments give nothing) when the head is only
    text without braces, placeholders among ``names`` with no filter or whitespace
    control, and comments; None otherwise (Jinja's parser reads it)."""
    if not head or head[-1] == "\n":  # Jinja drops a template's last new line
        return None
    out: list[str | nodes.Output] = []
    at = 0
    while at < len(head):
        match = _TOKEN.match(head, at)
        if match is None:
            return None
        text, name = match.group(1), match.group(2)
        if text is not None:
            out.append(text)
        elif name is not None:
            if name not in names or name in _CONSTANTS:
                return None
            out.append(nodes.Output([nodes.Name(name, "load", lineno=1)], lineno=1))
        at = match.end()
    return out
