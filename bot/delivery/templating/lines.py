"""Sanitising and parsing a template's output line by line, shared by every chat of an alert.

One article fans out to thousands of chats whose templates differ in a line or two (a
preset with the chat's own header) while the long lines (summary, body) are the same for
every chat. ``LineMemo`` keeps, for one alert and one mention, each output line already
sanitised and parsed, so a chat pays only for the lines nobody rendered before it.

Same result as ``markup.sanitise`` + ``markup.parse`` on the whole text: the link and
mention patterns never cross a new line, so sanitising line by line finds the same links
and names (and the article's summary and body are scanned too rather than set aside,
which can only neutralise more); parsing carries the open styles from line to line as
``parse`` does. The one case that does not split at lines (a link target holding a new
line) returns ``None`` and the caller takes the whole-text path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.delivery.templating import markup
from bot.models import Line, Span

SUMMARY = "\ue01e"  # stands for the summary in the output of a template that shows it plainly
MAX_LINES = 4096  # distinct lines kept per alert (a fan-out has a few per chat at most)
MAX_RESULTS = 64  # whole results kept per alert, by template text
_State = tuple[tuple[bool, ...], str]
_START: _State = ((False,) * 7, "")


class PieceMemo(dict[tuple[int, bool], tuple[str, tuple[Any, ...]]]):
    """Template pieces' outputs for one alert and mention; emptied when it grows too big
    (a fan-out where each chat's template has pieces nobody else has)."""

    def __setitem__(self, key: tuple[int, bool], value: tuple[str, tuple[Any, ...]]) -> None:
        if len(self) >= MAX_LINES:
            self.clear()
        super().__setitem__(key, value)


class Bounded(dict[str, Any]):
    """Results by template text for one alert and mention; emptied when it grows past
    MAX_RESULTS (chats share a few templates, the presets; the rest are their own)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if len(self) >= MAX_RESULTS:
            self.clear()
        super().__setitem__(key, value)


class LineMemo:
    """Lines of one alert's output (with one mention) already sanitised and parsed."""

    __slots__ = ("_allowed", "_haystack", "_lines", "_mention", "_raw_summary")
    __slots__ += ("_summary", "choices", "pieces", "results", "urls")

    def __init__(
        self,
        allowed: Callable[[], str],
        mention: str | None,
        urls: frozenset[str],
        summary: str = "",
    ) -> None:
        self._allowed = allowed
        self._raw_summary = summary  # the placeholder's value: the text in elastic marks
        self._summary: str | None = None
        self._haystack: str | None = None
        self._mention = mention
        self.urls = urls
        self._lines: dict[tuple[str, bool, _State], _Done] = {}
        # each template piece's output for this alert and mention (``pieces.render``)
        self.pieces: PieceMemo = PieceMemo()
        # each template's whole result for this alert and mention (chats on one preset)
        self.results: Bounded = Bounded()
        # embed and Telegram choices by the template's calls (``embed()``, ``field()``,
        # ``telegram()``), their texts sanitised and parsed: the same from every chat on
        # a preset, or with a preset's tail under a head of its own
        self.choices: dict[Any, Any] = PieceMemo()

    def _text(self) -> str:
        if self._haystack is None:
            self._haystack = self._allowed()
        return self._haystack

    def summary(self) -> str:
        """The summary's text sanitised (once per alert), for ``SUMMARY`` in the output.

        The summary placeholder is the text between two styling marks, which no link or
        name pattern crosses, so sanitising it alone finds what the whole line would."""
        if self._summary is None:
            inner = self._raw_summary[1:-1]  # inside the elastic marks
            self._summary = markup.sanitise(inner, self._text, self._mention)
        return self._summary

    def contains(self, text: str, needle: str) -> bool:
        """``needle`` (no styling marks) in the sanitised output, the summary in place."""
        return needle in text or (SUMMARY in text and needle in self.summary())

    def line(self, raw: str, styled: bool, state: _State) -> _Done:
        """One output line sanitised and parsed: (spans, the styles open after it, whether
        a link target is still open, the sanitised text). Kept by the line as rendered:
        sanitising neither adds nor removes a styling mark (its patterns stop at them), so
        whether the message is styled is known before it."""
        key = (raw, styled, state)
        found = self._lines.get(key)
        if found is None:
            if len(self._lines) >= MAX_LINES:
                self._lines.clear()
            kept = markup.sanitise(raw, self._text, self._mention)
            summary = self.summary() if SUMMARY in kept else ""
            spans, after, reading_url = _parse_line(kept, styled, state, self.urls, summary)
            found = self._lines[key] = (spans, after, reading_url, kept)
        return found


_Done = tuple[Line, _State, bool, str]


def process(text: str, memo: LineMemo) -> tuple[tuple[Line, ...], str] | None:
    """(``parse(sanitise(text))``, the sanitised text) through the memo; ``None`` when the
    text cannot be taken line by line (the caller then uses the whole-text path)."""
    text = markup.tidy(text)
    if not text:
        return (), text
    styled = _MARK_RE.search(text) is not None
    state = _START
    lines: list[Line] = []
    kept: list[str] = []
    for raw in text.split("\n"):
        spans, state, reading_url, clean = memo.line(raw, styled, state)
        if reading_url:
            return None
        lines.append(spans)
        kept.append(clean)
    sanitised = "\n".join(kept)
    if not styled:
        return tuple(lines), sanitised
    result: list[Line] = []
    for spans in lines:  # a line emptied by marks alone joins the blank-line collapsing
        if not spans and result and not result[-1]:
            continue
        result.append(spans)
    while result and not result[-1]:
        result.pop()
    while result and not result[0]:
        result.pop(0)
    return tuple(result), sanitised


def _parse_line(
    line: str, styled: bool, state: _State, urls: frozenset[str], summary: str = ""
) -> tuple[Line, _State, bool]:
    """One line of ``markup.parse``: the same span rules, the open styles carried over."""
    if not styled:  # no mark anywhere in the message: parse's plain path
        return ((Span(line),) if line else ()), state, False
    active = list(state[0])
    url, reading_url = state[1], False
    spans: list[Span] = []
    for part in _MARK_RE.split(line):
        if not part:
            continue
        code = ord(part[0]) - 0xE000 if len(part) == 1 else -1
        if 0 <= code < 0x20:
            if part == SUMMARY and reading_url:  # cannot happen; the whole-text path then
                return (), state, True
            if part == SUMMARY:  # the elastic summary span, as parse makes it
                spans.append(
                    Span(
                        summary,
                        active[markup.BOLD],
                        active[markup.ITALIC],
                        active[markup.STRIKE],
                        active[markup.CODE],
                        url if active[markup.LINK] else "",
                        True,
                    )
                )
                active[markup.ELASTIC] = False
                continue
            if part == markup.URL_END:
                reading_url = False
                continue
            style, opening = (code, True) if code < 0x10 else (code - 0x10, False)
            if style in _STYLES:
                active[style] = opening
                if style == markup.LINK:
                    url, reading_url = "", opening
            continue
        if reading_url:
            url = part if part in urls else ""
            continue
        spans.append(
            Span(
                part,
                active[markup.BOLD],
                active[markup.ITALIC],
                active[markup.STRIKE],
                active[markup.CODE],
                url if active[markup.LINK] else "",
                active[markup.ELASTIC],
            )
        )
    while spans and not spans[-1].text.strip():  # marks left a trailing blank behind
        spans.pop()
    return tuple(spans), (tuple(active), url), reading_url


_MARK_RE = re.compile("([\ue000-\ue01f])")
_STYLES = frozenset(
    (markup.BOLD, markup.ITALIC, markup.STRIKE, markup.CODE, markup.LINK, markup.ELASTIC)
)
