"""Load and validate the TOML configuration; environment variables override secrets.

Every section has working defaults so a user with no file gets a bot on SQLite.
Errors name the file and the key, and never echo a secret.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import UserError
from bot.web.settings import WebConfig

DEFAULT_DATABASE_URL = "sqlite:///cryptowire.db"
DEFAULT_CONFIG_NAME = "config.toml"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class ConfigError(UserError):
    """A user-fixable problem with the configuration; its text is one line."""


MASK = "***"
# scheme://user:password@  -> the password;  scheme://longtoken@ -> the token
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@?#]*:)[^\s@/?#]+(?=@)")
_URL_TOKEN_USER = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s:/@?#]{16,}(?=@)")
# ?token=...&api_key=... and /bot123456:ABC... (the Telegram Bot API's token in the path)
_SECRET_NAME = (
    r"(?:api_?key|apikey|key|token|secret|passw(?:or)?d|pass|pwd|auth|authorization|sig"
    r"|signature|session(?:id)?|credentials?|code)"
)  # alone or joined to other words by _ . - ("access_token", "X-Amz-Signature"), not "keyword"
_SECRET_QUERY = re.compile(
    rf"(?i)([?&;](?:[a-z0-9]+[_.-])*{_SECRET_NAME}(?:[_.-][a-z0-9]+)*=)[^&;#\s\"']+"
)
_BOT_TOKEN = re.compile(r"(/bot)\d{3,}:[A-Za-z0-9_-]{10,}")


def mask_url(text: str) -> str:
    """``text`` with every credential a URL can carry replaced by ``***``: the password
    of ``user:password@``, a token used as the user name, secret-looking query values
    (``token=``, ``api_key=``, ``password=``, ``sig=``...) and a Telegram bot token in a
    path. Works on a bare URL and on any text with URLs in it (log lines, errors)."""
    if "://" not in text and "=" not in text and "/bot" not in text:
        return text
    text = _URL_PASSWORD.sub(rf"\1{MASK}", text)
    text = _URL_TOKEN_USER.sub(rf"\1{MASK}", text)
    text = _SECRET_QUERY.sub(rf"\1{MASK}", text)
    return _BOT_TOKEN.sub(rf"\1{MASK}", text)


def url_secrets(settings: Settings) -> list[str]:
    """Passwords and token user names in every configured URL: the log filter masks them
    wherever they appear, in a URL or not (a driver may print one on its own)."""
    urls = [settings.storage.url, settings.delivery.rate_limit_url, settings.telegram.base_url]
    urls += [settings.telegram.webhook_url, settings.discord.api_base]
    urls += [source.url for source in settings.sources]
    found = []
    for url in filter(None, urls):
        try:
            parts = urlsplit(url)
            password, user = parts.password, parts.username
        except ValueError:
            continue
        found += [password] if password else [user] if user and len(user) >= 16 else []
    return found


def masked(value: Any) -> Any:
    """A ``model_dump`` with every string passed through ``mask_url`` (``config show``)."""
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return mask_url(value) if isinstance(value, str) else value


def parse_duration(value: str | int | float) -> timedelta:
    """Turn "5m", "30s", "2h", "1d" or a number of seconds into a timedelta."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration (examples: 30s, 5m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(_Section):
    """Where the archive, chats and the outbox live."""

    url: str = DEFAULT_DATABASE_URL
    echo: bool = False
    # SQLite: /search through a tantivy index beside the file ("fts5": SQLite's own only)
    search_index: Literal["tantivy", "fts5"] = "tantivy"


class SourceConfig(_Section):
    """One live source: a watched folder or an RSS/Atom feed."""

    name: str
    kind: Literal["folder", "rss"]
    path: Path | None = None
    url: str | None = None
    interval: str = "5m"
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _valid_interval(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _needs_target(self) -> SourceConfig:
        if self.kind == "folder" and self.path is None:
            raise ValueError(f"source {self.name!r}: kind 'folder' needs 'path'")
        if self.kind == "rss" and not self.url:
            raise ValueError(f"source {self.name!r}: kind 'rss' needs 'url'")
        return self

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval).total_seconds()


class TelegramConfig(_Section):
    """python-telegram-bot settings; the token may come from CRYPTOWIRE_TELEGRAM_TOKEN."""

    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    admins: list[int] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8443"
    webhook_secret: SecretStr | None = None
    poll_timeout: int = 30


class DiscordConfig(_Section):
    """discord.py settings; the token may come from CRYPTOWIRE_DISCORD_TOKEN."""

    token: SecretStr | None = None
    admins: list[int] = Field(default_factory=list)
    guild_ids: list[int] = Field(default_factory=list)
    # Base URL of the REST API (e.g. "http://127.0.0.1:8080/api/v10") for self-hosted
    # proxies and tests; the gateway URL is then asked from that API (GET /gateway/bot).
    api_base: str | None = None


class BroadcastTarget(_Section):
    """An announcement channel that receives every breaking story."""

    platform: Literal["telegram", "discord", "console"]
    chat: str
    pin: bool = False
    template: str | None = None  # a preset (compact, standard, full) or a template's text


class TemplatesConfig(_Section):
    """Admin default templates per platform: a preset name or a template's text
    (docs/templates.md); a chat's own /template wins, unset means the fixed look."""

    telegram: str | None = None
    discord: str | None = None
    console: str | None = None


class DeliveryConfig(_Section):
    """Outbox and dispatcher tuning."""

    max_attempts: int = Field(default=8, ge=1)
    backoff_base_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=600.0, gt=0)
    batch_size: int = Field(default=200, ge=1)
    # Sends a worker keeps in flight. A worker killed mid-send can repeat at most these
    # (their sends reached the platform, their "sent" rows were not yet committed): 1 makes
    # each send wait for its own commit, the strictest bound at some throughput cost.
    max_in_flight: int = Field(default=8, ge=1)
    poll_interval_s: float = Field(default=0.2, gt=0)
    breaking_sticky_weight: int = 10
    # Several workers on PostgreSQL share each bot token's send budget: in the database by
    # default, or in Redis ("redis://127.0.0.1:6379") through the `limits` library.
    rate_limit_url: str | None = None
    # Multiplies every adapter's declared send limits (a higher platform tier, or a test
    # against a fake platform whose clock runs this many times faster).
    limit_scale: float = Field(default=1.0, gt=0)


class FleetConfig(_Section):
    """Timings of processes sharing one PostgreSQL (``run --role``, decision 011)."""

    # a standby ingest process tries to take the lead this often
    leader_retry_s: float = Field(default=2.0, gt=0)
    # a delivery worker silent this long (no heartbeat) loses its claimed rows to the others
    lease_s: float = Field(default=30.0, gt=0)


class HttpConfig(_Section):
    """Outgoing fetches (feeds) and the optional health/metrics listener."""

    listen: str | None = None
    timeout_s: float = Field(default=15.0, gt=0)
    max_response_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    user_agent: str = "Cryptowire/0.1 (+https://github.com/cryptowire/cryptowire)"
    per_host_concurrency: int = Field(default=2, ge=1)
    # where WebSub hubs reach this process's listener (e.g. https://bot.example.org);
    # feeds naming a hub get their items pushed to <public_url>/websub/<source key>
    public_url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _public_url_served(self) -> HttpConfig:
        if self.public_url is not None:
            if not self.public_url.startswith(("http://", "https://")):
                raise ValueError("http.public_url must start with http:// or https://")
            if not self.listen:
                raise ValueError("http.public_url needs http.listen (the server hubs call)")
        return self


class IngestConfig(_Section):
    """Limits applied to every incoming file or item."""

    max_file_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    story_window_hours: float = Field(default=72.0, gt=0)


class CommandsConfig(_Section):
    """[commands]: each user may send ``burst`` commands at once, then ``per_minute``;
    beyond that they get one polite line. ``per_minute = 0`` turns the limit off."""

    per_minute: float = Field(default=30.0, ge=0)
    burst: int = Field(default=20, ge=1)


class StoriesConfig(_Section):
    """How articles are grouped into stories (decisions 010 and 018)."""

    # "semantic": static sentence vectors + names, figures, time; "lexical": MinHash only
    method: Literal["semantic", "lexical"] = "semantic"


class RetentionConfig(_Section):
    """How long finished work is kept: the outbox would otherwise grow by one row per
    chat and story forever (10,000 chats x 100 stories a day is a million rows a day)."""

    # Sent, failed and cancelled deliveries (and the sent-message records used to edit
    # alerts when a story changes) older than this are deleted; 0 keeps them forever.
    # Must exceed the story window: a delivery row is what stops a second alert per story.
    finished_deliveries_days: float = Field(default=30.0, ge=0)
    every_minutes: float = Field(default=60.0, gt=0)
    # The subscription change log (each process replays it into its index) keeps this
    # many hours; a process further behind reloads its whole index. 0 keeps it forever.
    subscription_changes_hours: float = Field(default=24.0, ge=0)


class Settings(_Section):
    """The whole configuration."""

    storage: StorageConfig = StorageConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    telegram: TelegramConfig = TelegramConfig()
    discord: DiscordConfig = DiscordConfig()
    broadcast: list[BroadcastTarget] = Field(default_factory=list)
    delivery: DeliveryConfig = DeliveryConfig()
    fleet: FleetConfig = FleetConfig()
    http: HttpConfig = HttpConfig()
    ingest: IngestConfig = IngestConfig()
    stories: StoriesConfig = StoriesConfig()
    retention: RetentionConfig = RetentionConfig()
    templates: TemplatesConfig = TemplatesConfig()
    commands: CommandsConfig = CommandsConfig()
    web: WebConfig = WebConfig()
    source_file: Annotated[Path | None, Field(exclude=True)] = None

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        names = [s.name for s in self.sources]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _retention_outlives_stories(self) -> Settings:
        days = self.retention.finished_deliveries_days
        window_days = self.ingest.story_window_hours / 24
        if 0 < days <= window_days:
            raise ValueError(
                f"retention.finished_deliveries_days ({days:g}) must exceed the story window "
                f"({window_days:g} days), or be 0 to keep deliveries forever"
            )
        return self


def _format_error(path: Path | None, error: ValidationError) -> str:
    """One line naming the file, the key and the problem, with no input values echoed."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    where = str(path) if path else "configuration"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key '{key}'"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: '{key}': {message}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def resolve_config_path(explicit: str | Path | None, env: dict[str, str]) -> Path | None:
    """--config wins, then CRYPTOWIRE_CONFIG, then ./config.toml when it exists."""
    if explicit:
        return Path(explicit)
    if env.get("CRYPTOWIRE_CONFIG"):
        return Path(env["CRYPTOWIRE_CONFIG"])
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.is_file() else None


def load_settings(
    path: str | Path | None = None,
    *,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Settings:
    """Load, merge environment overrides and validate; raise ConfigError on any problem."""
    environ = dict(os.environ if env is None else env)
    config_path = resolve_config_path(path, environ)
    data: dict[str, Any] = _read_toml(config_path) if config_path else {}
    if not isinstance(data, dict):  # pragma: no cover - tomllib always returns a dict
        raise ConfigError(f"{config_path}: top level must be a table")
    overrides = {
        ("telegram", "token"): environ.get("CRYPTOWIRE_TELEGRAM_TOKEN"),
        ("discord", "token"): environ.get("CRYPTOWIRE_DISCORD_TOKEN"),
        ("storage", "url"): database_url or environ.get("CRYPTOWIRE_DATABASE_URL"),
        ("web", "password"): environ.get("CRYPTOWIRE_WEB_PASSWORD"),
    }
    for (section, key), value in overrides.items():
        if value:
            table = data.setdefault(section, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{config_path}: '{section}' must be a table")
            table[key] = value
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(config_path, exc)) from None
    base = config_path.parent if config_path else Path.cwd()
    sources = [_with_absolute_path(source, base) for source in settings.sources]
    return settings.model_copy(update={"source_file": config_path, "sources": sources})


def _with_absolute_path(source: SourceConfig, base: Path) -> SourceConfig:
    """A folder ``path`` made absolute at load: relative to the config file's folder (the
    working directory without a file), so ``path = "./inbox"`` means the same folder
    whichever directory the bot is started from, and file events (absolute paths) match."""
    if source.path is None:
        return source
    path = source.path.expanduser()
    absolute = Path(os.path.abspath(path if path.is_absolute() else base / path))
    return source.model_copy(update={"path": absolute})
