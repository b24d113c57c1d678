"""The sandbox chat templates run in, and what a template may not do (checked statically).

Jinja2's ``ImmutableSandboxedEnvironment`` (no attribute or method that could reach Python
internals, no mutation), tightened: no globals (``range``, ``namespace`` ...), a curated
filter set, read-only string methods only, growth operators and filters capped; and
refused before compiling: variables, macros, includes, recursive loops, loops over
anything but the list placeholders or deeper than two, links and mentions of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.delivery.formatting import truncate
from bot.delivery.templating import markup

MAX_TEMPLATE_CHARS = 2000
MAX_VALUE_CHARS = 20_000  # any one string a template builds (joins, repeats)
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


def statically_refused(ast: nodes.Template) -> str | None:
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
