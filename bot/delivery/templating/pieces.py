"""A template as its top-level pieces: each compiled once per process, rendered once per alert.

A fan-out sends one article to thousands of chats whose templates differ in a line or two
(a preset with the chat's own header). A template cannot keep state (no ``set``, ``with``,
macros, blocks of its own: ``sandbox.statically_refused``), so its output is the
concatenation of its top-level pieces' outputs: the text between tags, each expression
of a top-level ``{{ ... }}``, each top-level ``{% if %}`` / ``{% for %}`` / ``{% filter %}``.
Each piece is a pure function of the alert's placeholders (the helpers ``embed``,
``field`` and ``telegram`` only record what they are given; ``Sheet`` replays that).

So a piece is compiled once for every template that has it (the same syntax tree: the
chat's own header does not make the preset below it new), and rendered once per alert
and mention for every chat that has it; a chat pays for a dictionary look-up per piece.
A template with any other top-level statement is one piece (rendered whole).

Parsing is then most of what a template's first use costs (after a restart, every chat's
template at its first send): a template that is one seen before under a few lines of the
chat's own (``heads.cuts``) parses only those lines, and a plain head (text and
placeholders) is not parsed at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError

from bot.delivery.templating import heads, markup
from bot.delivery.templating.sandbox import _COLOUR

MAX_PIECES = 50_000  # distinct pieces kept compiled (a preset has about twenty)
MAX_TAILS = 2_000  # templates kept parsed for reuse under chats' own heads
# top-level statements that are whole on their own: their output is all they do
_WHOLE = (nodes.If, nodes.For, nodes.FilterBlock, nodes.ScopedEvalContextModifier)


class Piece:
    """One compiled piece, numbered for the per-alert memo's keys, with what the send path
    asks of its syntax (worked out once, when it is compiled): the names it reads, and
    whether it shows ``summary`` only plainly (``None``: it does not show it)."""

    __slots__ = ("names", "number", "plain_summary", "render")

    def __init__(
        self, number: int, template: Any, names: frozenset[str], plain: bool | None
    ) -> None:
        self.number = number
        self.names = names
        self.plain_summary = plain
        concat = template.environment.concat
        root = template.root_render_func

        def render(context: Any) -> str:
            return concat(root(context))  # type: ignore[no-any-return]

        self.render: Callable[[Any], str] = render


Parts = tuple[str | Piece, ...]


class Run(Piece):
    """A tail several templates share (``Pieces.parts_of``), as one piece: its output is
    kept whole per alert, so a chat with that tail under its own head looks up two or
    three parts instead of twenty."""

    __slots__ = ("parts",)

    def __init__(self, number: int, parts: Parts) -> None:
        self.number = number
        self.parts = parts
        self.names = names(parts)
        uses = [p.plain_summary for p in parts if isinstance(p, Piece)]
        uses = [plain for plain in uses if plain is not None]
        self.plain_summary = all(uses) if uses else None


def flat(parts: Parts) -> Parts:
    """The parts with every run opened (what parsing the whole text gives)."""
    opened: list[str | Piece] = []
    for part in parts:
        opened.extend(part.parts if isinstance(part, Run) else (part,))
    return _merged(opened)


def names(parts: Parts) -> frozenset[str]:
    """Every placeholder the template reads."""
    found: set[str] = set()
    for part in parts:
        if isinstance(part, Piece):
            found |= part.names
    return frozenset(found)


def shows_summary_plainly(parts: Parts) -> bool:
    """The template shows the summary, and only as ``{{ summary }}`` (or tests it with
    ``{% if summary %}``), never through a filter or an expression: a stand-in can then
    take its place while rendering."""
    uses = [p.plain_summary for p in parts if isinstance(p, Piece)]
    uses = [plain for plain in uses if plain is not None]
    return bool(uses) and all(uses)


def plain_summary(tree: nodes.Template) -> bool:
    """True when every use of ``summary`` is a bare output or a bare ``if`` test."""
    plain: set[int] = set()
    for output in tree.find_all(nodes.Output):
        plain.update(id(n) for n in output.nodes if isinstance(n, nodes.Name))
    for test in tree.find_all(nodes.If):
        plain.add(id(test.test))
    uses = [n for n in tree.find_all(nodes.Name) if n.name == "summary"]
    return bool(uses) and all(id(n) in plain for n in uses)


class Pieces:
    """Turns template text into parts; compiles each distinct piece once."""

    def __init__(self, env: Any, names: Collection[str] = ()) -> None:
        self.env = env
        self.names = frozenset(names)  # placeholders a plain head may show unparsed
        self._known: dict[str, Piece] = {}
        self._numbers = itertools.count(1)
        self._tails: dict[str, Run] = {}  # a template seen under several heads, as one run
        self._seen: set[str] = set()  # tails seen once (learnt when seen again)

    def parts_of(self, text: str) -> Parts:
        """``split(env.parse(text))``. A template that is a known one under a few lines of
        its own (a preset with the chat's header) parses only those lines: parsing is most
        of what a template's first use costs, once its pieces are compiled."""
        cuts = heads.cuts(text)
        for head, tail in cuts:
            known = self._tails.get(tail)
            if known is not None:
                above = self._standalone(head)
                if above is not None:
                    return _merged([*above, known])
        parts = self.split(self.env.parse(text))
        for _head, tail in cuts:
            if tail in self._seen:
                self._seen.discard(tail)
                found = self._standalone(tail)
                if found is not None and len(self._tails) < MAX_TAILS:
                    self._tails[tail] = Run(next(self._numbers), _merged(found))
            elif tail not in self._tails:
                if len(self._seen) >= MAX_TAILS:
                    self._seen.clear()
                self._seen.add(tail)
        return parts

    def _standalone(self, text: str) -> list[str | Piece] | None:
        """The parts of text parsed alone; None when it does not parse alone, or has a
        statement rendered whole (which could depend on the rest). A plain head (text,
        placeholders, comments) is read without the parser (``heads.plain_head``)."""
        plain = heads.plain_head(text, self.names)
        if plain is not None:
            return [p if isinstance(p, str) else self._piece(p) for p in plain]
        try:
            parts = self._split(self.env.parse(text))
        except TemplateSyntaxError:
            return None
        return parts

    def split(self, ast: nodes.Template) -> Parts:
        """The template's parts in order: literal text, or a compiled piece."""
        parts = self._split(ast)
        return _merged(parts) if parts is not None else (self._piece(ast.body, whole=True),)

    def _split(self, ast: nodes.Template) -> list[str | Piece] | None:
        parts: list[str | Piece] = []
        for node in ast.body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData):
                        parts.append(child.data)
                    else:
                        parts.append(self._piece(nodes.Output([child], lineno=child.lineno)))
            elif isinstance(node, _WHOLE):
                parts.append(self._piece(node))
            else:
                return None
        return parts

    def _piece(self, node: Any, whole: bool = False) -> Piece:
        body = node if whole else [node]
        key = repr(body)  # every field of every node; line numbers left out
        found = self._known.get(key)
        if found is None:
            tree = nodes.Template(body, lineno=1)
            tree.set_environment(self.env)
            names = frozenset(meta.find_undeclared_variables(tree))
            plain = plain_summary(tree) if "summary" in names else None
            compiled = self.env.from_string(tree)  # after the analysis: compiling optimises
            found = Piece(next(self._numbers), compiled, names, plain)
            if len(self._known) < MAX_PIECES:
                self._known[key] = found
        return found


def _merged(parts: list[str | Piece]) -> Parts:
    merged: list[str | Piece] = []
    for part in parts:  # adjacent literals as one
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return tuple(merged)


Call = tuple[str, tuple[Any, ...], "tuple[type, ...] | None"]
_SIMPLE = frozenset({str, bool, int, float, type(None)})


class Sheet:
    """What a template chose beyond its text (embed parts, Telegram options) in one render;
    each call is kept, so a piece's output can be reused with the choices it made."""

    __slots__ = ("calls", "fields", "options")

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.fields: list[tuple[str, str, bool]] = []
        self.calls: list[Call] = []

    def _record(self, name: str, args: tuple[Any, ...]) -> None:
        """A call with its arguments' types: the calls are a key for the choices they make
        (``1`` and ``True`` are equal, but shown as ``1`` and ``True``); ``None`` for
        arguments of other types (a list, a tuple), which keep no choices."""
        kinds = tuple(type(arg) for arg in args)
        self.calls.append((name, args, kinds if _SIMPLE.issuperset(kinds) else None))

    def replay(self, calls: tuple[Call, ...]) -> None:
        """A reused piece's calls, recorded only (they were checked when it was rendered):
        ``settled`` makes the choices of the whole sequence."""
        self.calls.extend(calls)

    @classmethod
    def settled(cls, calls: tuple[Call, ...]) -> Sheet:
        """A sheet with every call made in order: the template's choices."""
        sheet = cls()
        for name, args, _kinds in calls:
            getattr(sheet, name)(*args)
        return sheet

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
        self._record("embed", (title, footer, author, colour, image, timestamp, color))
        colour = colour if colour is not None else color
        if colour is not None and not _COLOUR.match(str(colour)):
            raise SecurityError("colour is 'sentiment', 'none' or '#rrggbb'")
        given = {"title": title, "footer": footer, "author": author, "colour": colour}
        given |= {"image": image, "timestamp": timestamp}
        self.options.update({k: v for k, v in given.items() if v is not None})
        return ""

    def field(self, name: Any, value: Any, inline: Any = True) -> str:
        self._record("field", (name, value, inline))
        if len(self.fields) < 25:
            self.fields.append((markup.unmark(str(name)), str(value), bool(inline)))
        return ""

    def telegram(self, cover: Any = None, preview: Any = None) -> str:
        self._record("telegram", (cover, preview))
        if cover is not None:
            self.options["image"] = bool(cover)
        if preview is not None:
            self.options["preview"] = bool(preview)
        return ""


def render(
    parts: Parts,
    memo: dict[tuple[int, bool], tuple[str, tuple[Call, ...]]] | None,
    variant: bool,
    context: Callable[[], Any],
    sheet: Sheet,
) -> str:
    """The template's output: each piece from ``memo`` (this alert's, this mention's) when a
    chat rendered it before, else rendered in ``context()`` (made at the first need)."""
    made: list[Any] = []

    def make() -> Any:
        if not made:
            made.append(context())
        return made[0]

    return _render(parts, memo, variant, make, sheet)


def _render(
    parts: Parts,
    memo: dict[tuple[int, bool], tuple[str, tuple[Call, ...]]] | None,
    variant: bool,
    make: Callable[[], Any],
    sheet: Sheet,
) -> str:
    out: list[str] = []
    for part in parts:
        if part.__class__ is str:
            out.append(part)  # type: ignore[arg-type]
            continue
        key = (part.number, variant)  # type: ignore[union-attr]
        found = memo.get(key) if memo is not None else None
        if found is None:
            mark = len(sheet.calls)
            if part.__class__ is Run:
                text = _render(part.parts, memo, variant, make, sheet)  # type: ignore[union-attr]
            else:
                text = part.render(make())  # type: ignore[union-attr]
            found = (text, tuple(sheet.calls[mark:]))
            if memo is not None:
                memo[key] = found
        elif found[1]:
            sheet.replay(found[1])
        out.append(found[0])
    return "".join(out)
