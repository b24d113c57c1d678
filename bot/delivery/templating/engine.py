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
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.delivery.formatting import truncate
from bot.delivery.templating import markup, values
from bot.models import Alert, DeliveryKind, Line, RenderedAlert

log = logging.getLogger("cryptowire.templates")

MAX_TEMPLATE_CHARS = 2000
MAX_VALUE_CHARS = 20_000  # any one string a template builds (joins, repeats)
CACHE_SIZE = 20_000
_LISTS = frozenset({"tags", "coins", "sources", "items"})
_SAFE_FILTERS = (
    "abs attr batch capitalize count d default first float int join last length list lower "
    "map max min reject rejectattr replace reverse round select selectattr slice sort string "
    "striptags sum title trim unique upper wordcount"
).split()
_STR_METHODS = frozenset(
    "upper lower title capitalize strip lstrip rstrip startswith endswith split count find "
    "isdigit isalpha isupper islower".split()
)
_COLOUR = re.compile(r"^(sentiment|none|#[0-9a-fA-F]{6})$")
_OWN_LINK = re.compile(r"(?:https?:/|www\.|\w\.[a-z]{2,}\b)", re.IGNORECASE)
_OWN_MENTION = re.compile(r"@\w")


class TemplateProblem(ValueError):
    """A template that cannot be used; the message is one line for the chat."""


def _bounded(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_VALUE_CHARS:
        raise SecurityError("the template builds text that is too long")
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, int | float):
            base = abs(left).bit_length() if isinstance(left, int) else 64
            if abs(right) > 64 or base * abs(right) > 4096:
                raise SecurityError("exponent too large")
        if op == "%" and isinstance(left, str):
            raise SecurityError("% formatting is not available; use filters")
        if op == "*":
            sized, times = (left, right) if isinstance(left, str | list) else (right, left)
            if isinstance(sized, str | list) and isinstance(times, int):
                if len(sized) * times > MAX_VALUE_CHARS:
                    raise SecurityError("the template builds text that is too long")
        return _bounded(self.binop_table[op](left, right))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and callable(value) and attr not in _STR_METHODS:
            return False
        if isinstance(obj, list | dict | tuple) and callable(value):
            return False
        return super().is_safe_attribute(obj, attr, value)


def _cut(text: Any, limit: int = 100) -> str:
    """``x | cut(N)``: at most N characters, at a word boundary, ending with an ellipsis.

    A styled value keeps its style (the cut happens inside the marks)."""
    text = str(text)
    limit = max(0, int(limit))
    if len(text) >= 2 and markup.has_marks(text[0]) and text[-1] == chr(ord(text[0]) + 0x10):
        inner = text[1:-1]
        if not markup.has_marks(inner):
            return text[0] + truncate(inner, limit) + text[-1]
    return truncate(markup.unmark(text), limit)


@pass_context
def _linked(context: Context, value: Any = "", url: Any = None) -> str:
    return markup.linker(lambda: str(context.get("link", "")))(value, url)


def _date(moment: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not isinstance(moment, datetime):
        return str(moment)
    return moment.strftime(str(fmt)[:40])


def _capped(filter_: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return _bounded(filter_(*args, **kwargs))

    for name in ("jinja_pass_arg",):  # keep Jinja's "pass the environment" marker
        if hasattr(filter_, name):
            setattr(run, name, getattr(filter_, name))
    return run


def build_environment() -> _Sandbox:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=False,
        auto_reload=False,
        cache_size=0,
    )
    env.globals.clear()
    env.filters = {name: FILTERS[name] for name in _SAFE_FILTERS}
    for name in ("join", "replace", "sum", "string"):
        env.filters[name] = _capped(FILTERS[name])
    env.filters["truncate"] = env.filters["cut"] = _cut
    env.filters["date"] = _date
    env.filters["linked"] = env.globals["linked"] = _linked
    for style in (markup.BOLD, markup.ITALIC, markup.STRIKE, markup.CODE):
        wrapped = markup.wrap(style)
        env.filters[wrapped.__name__] = wrapped
        env.globals[wrapped.__name__] = wrapped
    return env


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


def _statically_refused(ast: nodes.Template) -> str | None:
    """A thing templates may not do, named; None when the template is acceptable."""
    forbidden = {
        nodes.Macro: "macros",
        nodes.CallBlock: "call blocks",
        nodes.Extends: "extends",
        nodes.Include: "include",
        nodes.Import: "import",
        nodes.FromImport: "import",
        nodes.Assign: "{% set %}",
        nodes.AssignBlock: "{% set %}",
        nodes.With: "{% with %}",
    }
    for kind, name in forbidden.items():
        found = next(iter(ast.find_all(kind)), None)
        if found is not None:
            return f"line {found.lineno}: {name} cannot be used in a template"
    for loop in ast.find_all(nodes.For):
        if loop.recursive:
            return f"line {loop.lineno}: recursive loops cannot be used in a template"
        target = loop.iter
        while isinstance(target, nodes.Filter) and target.node is not None:
            target = target.node
        name = target.name if isinstance(target, nodes.Name) else None
        if isinstance(target, nodes.Getattr) and isinstance(target.node, nodes.Name):
            name = target.attr
        if name not in _LISTS:
            return (
                f"line {loop.lineno}: a loop may only go over tags, coins, sources, items "
                "or item.tags"
            )
        depth = sum(1 for _ in _ancestors_of(ast, loop))
        if depth > 1:
            return f"line {loop.lineno}: loops may be nested two deep at most"
    for piece in _literals(ast):
        if markup.has_marks(piece):
            return "the template contains private-use characters it may not use"
        if _OWN_LINK.search(piece):
            return (
                "a template cannot contain links of its own; {{ link }} and "
                "{{ title | linked }} are the article's"
            )
        if _OWN_MENTION.search(piece):
            return "a template cannot mention anyone; /mention TAG @name sets who is pinged"
    return None


def _ancestors_of(ast: nodes.Template, loop: nodes.For) -> Iterator[nodes.For]:
    for outer in ast.find_all(nodes.For):
        if outer is not loop and any(inner is loop for inner in outer.find_all(nodes.For)):
            yield outer


def _literals(ast: nodes.Template) -> Iterator[str]:
    for data in ast.find_all(nodes.TemplateData):
        yield data.data
    for const in ast.find_all(nodes.Const):
        if isinstance(const.value, str):
            yield const.value


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
        refused = _statically_refused(ast)
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
