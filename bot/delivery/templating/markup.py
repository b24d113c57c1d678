"""The template's styling marks, and its output turned into neutral lines of spans.

A template never writes platform markup: ``{{ title | bold }}`` wraps the text in private-use
characters (U+E001..U+E016) that no article or template text keeps (they are stripped from
every value and refused in template text), and ``parse`` turns them into ``Span`` flags. So
``<b>`` or ``**`` typed in a template or a headline is shown as typed, escaped by the
adapter, and a link can only point at the article's own URL.

``sanitise`` runs on the rendered text before parsing: a link or ``@name`` the article does
not contain is neutralised (whatever string tricks built it), and ``@everyone`` / ``@here``
never survive.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.models import Line, Span

BOLD, ITALIC, STRIKE, CODE, LINK, ELASTIC = 1, 2, 3, 4, 5, 6
_FLAGS = {BOLD: "bold", ITALIC: "italic", STRIKE: "strike", CODE: "code", LINK: "link"}
_FLAGS[ELASTIC] = "elastic"
OPEN = {style: chr(0xE000 + style) for style in _FLAGS}
CLOSE = {style: chr(0xE010 + style) for style in _FLAGS}
_MARKS = "".join(OPEN.values()) + "".join(CLOSE.values())
_STRIP_MARKS = {0xE000 + n: None for n in range(0x20)}
_MARK_RE = re.compile("([\ue000-\ue01f])")
_NOT_MARK = r"[^\s\ue000-\ue01f]"
_LINK_RE = re.compile(
    rf"(?:https?://|www\.){_NOT_MARK}+"
    rf"|(?<![\w.@/-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{{2,}}\b(?:/{_NOT_MARK}*)?",
    re.IGNORECASE,
)
_MENTION_RE = re.compile(r"@(\w+)")
# cheap pre-check: text without any of these cannot hold a link (most lines)
_MAY_LINK = re.compile(r"://|www\.|\w\.[a-z]{2}", re.IGNORECASE)
_BLANKS = re.compile(r"\n{3,}")
ALWAYS_BLOCKED = frozenset({"everyone", "here", "channel", "all"})
REMOVED_LINK = "[link removed]"


def plain(text: object) -> str:
    """A value as text without any styling mark (article text cannot style itself)."""
    return str(text).translate(_STRIP_MARKS)


def has_private(text: str) -> bool:
    """Any character of the range marks and stand-ins use (U+E000..U+E01F)."""
    return _MARK_RE.search(text) is not None


def has_marks(text: str) -> bool:
    return any(mark in text for mark in _MARKS)


URL_END = "\ue01f"


def linker(default_url: Callable[[], str]) -> Callable[..., str]:
    """``linked(text, url=link)``: text linking to an article URL (checked when parsed)."""

    def linked(value: object = "", url: object = None) -> str:
        text = value if isinstance(value, str) else str(value)
        target = plain(url) if url is not None else default_url()
        if not text:
            return ""
        if not target:
            return text
        return f"{OPEN[LINK]}{target}{URL_END}{text}{CLOSE[LINK]}"

    return linked


def wrap(style: int) -> Callable[[object], str]:
    def styled(value: object = "") -> str:
        text = value if isinstance(value, str) else str(value)
        return f"{OPEN[style]}{text}{CLOSE[style]}" if text else ""

    styled.__name__ = _FLAGS[style]
    return styled


def unmark(text: str) -> str:
    """The visible text of rendered output (marks dropped)."""
    return text.translate(_STRIP_MARKS)


_SPARES = ("\ue01e", "\ue01d")  # stand in for untouched article values while scanning


def sanitise(
    text: str,
    allowed: Callable[[], str],
    mention: str | None = None,
    untouched: tuple[str, ...] = (),
) -> str:
    """Neutralise links and mentions that are not the article's (``allowed()`` is its text).

    ``untouched`` are article values (summary, body) that need no link scan when they
    appear exactly as given (the article's own text): they are set aside while the rest
    is scanned, and only lose their ``@everyone``/``@here``."""
    kept: list[tuple[str, str]] = []
    for spare, value in zip(_SPARES, untouched, strict=False):
        if len(value) > 40 and value in text:
            kept.append((spare, value))
            text = text.replace(value, spare)
    text = _scan(text, allowed, mention)
    for spare, value in kept:
        if "@" in value:
            value = _MENTION_RE.sub(_blocked_only, value)
        text = text.replace(spare, value)
    return text


def _blocked_only(match: re.Match[str]) -> str:
    name = match.group(1)
    return "@\u200b" + name if name.lower() in ALWAYS_BLOCKED else match.group(0)


def _scan(text: str, allowed: Callable[[], str], mention: str | None) -> str:
    may_link = _MAY_LINK.search(text) is not None
    if not may_link and "@" not in text:  # most lines: nothing to look at
        return text
    known: list[str] = []

    def haystack() -> str:
        if not known:
            known.append(allowed())
        return known[0]

    def link(match: re.Match[str]) -> str:
        found = match.group(0)
        core = found.rstrip(")].,;:!?'\"}>")  # "(see https://x.example/a)." ends at "a"
        return found if core in haystack() else REMOVED_LINK + found[len(core) :]

    def at(match: re.Match[str]) -> str:
        found = match.group(0)
        name = match.group(1).lower()
        if name in ALWAYS_BLOCKED:
            return "@\u200b" + match.group(1)
        if (mention and found in mention) or found in haystack():
            return found
        return "@\u200b" + match.group(1)

    if may_link:
        text = _LINK_RE.sub(link, text)
    if "@" in text:
        text = _MENTION_RE.sub(at, text)
    return text


def _span(text: str, active: list[bool], url: str) -> Span:
    # positional: Span(text, bold, italic, strike, code, url, elastic)
    return Span(
        text,
        active[BOLD],
        active[ITALIC],
        active[STRIKE],
        active[CODE],
        url if active[LINK] else "",
        active[ELASTIC],
    )


def tidy(text: str) -> str:
    """Trailing spaces off each line, runs of blank lines to one, no blank edges."""
    if " \n" in text or "\t\n" in text or "\r" in text:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANKS.sub("\n\n", text)
    return text.rstrip().strip("\n")


def parse(text: str, urls: frozenset[str] = frozenset()) -> tuple[Line, ...]:
    """Rendered text (with marks) -> lines of spans; unbalanced marks are ignored.

    A link keeps its target only when it is one of ``urls`` (the article's own)."""
    text = tidy(text)
    if not text:
        return ()
    if not _MARK_RE.search(text):
        return tuple((Span(line),) if line else () for line in text.split("\n"))
    active = [False] * 7
    lines: list[list[Span]] = [[]]
    url, reading_url = "", False
    for part in _MARK_RE.split(text):
        if not part:
            continue
        code = ord(part[0]) - 0xE000 if len(part) == 1 else -1
        if 0 <= code < 0x20:
            if part == URL_END:
                reading_url = False
                continue
            style, opening = (code, True) if code < 0x10 else (code - 0x10, False)
            if style in _FLAGS:
                active[style] = opening
                if style == LINK:
                    url, reading_url = "", opening
            continue
        if reading_url:
            url = part if part in urls else ""
            continue
        pieces = part.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append([])
            if piece:
                lines[-1].append(_span(piece, active, url))
    out = []
    for spans in lines:
        while spans and not spans[-1].text.strip():  # marks left a trailing blank behind
            spans.pop()
        out.append(tuple(spans))
    # a line emptied by marks alone joins the blank-line collapsing
    result: list[Line] = []
    for line in out:
        if not line and result and not result[-1]:
            continue
        result.append(line)
    while result and not result[-1]:
        result.pop()
    while result and not result[0]:
        result.pop(0)
    return tuple(result)


def line_text(line: Line) -> str:
    return "".join(span.text for span in line)
