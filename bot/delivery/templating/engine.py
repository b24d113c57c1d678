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
from dataclasses import replace
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError

from bot.delivery.templating import markup, values
from bot.delivery.templating.sandbox import (
    _COLOUR,
    MAX_TEMPLATE_CHARS,
    build_environment,
    statically_refused,
)
from bot.models import Alert, DeliveryKind, Line, RenderedAlert

log = logging.getLogger("cryptowire.templates")

CACHE_SIZE = 20_000


class TemplateProblem(ValueError):
    """A template that cannot be used; the message is one line for the chat."""


class _Sheet:
    """What a template chose beyond its text (embed parts, Telegram options) in one render."""

    __slots__ = ("fields", "options")

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.fields: list[tuple[str, str, bool]] = []

    def embed(
        self,
        title: Any = None,
        footer: Any = None,
        author: Any = None,
        colour: Any = None,
        image: Any = None,
        timestamp: Any = None,
        color: Any = None,
    ) -> str:
        colour = colour if colour is not None else color
        if colour is not None and not _COLOUR.match(str(colour)):
            raise SecurityError("colour is 'sentiment', 'none' or '#rrggbb'")
        given = {"title": title, "footer": footer, "author": author, "colour": colour}
        given |= {"image": image, "timestamp": timestamp}
        self.options.update({k: v for k, v in given.items() if v is not None})
        return ""

    def field(self, name: Any, value: Any, inline: Any = True) -> str:
        if len(self.fields) < 25:
            self.fields.append((markup.unmark(str(name)), str(value), bool(inline)))
        return ""

    def telegram(self, cover: Any = None, preview: Any = None) -> str:
        if cover is not None:
            self.options["image"] = bool(cover)
        if preview is not None:
            self.options["preview"] = bool(preview)
        return ""


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
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._failed_logged: set[str] = set()
        self._values: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

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
            compiled = self.env.from_string(ast)
            for alert in _samples():
                output = self._run(compiled, alert)
                if not any(markup.line_text(line).strip() for line in output.lines):
                    if not alert.digest_items:
                        return "the template renders an empty message for a sample article"
        except Exception as exc:  # the message names what failed; one line of it
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"the template fails on a sample article: {first[:200]}"
        self._remember(text, compiled)
        return None

    # -- send time -----------------------------------------------------------------------

    def compiled(self, text: str) -> Any:
        found = self._cache.get(text)
        if found is not None:
            self._cache.move_to_end(text)
            return found
        compiled = self.env.from_string(text)
        self._remember(text, compiled)
        return compiled

    def _remember(self, text: str, compiled: Any) -> None:
        self._cache[text] = compiled
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def render(self, text: str, alert: Alert, sources: tuple[str, ...] = ()) -> RenderedAlert:
        """The alert through ``text`` (may raise: ``render_or_none`` is the send path)."""
        return self._run(self.compiled(text), alert, sources)

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

    def _values_of(self, alert: Alert, sources: tuple[str, ...]) -> dict[str, Any]:
        """The placeholders, computed once per alert and reused for every chat it goes to
        (a fan-out sends one article to thousands of chats); a copy per render."""
        key = _values_key(alert, sources)
        if key is None:
            return values.alert_values(alert, sources)
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = values.alert_values(alert, sources)
            if len(self._values) > 512:
                self._values.popitem(last=False)
        return dict(found)

    def _run(self, compiled: Any, alert: Alert, sources: tuple[str, ...] = ()) -> RenderedAlert:
        sheet = _Sheet()
        context = self._values_of(alert, sources)
        context["embed"] = sheet.embed
        context["field"] = sheet.field
        context["telegram"] = sheet.telegram
        context["mention"] = alert.mention or ""
        context.update(self._globals)
        text = compiled.environment.concat(  # type: ignore[attr-defined]
            compiled.root_render_func(compiled.new_context(context, shared=True))
        )
        mention = alert.mention

        def allowed() -> str:
            return values.allowed_text(alert, mention)

        untouched = (context["summary"], context["body"])
        text = markup.sanitise(text, allowed, mention, untouched)
        urls = values.article_urls(alert)
        options = sheet.options
        lines = markup.parse(text, urls)
        if not options and not sheet.fields:  # no embed or Telegram choices: the defaults
            return RenderedAlert(lines, mention=_unplaced(mention, text))

        def one(key: str) -> str:
            value = options.get(key)
            return markup.unmark(markup.sanitise(str(value), allowed)) if value else ""

        fields = tuple(
            (markup.sanitise(name, allowed)[:256], _line(markup.sanitise(v, allowed), urls), inline)
            for name, v, inline in sheet.fields
        )
        title = options.get("title")
        return RenderedAlert(
            lines=lines,
            title=_line(markup.sanitise(str(title), allowed), urls) if title else (),
            fields=fields,
            author=one("author"),
            footer=one("footer"),
            colour=str(options.get("colour", "sentiment")),
            image=bool(options.get("image", True)),
            preview=bool(options.get("preview", True)),
            timestamp=bool(options.get("timestamp", True)),
            mention=_unplaced(mention, text),
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


def _unplaced(mention: str | None, text: str) -> str:
    """The mention when the template did not show it itself (adapters add it at the end)."""
    return "" if not mention or mention in text else mention


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
