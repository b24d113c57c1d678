"""HTML -> readable text, for summaries (fragments) and saved web pages.

BeautifulSoup parses; a single iterative walk collects the text, so the cost stays
linear in the page size (mutating the tree with ``insert_after``/``decompose`` is
quadratic on pages with many blocks, which a hostile 2 MiB file would exploit).
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_HTML_PAGE = re.compile(r"\A\s*(<!doctype html|<html\b|<head\b|<body\b|<article\b)", re.IGNORECASE)
_BLOCKS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article time figcaption".split()
)
_NEVER_TEXT = frozenset({"script", "style", "noscript", "iframe", "template", "svg"})
_PAGE_CHROME = _NEVER_TEXT | {"nav", "header", "footer", "aside", "form", "title", "h1", "button"}
_BREAK = object()


def _walk_text(root: Tag, skip: frozenset[str], block_break: str) -> str:
    """Text of ``root`` in document order; blocks separated by ``block_break``."""
    parts: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is _BREAK:
            parts.append(block_break)
        elif type(node) is NavigableString:
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name not in skip:
            if node.name == "br":
                parts.append("\n")
                continue
            if node.name in _BLOCKS:
                parts.append(block_break)
                stack.append(_BREAK)
            stack.extend(reversed(node.contents))
    return "".join(parts)


MAX_PARSED_TAGS = 5_000


def html_to_text(text: str) -> str:
    """Readable text from an HTML fragment (summaries, bodies); plain text passes through
    cheaply. Past ``MAX_PARSED_TAGS`` tags the tags are stripped instead of parsed."""
    if text.count("<") > MAX_PARSED_TAGS:
        return html.unescape(_TAG.sub(" ", text))
    if _TAG.search(text):
        soup = BeautifulSoup(text, "html.parser")
        text = _walk_text(soup, _NEVER_TEXT, "\n")
    elif _ENTITY.search(text):
        text = html.unescape(text)
    return text


def looks_like_html_page(text: str) -> bool:
    return _HTML_PAGE.match(text[:1000]) is not None


def html_page_to_text(text: str) -> str:
    """A saved web page -> "headline\\n\\nbody text" for the scraped/plain-text parsers:
    the first <h1> (else <title>) on top; navigation, header, footer and asides dropped."""
    soup = BeautifulSoup(text, "html.parser")
    heading = soup.find("h1") or soup.find("title")
    headline = " ".join(heading.get_text(" ").split()) if heading else ""
    root = soup.find("article") or soup.find("main") or soup.body or soup
    body = _walk_text(root, _PAGE_CHROME, "\n\n") if isinstance(root, Tag) else ""
    return f"{headline}\n\n{body}"
