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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError

from bot.delivery.templating import markup
from bot.delivery.templating.sandbox import _COLOUR

MAX_PIECES = 50_000  # distinct pieces kept compiled (a preset has about twenty)
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
    """Splits parsed templates into pieces; compiles each distinct piece once."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self._known: dict[str, Piece] = {}

    def split(self, ast: nodes.Template) -> Parts:
        """The template's parts in order: literal text, or a compiled piece."""
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
                return (self._piece(ast.body, whole=True),)
        merged: list[str | Piece] = []
        for part in parts:  # adjacent literals as one
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            elif part != "":
                merged.append(part)
        return tuple(merged)

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
            found = Piece(len(self._known) + 1, compiled, names, plain)
            if len(self._known) < MAX_PIECES:
                self._known[key] = found
        return found


class Sheet:
    """What a template chose beyond its text (embed parts, Telegram options) in one render;
    each call is kept, so a piece's output can be reused with the choices it made."""

    __slots__ = ("calls", "fields", "options")

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.fields: list[tuple[str, str, bool]] = []
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def replay(self, calls: tuple[tuple[str, tuple[Any, ...]], ...]) -> None:
        for name, args in calls:
            getattr(self, name)(*args)

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
        self.calls.append(("embed", (title, footer, author, colour, image, timestamp, color)))
        colour = colour if colour is not None else color
        if colour is not None and not _COLOUR.match(str(colour)):
            raise SecurityError("colour is 'sentiment', 'none' or '#rrggbb'")
        given = {"title": title, "footer": footer, "author": author, "colour": colour}
        given |= {"image": image, "timestamp": timestamp}
        self.options.update({k: v for k, v in given.items() if v is not None})
        return ""

    def field(self, name: Any, value: Any, inline: Any = True) -> str:
        self.calls.append(("field", (name, value, inline)))
        if len(self.fields) < 25:
            self.fields.append((markup.unmark(str(name)), str(value), bool(inline)))
        return ""

    def telegram(self, cover: Any = None, preview: Any = None) -> str:
        self.calls.append(("telegram", (cover, preview)))
        if cover is not None:
            self.options["image"] = bool(cover)
        if preview is not None:
            self.options["preview"] = bool(preview)
        return ""


def render(
    parts: Parts,
    memo: dict[tuple[int, bool], tuple[str, tuple[Any, ...]]] | None,
    variant: bool,
    context: Callable[[], Any],
    sheet: Sheet,
) -> str:
    """The template's output: each piece from ``memo`` (this alert's, this mention's) when a
    chat rendered it before, else rendered in ``context()`` (made at the first need)."""
    out: list[str] = []
    made = None
    for part in parts:
        if part.__class__ is str:
            out.append(part)  # type: ignore[arg-type]
            continue
        key = (part.number, variant)  # type: ignore[union-attr]
        found = memo.get(key) if memo is not None else None
        if found is None:
            if made is None:
                made = context()
            mark = len(sheet.calls)
            text = part.render(made)  # type: ignore[union-attr]
            found = (text, tuple(sheet.calls[mark:]))
            if memo is not None:
                memo[key] = found
        elif found[1]:
            sheet.replay(found[1])
        out.append(found[0])
    return "".join(out)
