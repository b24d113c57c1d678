"""Chat templates: Jinja2 in an immutable sandbox, checked when set, never raising when sent.

``check(text)`` returns ``None`` or one line naming the problem (syntax error and where,
unknown placeholder, a link or mention of its own, something a template may not do, a
failure on a sample article). ``Templates.render(text, alert)`` gives the neutral
``RenderedAlert``; compiled templates are cached by their text (one per chat at most).

Beyond Jinja's sandbox (no attribute or method that could reach Python internals, no
mutation), templates cannot run away: no ``range``, variables, macros, includes or recursive
loops; loops only over the list placeholders, two deep at most; growth operators and
filters are capped. So a template's cost is bounded by its size and the article's.
"""

from __future__ import annotations

import difflib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.runtime import new_context

from bot.delivery.templating import lines as lines_of
from bot.delivery.templating import markup, pieces, values
from bot.delivery.templating.sandbox import (
    MAX_TEMPLATE_CHARS,
    build_environment,
    statically_refused,
)
from bot.models import Alert, DeliveryKind, Line, RenderedAlert

log = logging.getLogger("cryptowire.templates")

CACHE_SIZE = 20_000


class TemplateProblem(ValueError):
    """A template that cannot be used; the message is one line for the chat."""


HELPER_NAMES = frozenset({"bold", "italic", "strike", "code", "linked", "embed", "field"})
HELPER_NAMES |= {"telegram", "mention"}
ALLOWED_NAMES = frozenset(values.PLACEHOLDERS) | HELPER_NAMES


def normalise(text: str) -> str:
    """The text as typed -> the template: ``\\n`` typed as two characters is a new line
    (Discord's command box has no new lines)."""
    return text.replace("\r\n", "\n").replace("\\n", "\n").strip()


class Templates:
    """Compiles, checks, caches and renders chat templates (one instance per process)."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self.env = build_environment()
        self._globals = dict(self.env.globals)
        self._pieces = pieces.Pieces(self.env, values.PLACEHOLDERS)
        self._cache: OrderedDict[str, tuple[pieces.Parts, bool, bool]] = OrderedDict()
        self._cache_size = cache_size
        self._failed_logged: set[str] = set()
        self._values: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lines: OrderedDict[tuple[Any, ...], lines_of.LineMemo] = OrderedDict()

    # -- set time ------------------------------------------------------------------------

    def check(self, text: str) -> str | None:
        """``None`` if ``text`` can be a chat's template; else one line naming the problem."""
        if not text.strip():
            return "the template is empty; /template reset goes back to the default"
        if len(text) > MAX_TEMPLATE_CHARS:
            return (
                f"a template may be at most {MAX_TEMPLATE_CHARS} characters "
                f"(this one has {len(text)})"
            )
        try:
            ast = self.env.parse(text)
        except TemplateSyntaxError as exc:
            return f"syntax error on line {exc.lineno}: {exc.message}"
        unknown = sorted(meta.find_undeclared_variables(ast) - ALLOWED_NAMES)
        if unknown:
            near = difflib.get_close_matches(unknown[0], sorted(ALLOWED_NAMES), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            return (
                f"unknown placeholder {{{{ {unknown[0]} }}}}{hint}; /help template lists them all"
            )
        refused = statically_refused(ast)
        if refused:
            return refused
        try:
            self.env.from_string(ast)  # the whole: its compile errors name their line
            parts = self._remember(text)  # parsed again: compiling changed ``ast``
            for alert in _samples():
                output = self._run(parts[0], alert, (), parts[2])
                if not any(markup.line_text(line).strip() for line in output.lines):
                    if not alert.digest_items:
                        return "the template renders an empty message for a sample article"
        except Exception as exc:  # the message names what failed; one line of it
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._cache.pop(text, None)
            return f"the template fails on a sample article: {first[:200]}"
        return None

    # -- send time -----------------------------------------------------------------------

    def handles_digest(self, text: str) -> bool:
        """Whether the template has a digest part (uses ``digest`` or ``items``)."""
        return self._entry(text)[1]

    def _entry(self, text: str) -> tuple[pieces.Parts, bool, bool]:
        found = self._cache.get(text)
        if found is not None:
            self._cache.move_to_end(text)
            return found
        return self._remember(text)

    def _remember(self, text: str) -> tuple[pieces.Parts, bool, bool]:
        """Its pieces (``pieces.py``: only those no template had before are compiled),
        kept with what the send path asks of it, worked out once from the syntax tree:
        whether it has a digest part, and whether it shows the summary only as
        ``{{ summary }}`` (or tests it with ``{% if summary %}``), never through a
        filter or an expression, so a stand-in can take its place while rendering."""
        parts = self._pieces.parts_of(text)
        digest = bool(pieces.names(parts) & {"items", "digest"})
        found = self._cache[text] = (parts, digest, pieces.shows_summary_plainly(parts))
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found

    def render(self, text: str, alert: Alert, sources: tuple[str, ...] = ()) -> RenderedAlert:
        """The alert through ``text`` (may raise: ``render_or_none`` is the send path)."""
        parts, _digest, plain_summary = self._entry(text)
        return self._run(parts, alert, sources, plain_summary, text)

    def render_or_none(
        self, text: str, alert: Alert, sources: tuple[str, ...] = ()
    ) -> RenderedAlert | None:
        """Never raises: ``None`` (the default look) when the template fails; logged once."""
        try:
            return self.render(text, alert, sources)
        except Exception as exc:
            key = text[:200]
            if key not in self._failed_logged and len(self._failed_logged) < 10_000:
                self._failed_logged.add(key)
                log.warning(
                    "a chat template failed (%s: %s); that alert uses the default look "
                    "(logged once per template)",
                    type(exc).__name__,
                    str(exc)[:200],
                )
            return None

    def _values_of(
        self,
        alert: Alert,
        sources: tuple[str, ...],
        key: tuple[Any, ...] | None = None,
        copy: bool = True,
    ) -> dict[str, Any]:
        """The placeholders, computed once per alert and reused for every chat it goes to
        (a fan-out sends one article to thousands of chats); a copy per render."""
        key = key or _values_key(alert, sources)
        if key is None:
            return values.alert_values(alert, sources)
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = values.alert_values(alert, sources)
            if len(self._values) > 512:
                self._values.popitem(last=False)
        return dict(found) if copy else found

    def _memo_of(
        self,
        alert: Alert,
        values_key: tuple[Any, ...] | None,
        mention: str | None,
        allowed: Callable[[], str],
        summary: str,
    ) -> lines_of.LineMemo | None:
        """The lines already sanitised and parsed for this alert and mention (shared by
        every chat it goes to); None when the alert cannot be told apart (no id)."""
        if values_key is None:
            return None
        key = (*values_key, mention)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = lines_of.LineMemo(
                allowed, mention, values.article_urls(alert), summary
            )
            if len(self._lines) > 512:
                self._lines.popitem(last=False)
        return found

    def _new_context(self, found: dict[str, Any]) -> Any:
        return new_context(self.env, None, {}, found, shared=True)

    def forget_renders(self) -> None:
        """Drop the per-alert caches (placeholder values, lines); compiled templates stay."""
        self._values.clear()
        self._lines.clear()

    def _run(
        self,
        parts: pieces.Parts,
        alert: Alert,
        sources: tuple[str, ...] = (),
        plain_summary: bool = False,
        same: str | None = None,
    ) -> RenderedAlert:
        """The alert through the template's parts. ``same`` (the template's text): the
        result is kept for this alert and mention, for the next chat with that template
        (chats on one preset)."""
        values_key = _values_key(alert, sources)
        shared = self._values_of(alert, sources, values_key, copy=False)
        mention = alert.mention

        def allowed() -> str:
            return values.allowed_text(alert, mention)

        memo = self._memo_of(alert, values_key, mention, allowed, shared["summary"])
        if memo is None or same is None:
            return self._compose(parts, alert, shared, memo, allowed, plain_summary)
        result = memo.results.get(same)
        if result is None:
            result = self._compose(parts, alert, shared, memo, allowed, plain_summary)
            memo.results[same] = result
        return result

    def _compose(
        self,
        parts: pieces.Parts,
        alert: Alert,
        shared: dict[str, Any],
        memo: lines_of.LineMemo | None,
        allowed: Callable[[], str],
        plain_summary: bool,
    ) -> RenderedAlert:
        """Render, sanitise and parse the parts: the lines, and the embed and Telegram
        choices the template made (worked out once per alert for the same choices)."""
        mention = alert.mention
        summary = shared["summary"]

        def output(sheet: pieces.Sheet, stand_in: bool) -> str:
            def context() -> Any:  # made only when a piece is rendered, not reused
                found = dict(shared)
                found["embed"] = sheet.embed
                found["field"] = sheet.field
                found["telegram"] = sheet.telegram
                found["mention"] = mention or ""
                found.update(self._globals)
                if stand_in:
                    found["summary"] = lines_of.SUMMARY
                return self._new_context(found)

            rendered = memo.pieces if memo is not None else None
            return pieces.render(parts, rendered, stand_in, context, sheet)

        # a summary shown only as {{ summary }}: a stand-in the memo fills with its spans
        stand_in = memo is not None and plain_summary and bool(summary)
        stand_in = stand_in and not (mention and markup.has_private(mention))
        sheet = pieces.Sheet()
        text = output(sheet, stand_in)
        done = lines_of.process(text, memo) if memo is not None else None
        if done is None and stand_in:  # the rare text that needs the whole-text path
            sheet = pieces.Sheet()
            text = output(sheet, False)
        if done is not None:
            lines, text = done
            urls = memo.urls  # type: ignore[union-attr]
            placed = bool(mention) and memo.contains(text, mention)  # type: ignore[union-attr,arg-type]
        else:
            untouched = (summary, shared["body"])
            text = markup.sanitise(text, allowed, mention, untouched)
            urls = values.article_urls(alert)
            lines = markup.parse(text, urls)
            placed = bool(mention) and mention in text  # type: ignore[operator]
        unplaced = "" if placed or not mention else mention
        if not sheet.calls:  # no embed or Telegram choices: the defaults
            return RenderedAlert(lines, mention=unplaced)
        calls = tuple(sheet.calls)
        keep = memo is not None and all(call[2] is not None for call in calls)
        found = memo.choices.get(calls) if keep else None  # type: ignore[union-attr]
        if found is None:  # once per alert and mention for the same calls (a preset's)
            found = _choices(pieces.Sheet.settled(calls), allowed, urls)
            if keep:
                memo.choices[calls] = found  # type: ignore[union-attr]
        return RenderedAlert(lines, *found, mention=unplaced)  # type: ignore[arg-type]


def _choices(sheet: pieces.Sheet, allowed: Callable[[], str], urls: frozenset[str]) -> tuple:  # type: ignore[type-arg]
    """The template's embed and Telegram choices, each text sanitised (and parsed), in
    ``RenderedAlert``'s field order after ``lines``: title, fields, author, footer,
    colour, image, preview, timestamp."""
    options = sheet.options
    if not options and not sheet.fields:
        return ((), (), "", "", "sentiment", True, True, True)

    def plain(value: Any) -> str:
        return markup.unmark(markup.sanitise(str(value), allowed)) if value else ""

    def line(text: str) -> Line:
        return _line(markup.sanitise(text, allowed), urls)

    fields = tuple(
        (markup.sanitise(name, allowed)[:256], line(value), inline)
        for name, value, inline in sheet.fields
    )
    title = options.get("title")
    return (
        line(str(title)) if title else (),
        fields,
        plain(options.get("author")),
        plain(options.get("footer")),
        str(options.get("colour", "sentiment")),
        bool(options.get("image", True)),
        bool(options.get("preview", True)),
        bool(options.get("timestamp", True)),
    )


def _values_key(alert: Alert, sources: tuple[str, ...]) -> tuple[Any, ...] | None:
    """What the placeholders of an alert depend on; None when it cannot be told (no id)."""
    article = alert.article
    if article.id is None:
        return None
    items = tuple((a.id, a.content_hash, a.updated_at, a.title) for a in alert.digest_items)
    if any(item[0] is None for item in items):
        return None
    return (
        article.id,
        article.content_hash,
        article.updated_at,
        article.title,
        article.summary,
        article.tags,
        article.sentiment,
        article.url,
        article.image_url,
        article.source_name,
        article.story_id,
        article.retracted,
        alert.kind,
        alert.extra_sources,
        alert.updated,
        alert.retracted,
        alert.timezone,
        items,
        sources,
    )


def _line(text: str, urls: frozenset[str]) -> Line:
    lines = markup.parse(text.replace("\n", " "), urls)
    return lines[0] if lines else ()


def _samples() -> list[Alert]:
    """A plain alert, a breaking one, a retracted edit and a digest: the set-time trial."""
    article = values.sample_article()
    long = replace(article, summary="word " * 400, body="text " * 700, tags=tuple("ABCDEFGH"))
    bare = replace(article, url=None, image_url=None, tags=(), summary="", id=None)
    return [
        Alert(article=article, extra_sources=2, mention=None),
        Alert(article=long, kind=DeliveryKind.BREAKING),
        Alert(article=bare, updated=True, retracted=True),
        Alert(article=article, kind=DeliveryKind.DIGEST, digest_items=(article, long, bare)),
    ]
