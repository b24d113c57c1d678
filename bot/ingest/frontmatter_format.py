"""Markdown with YAML front matter (samples 000, 002, 003).

The YAML is read with python-frontmatter's *safe* loader (libyaml when available, see
``front_yaml``) that also leaves dates as strings, so an impossible date ("2026-02-31",
year 0) becomes our one-line rejection instead of a crash inside PyYAML. Ignored on
purpose: ``score`` (a source ranking with no meaning to readers), ``ai`` (rewrite
bookkeeping) and ``source.type``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import yaml

from bot.ingest import front_yaml
from bot.ingest.errors import RejectedDocument
from bot.ingest.fields import MAX_TAGS, ParsedFields, normalise_tag, source_key_for
from bot.ingest.identity import normalised_title
from bot.ingest.normalise import (
    clean_block,
    clean_line,
    heading_text,
    html_to_text,
    markdown_to_text,
    parse_datetime,
)
from bot.models import Sentiment

_OPENING = re.compile(r"\A\s*-{3,}[ \t]*\n")
_CLOSING = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)
_H1 = re.compile(r"^[ \t]{0,3}#[ \t]+([^\n]+)$", re.MULTILINE)
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_IMAGE_SIZES = ("regular", "full", "large", "raw", "original", "url", "src", "medium", "small")


def looks_like(text: str) -> bool:
    """Front matter starts with a line of dashes and closes with another one."""
    return _OPENING.match(text) is not None


def parse(text: str, *, now: datetime) -> ParsedFields:
    """Front matter markdown -> fields; rejects malformed YAML and documents without a title."""
    meta, content = _split(text)
    get = _Getter(meta)
    body = clean_block(markdown_to_text(content))
    title_value = get.text("title", "headline", "name")
    if title_value is None:
        heading = _H1.search(content)
        title_value = heading_text(heading.group(1)) if heading else None
    title = clean_line(html_to_text(title_value)) if title_value else ""
    if not any(ch.isalnum() for ch in title):
        raise RejectedDocument("no title (front matter has no 'title' and the body no '# heading')")
    body = _without_repeated_title(body, title)
    summary = get.text("description", "summary", "excerpt", "subtitle", "standfirst")
    source_key, source_name = _source(meta)
    published = get.scalar(
        "publishedAt", "published_at", "date", "published", "pubDate", "created", wanted="a date"
    )
    updated = get.scalar(
        "updatedAt", "updated_at", "updated", "modified", "lastmod", "lastModified", wanted="a date"
    )
    return ParsedFields(
        title=title,
        summary=clean_line(html_to_text(summary)) if summary is not None else None,
        body=body,
        url=_url(get.text("url", "link", "canonical", "canonicalUrl", "permalink")),
        external_id=_external_id(get.scalar("externalId", "external_id", "id", "guid", "uid")),
        source_key=source_key,
        source_name=source_name,
        published_at=_date(published, "publishedAt", now),
        updated_at=_date(updated, "updatedAt", now),
        lang=_lang(get.text("lang", "language", "locale")),
        tags=_tags(get.raw("tags", "keywords"), get.raw("category", "categories")),
        sentiment=_sentiment(get.text("sentiment", "mood")),
        image_url=_image(get.raw("coverImage", "cover_image", "image", "thumbnail", "cover")),
        sticky_weight=_sticky(
            get.scalar("stickyWeight", "sticky_weight", "sticky", wanted="a whole number")
        ),
        draft=_draft(get.scalar("draft", wanted="true or false")),
        retracted=_flag(get.scalar("retracted", wanted="true or false"), "retracted"),
    )


def _split(text: str) -> tuple[Mapping[str, Any], str]:
    body_start = _OPENING.match(text)
    assert body_start is not None
    closing = _CLOSING.search(text, body_start.end())
    if closing is None:
        raise RejectedDocument("front matter opened with '---' but never closed")
    front = text[body_start.end() : closing.start()]
    content = text[closing.end() :]
    try:
        meta = front_yaml.load_bounded(front)
    except front_yaml.FrontMatterTooBig as error:
        raise RejectedDocument(str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise RejectedDocument(f"malformed YAML front matter{where}: {problem}") from None
    except (RecursionError, ValueError, TypeError) as error:
        raise RejectedDocument(f"malformed YAML front matter: {type(error).__name__}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise RejectedDocument("malformed YAML front matter: expected 'key: value' pairs")
    return meta, content


class _Getter:
    """First present key among aliases; values that are not text are rejected clearly."""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self.meta = {str(k): v for k, v in meta.items()}

    def raw(self, *keys: str) -> Any:
        for key in keys:
            value = self.meta.get(key)
            if value is not None and value != "":
                return value
        return None

    def scalar(self, *keys: str, wanted: str = "a single value") -> Any:
        """Like ``raw``, but a list or mapping is rejected before anything converts it
        to text (``draft: *bomb`` must not be turned into a gigabyte string)."""
        for key in keys:
            value = self.meta.get(key)
            if value is None or value == "":
                continue
            if not _is_scalar(value):
                raise RejectedDocument(f"'{key}' must be {wanted}, not a {_kind(value)}")
            return value
        return None

    def text(self, *keys: str) -> str | None:
        for key in keys:
            value = self.meta.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
            raise RejectedDocument(f"'{key}' must be text, not a {_kind(value)}")
        return None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | date)


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", bool: "true/false", set: "set"}.get(
        type(value), type(value).__name__
    )


def _date(value: Any, field: str, now: datetime) -> datetime | None:
    return None if value is None else parse_datetime(value, field=field, now=now)


def _source(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    source = meta.get("source")
    key = meta.get("sourceKey") or meta.get("source_key")
    name = meta.get("sourceName") or meta.get("source_name")
    if isinstance(source, Mapping):
        key = key or source.get("key") or source.get("id")
        name = name or source.get("name") or source.get("title")
    elif isinstance(source, str | int) and not isinstance(source, bool):
        name = name or str(source)
    elif source is not None:
        raise RejectedDocument(f"'source' must be a name or a mapping, not a {_kind(source)}")
    for value, what in ((key, "source key"), (name, "source name")):
        if not _is_scalar(value):  # never str() a list: it may be an alias bomb
            raise RejectedDocument(f"the {what} must be text, not a {_kind(value)}")
    name_text = clean_line(str(name)) if name not in (None, "") else None
    key_text = source_key_for(str(key)) if key not in (None, "") else None
    if key_text is None and name_text:
        key_text = source_key_for(name_text)
    return key_text, name_text or key_text


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    url = value.strip()
    return url if re.match(r"^https?://[^\s/]+", url, re.IGNORECASE) and " " not in url else None


def _external_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool | Mapping | list):
        return None
    text = str(value).strip()
    return text[:200] or None


def _lang(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().lower().replace("_", "-")
    # Subscriptions filter on the language, not the region: "en-US" is stored as "en".
    return code.split("-")[0] if _LANG.match(code) else None


def _split_tags(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r"[,;|]", value)
        if len(parts) == 1:
            parts = value.split()
        return parts
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int | float)]
    return []


def _tags(tags: Any, category: Any) -> tuple[str, ...] | None:
    seen: dict[str, None] = {}
    for part in [*_split_tags(tags), *_split_tags(category)]:
        tag = normalise_tag(part)
        if tag:
            seen.setdefault(tag)
    # An empty list says nothing: enrichment fills it in.
    return tuple(seen)[:MAX_TAGS] if seen else None


def _sentiment(value: str | None) -> Sentiment | None:
    if value is None:
        return None
    try:
        return Sentiment.parse(value)
    except ValueError:
        # An unknown label ("mixed") is not a statement we can store: infer instead.
        return None


def _image(value: Any) -> str | None:
    if isinstance(value, str):
        return _url(value)
    if isinstance(value, Mapping):
        for size in _IMAGE_SIZES:
            found = value.get(size)
            if isinstance(found, str) and _url(found):
                return _url(found)
        for found in value.values():
            if isinstance(found, str) and _url(found):
                return _url(found)
    if isinstance(value, list) and value:
        return _image(value[0])
    return None


def _sticky(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise RejectedDocument("'stickyWeight' must be a whole number, not true/false")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise RejectedDocument(f"'stickyWeight' must be a whole number, not {value!r}") from None
    if number != number or abs(number) > 1_000_000 or number != int(number):
        raise RejectedDocument(f"'stickyWeight' must be a whole number, not {value!r}")
    return int(number)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _draft(value: Any) -> bool | None:
    return _flag(value, "draft")


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RejectedDocument(f"'{name}' must be true or false, not {str(value)[:40]!r}")


def _without_repeated_title(body: str, title: str) -> str:
    """Bodies often open with the title as a heading; readers should not see it twice."""
    first, _, rest = body.partition("\n")
    if (
        first
        and abs(len(first) - len(title)) < 8
        and normalised_title(first) == normalised_title(title)
    ):
        return rest.lstrip("\n")
    return body
