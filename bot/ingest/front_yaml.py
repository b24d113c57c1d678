"""YAML front matter -> Python values, as PyYAML's safe loader builds them, faster.

libyaml (C) parses and composes the node tree; PyYAML's Python constructor then costs
more than the parsing itself (a generator, a memo and a recursion guard per node).
Front matter is a small tree of mappings, lists and plain scalars, so this walks the
tree directly for exactly that shape and hands anything else (anchors shared between
collections, merge keys ``<<``, ``=`` keys, explicit tags such as ``!!set``/``!!binary``,
deep nesting) to PyYAML's own constructor on the same tree: same values, same errors.
tests/test_ingest_front_yaml.py compares both on tricky documents and the dataset.
"""

from __future__ import annotations

from typing import Any

from frontmatter.default_handlers import SafeLoader
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# Deeper trees go through PyYAML, whose recursion (and RecursionError) decides for them.
MAX_FAST_DEPTH = 20


# Tags of plain scalars already resolved (keys repeat in every document): PyYAML tries
# its implicit-type regexes on each one. Bounded; short values only.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 4096
_PLAIN_TAG_CHARS = 64


class DatesAsText(SafeLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader without the timestamp resolver: we parse dates ourselves."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        """PyYAML's ``resolve``, remembered for plain scalars: without path resolvers
        (none are registered) their tag depends on the text alone."""
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= _PLAIN_TAG_CHARS and len(_PLAIN_TAGS) < _PLAIN_TAGS_MAX:
                _PLAIN_TAGS[value] = tag
        return tag  # type: ignore[no-any-return]


class _Unusual(Exception):
    """The tree has something the direct walk does not build: PyYAML's constructor does."""


def load(text: str) -> Any:
    """``yaml.load(text, Loader=DatesAsText)``, with the common shapes built directly."""
    return _load(text, bounded=False)


class FrontMatterTooBig(ValueError):
    """Front matter over a limit: too long, nested too deeply or expanding too far."""


MAX_TEXT = 64 * 1024  # characters of front matter: real ones have a few hundred
MAX_DEPTH = 32  # nesting levels: real front matter has three at most
MAX_VALUES = 10_000  # nodes counted with every alias expanded (the "billion laughs" bomb)


def load_bounded(text: str) -> Any:
    """``load`` for untrusted documents: refuses, before building any value, front matter
    longer than ``MAX_TEXT``, nested deeper than ``MAX_DEPTH`` or that would count more
    than ``MAX_VALUES`` values with its aliases expanded (434 bytes of nested aliases
    stand for billions of strings). Parsing and building are then linear in the text."""
    if len(text) > MAX_TEXT:
        raise FrontMatterTooBig(
            f"front matter is {len(text):,} characters, over the {MAX_TEXT:,}-character limit"
        )
    return _load(text, bounded=True)


def _load(text: str, *, bounded: bool) -> Any:
    loader = DatesAsText(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if bounded:
            _check_size(node)
        try:
            return _Walk(loader).build(node, 0)
        except Exception:  # _Unusual, or a bad value: PyYAML decides (and words the error)
            return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(root: Node) -> None:
    """Depth and expanded size of the node graph, each shared node counted once per use
    but computed once (memo), so a bomb is measured without being expanded."""
    sizes: dict[int, int] = {}

    def size(node: Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise FrontMatterTooBig(f"front matter is nested more than {MAX_DEPTH} levels deep")
        sizes[id(node)] = MAX_VALUES + 1  # an alias to itself is a cycle: never smaller
        total = 1
        if type(node) is SequenceNode:
            for child in node.value:
                total += size(child, depth + 1)
                if total > MAX_VALUES:
                    break
        elif type(node) is MappingNode:
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
                if total > MAX_VALUES:
                    break
        sizes[id(node)] = total
        return total

    if size(root, 0) > MAX_VALUES:
        raise FrontMatterTooBig(
            f"front matter expands to over {MAX_VALUES:,} values (nested YAML aliases)"
        )


class _Walk:
    """One document's direct construction; every collection node may be visited once."""

    def __init__(self, loader: DatesAsText) -> None:
        self.loader = loader
        self.seen: set[int] = set()

    def build(self, node: Node, depth: int) -> Any:
        tag = node.tag
        if type(node) is ScalarNode:
            if tag == _STR:
                return node.value
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return self.loader.construct_yaml_bool(node)
            if tag == _INT:
                return self.loader.construct_yaml_int(node)
            if tag == _FLOAT:
                return self.loader.construct_yaml_float(node)
            raise _Unusual
        if depth >= MAX_FAST_DEPTH or id(node) in self.seen:
            raise _Unusual  # an alias shares the object (or recurses): PyYAML keeps that
        self.seen.add(id(node))
        if type(node) is MappingNode and tag == _MAP:
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode:
                    raise _Unusual  # "unhashable key" and friends come from PyYAML
                key = self.build(key_node, depth + 1)
                mapping[key] = self.build(value_node, depth + 1)
            return mapping
        if type(node) is SequenceNode and tag == _SEQ:
            return [self.build(child, depth + 1) for child in node.value]
        raise _Unusual
