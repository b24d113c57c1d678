"""The answers of `cryptowire init` and the config.toml they become.

Written by hand rather than with a TOML writer so the file reads like
``config.example.toml``: a comment over each section, only the keys the answers set
(everything else keeps its documented default). Strings are TOML basic strings, escaped
the JSON way (a subset TOML accepts), and the result is loaded back through the settings
model before it replaces anything, so a file init writes always starts the bot.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

TELEGRAM_API = "https://api.telegram.org/bot"
ALL_NEWS = "all"


@dataclass
class InitAnswers:
    """Everything init asks; paths are absolute by the time the file is written."""

    config_path: Path
    database_url: str
    inbox: Path | None
    feeds: list[str] = field(default_factory=list)
    telegram_token: str | None = None
    telegram_admins: list[int] = field(default_factory=list)
    telegram_base_url: str | None = None
    discord_token: str | None = None
    discord_admins: list[int] = field(default_factory=list)
    discord_api_base: str | None = None
    # tokens that came from the environment are used for the check but not written
    tokens_from_env: set[str] = field(default_factory=set)
    console_subscription: str | None = None

    @property
    def platforms(self) -> list[str]:
        found = []
        if self.telegram_token:
            found.append("telegram")
        if self.discord_token:
            found.append("discord")
        return found


def quoted(value: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=False)


def _ids(values: list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def render(answers: InitAnswers) -> str:
    """The config file's text."""
    out = [
        "# Written by `cryptowire init`. Every key and its default: config.example.toml.",
        "# Keep this file private (mode 0600): it may hold bot tokens.",
        "",
        "[storage]",
        quoted_line("url", answers.database_url),
        "",
    ]
    if answers.inbox is not None:
        out += [
            "# Drop article files here (markdown with front matter, saved pages, plain text).",
            "[[sources]]",
            quoted_line("name", "inbox"),
            quoted_line("kind", "folder"),
            quoted_line("path", str(answers.inbox)),
            quoted_line("interval", "30s"),
            "",
        ]
    for number, url in enumerate(answers.feeds, start=1):
        out += [
            "[[sources]]",
            quoted_line("name", f"feed-{number}"),
            quoted_line("kind", "rss"),
            quoted_line("url", url),
            quoted_line("interval", "5m"),
            "",
        ]
    out += _platform("telegram", answers.telegram_token, answers.tokens_from_env)
    out.append(f"admins = {_ids(answers.telegram_admins)}")
    if answers.telegram_base_url and answers.telegram_base_url != TELEGRAM_API:
        out.append(quoted_line("base_url", answers.telegram_base_url))
        out.append(quoted_line("base_file_url", _file_url(answers.telegram_base_url)))
    out.append("")
    out += _platform("discord", answers.discord_token, answers.tokens_from_env)
    out.append(f"admins = {_ids(answers.discord_admins)}")
    if answers.discord_api_base:
        out.append(quoted_line("api_base", answers.discord_api_base))
    out.append("")
    return "\n".join(out)


def quoted_line(key: str, value: str) -> str:
    return f"{key} = {quoted(value)}"


def _platform(name: str, token: str | None, from_env: set[str]) -> list[str]:
    variable = f"CRYPTOWIRE_{name.upper()}_TOKEN"
    lines = [f"[{name}]"]
    if token and name not in from_env:
        lines.append(f"# ${variable} overrides this token.")
        lines.append(quoted_line("token", token))
    elif token:
        lines.append(f"# The token comes from ${variable} (not written here).")
    else:
        lines.append(f'# No {name} bot: set ${variable}, or token = "..." here.')
    return lines


def _file_url(base_url: str) -> str:
    """``http://host/bot`` -> ``http://host/file/bot`` (how the Bot API lays out files)."""
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically (a reader sees old or new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.init-tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
