"""Slash-command options -> the core's text command language.

Discord hands us typed options; the core parses one line of text shared by every
platform (``/subscribe BTC ETH positive keyword:"etf" -keyword:scam``). Keeping the
translation pure (no discord imports) makes it table-testable.
"""

from __future__ import annotations

import re

from bot.commands.handler import COMMANDS, SPECS

_SPACES = re.compile(r"\s+")
_TOKENS = re.compile(r'(-?)"([^"]*)"|(\S+)')

# Commands that change a chat's settings (the core says which): in a server they need
# Manage Channels.
MANAGE_COMMANDS = frozenset(spec.name for spec in COMMANDS if spec.manages)
# Broadcast commands (issue 8): bot admins only.
ADMIN_COMMANDS = frozenset({"breaking", "post", "audit"})
# Commands whose answers are useful to everyone in the channel; the rest are ephemeral.
PUBLIC_COMMANDS = frozenset({"latest", "search", "story", "why"})


def description(name: str, fallback: str) -> str:
    """The core's one-line description of a command (Discord allows 100 characters)."""
    spec = SPECS.get(name)
    return (spec.description if spec else fallback)[:100]


def one_line(value: str | None) -> str:
    """Collapse newlines and runs of spaces so an option cannot smuggle a second command."""
    return _SPACES.sub(" ", value or "").strip()


def _quote(word: str) -> str:
    return f'"{word}"' if " " in word else word


def keyword_tokens(keywords: str | None) -> list[str]:
    """``etf "spot bitcoin" -scam`` -> ``keyword:etf keyword:"spot bitcoin" -keyword:scam``.

    Words and double-quoted phrases are kept whole; a leading ``-`` excludes them.
    """
    tokens: list[str] = []
    for match in _TOKENS.finditer(one_line(keywords)):
        if match.group(3) is not None:
            word = match.group(3).replace('"', "")
            negate = word.startswith("-")
            word = word.lstrip("-")
        else:
            negate = bool(match.group(1))
            word = one_line(match.group(2))
        if word:
            tokens.append(f"{'-' if negate else ''}keyword:{_quote(word)}")
    return tokens


def subscribe_text(
    tags: str | None = None,
    sentiment: str | None = None,
    keywords: str | None = None,
    source: str | None = None,
    mention: str | None = None,
) -> str:
    """Build ``/subscribe`` with tags first, then sentiment, source, keywords and mention."""
    parts = ["/subscribe"]
    parts.extend(tag for tag in one_line(tags).replace(",", " ").split() if tag)
    if sentiment:
        parts.append(one_line(sentiment).lower())
    if source:
        parts.append(f"source:{_quote(one_line(source))}")
    parts.extend(keyword_tokens(keywords))
    if mention:
        parts.append(f"mention:{mention}")
    return " ".join(parts)


def breaking_text(title: str, text: str, url: str | None = None) -> str:
    """``/breaking TITLE | TEXT [| URL]``; a ``|`` inside a field cannot start a new one."""
    fields = [one_line(title), one_line(text)]
    if url and one_line(url):
        fields.append(one_line(url))
    return "/breaking " + " | ".join(f.replace("|", "/") for f in fields)


def latest_text(tag: str | None = None, count: int | None = None) -> str:
    parts = ["/latest"]
    if tag and one_line(tag):
        parts.append(one_line(tag))
    if count is not None:
        parts.append(str(count))
    return " ".join(parts)


def digest_text(schedule: str, time: str | None = None) -> str:
    """``/digest off|hourly|daily HH:MM``; the core validates the time."""
    parts = ["/digest", one_line(schedule).lower()]
    if time and one_line(time):
        parts.append(one_line(time))
    return " ".join(parts)


def simple_text(command: str, argument: str | int | None = None) -> str:
    """``/command`` plus one free-text argument, flattened to one line."""
    if argument is None:
        return f"/{command}"
    text = one_line(str(argument))
    return f"/{command} {text}" if text else f"/{command}"


def split_current(current: str | None) -> tuple[list[str], str]:
    """Split a multi-tag option being typed into finished words and the word in progress."""
    text = current or ""
    words = text.split()
    if not text or text[-1].isspace():
        return words, ""
    return words[:-1], words[-1]


def tag_suggestions(current: str | None, known: list[str], *, limit: int = 25) -> list[str]:
    """Complete the last word of a space-separated tag list: ``BTC E`` -> ``BTC ETH``."""
    head, _ = split_current(current)
    chosen = {w.upper() for w in head}
    prefix = " ".join(head)
    out: list[str] = []
    for tag in known:
        if tag.upper() in chosen:
            continue
        value = f"{prefix} {tag}" if prefix else tag
        if len(value) <= 100:  # Discord's limit for a choice value
            out.append(value)
        if len(out) >= limit:
            break
    return out


def template_text(text: str | None) -> str:
    """``/template TEXT``: kept as typed (spaces matter in a template); the core reads
    ``\\n`` as a new line."""
    body = (text or "").replace("\r", "").replace("\n", " ").strip()
    return f"/template {body}" if body else "/template"


def mention_text(tag: str | None, who: list[str]) -> str:
    """``/mention TAG <@&role>``, ``/mention TAG off``, ``/mention off`` or ``/mention``."""
    parts = ["/mention"]
    if tag and one_line(tag):
        parts.extend(one_line(tag).split()[:2])  # "BTC off" removes one tag's rule
    parts.extend(who)
    return " ".join(parts)
