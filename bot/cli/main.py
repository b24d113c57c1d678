"""The `cryptowire` command line (typer). Exit codes: 0 ok, 1 runtime failure, 2 bad input.

Global options live on the callback; each area registers its commands from its own
module (``bot/cli_*.py``) so this file stays the entry point and nothing more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot import __version__
from bot.config import Settings, load_settings, masked, url_secrets
from bot.errors import RuntimeFailure, UserError
from bot.ops.housekeeping import Housekeeper, utc_now
from bot.ops.logs import configure_logging
from bot.plugins import STORAGE_GROUP, PluginError, load_plugin
from bot.ports import Storage

T = TypeVar("T")
log = logging.getLogger("cryptowire.cli")

app = typer.Typer(
    name="cryptowire",
    help="Cryptowire: one alert per crypto news story, with a searchable archive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


@dataclass
class CliState:
    """What the global options decided, shared with every command through the context."""

    config_path: Path | None = None
    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, database_url=self.database_url)
            from bot.ops.logs import MASKER

            for secret in (self._settings.telegram.token, self._settings.discord.token):
                if secret is not None:
                    MASKER.add(secret.get_secret_value())
            for password in url_secrets(self._settings):
                MASKER.add(password)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # pragma: no cover - set by the callback
        raise RuntimeError("CLI state missing")
    return obj


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run_async(func: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine in our own event loop and turn known errors into one-line exits."""
    try:
        return asyncio.run(_guarded(func))
    except (UserError, RuntimeFailure) as exc:
        raise fail(str(exc), exc.exit_code) from None
    except PluginError as exc:
        raise fail(str(exc), 1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


async def _guarded(func: Callable[[], Awaitable[T]]) -> T:
    try:
        return await func()
    except (UserError, RuntimeFailure, PluginError):
        raise
    except (OSError, ConnectionError) as exc:
        log.debug("runtime failure", exc_info=True)
        raise RuntimeFailure(_describe_os_error(exc)) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")):
            log.debug("database failure", exc_info=True)
            raise RuntimeFailure(f"database error: {_first_line(exc)}") from None
        raise


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _describe_os_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_first_line(exc)}"


def open_storage(settings: Settings) -> Storage:
    """Build the configured storage through its entry point."""
    factory = load_plugin(STORAGE_GROUP, "sqlalchemy")
    return factory(settings)


async def ready_storage(settings: Settings, *, create: bool = True) -> Storage:
    """Open the storage and apply pending migrations, as every command needing data does.
    ``create=False`` (commands that only read): a database that does not exist yet is a
    one-line error (exit 2), never created."""
    storage = open_storage(settings)
    try:
        if not create:
            _refuse_missing(storage)
        await storage.upgrade()
    except BaseException:
        await storage.close()
        raise
    return storage


def _refuse_missing(storage: Storage) -> None:
    missing = storage.missing()
    if missing:
        raise UserError(missing)


def echo_json(obj: Any) -> None:
    """One JSON object per line, UTF-8, for `--json` outputs."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cryptowire {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="TOML config (default: $CRYPTOWIRE_CONFIG, ./config.toml)."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Overrides \\[storage] url and $CRYPTOWIRE_DATABASE_URL."
        ),
    ] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log JSON lines to stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logs.")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True, help="Fewer logs.")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Cryptowire: crypto news alerts for Telegram, Discord and the console."""
    configure_logging(verbosity=verbose - quiet, json_lines=log_json)
    ctx.obj = CliState(config_path=config, database_url=database_url)
    if config is not None and not config.is_file() and ctx.invoked_subcommand != "init":
        raise fail(f"{config}: config file not found")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations (also done automatically at start-up). Safe to repeat."""
    settings = _settings_or_exit(ctx)

    async def go() -> tuple[str | None, str | None]:
        storage = open_storage(settings)
        try:
            return await storage.upgrade()
        finally:
            await storage.close()

    before, after = run_async(go)
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@db_app.command("prune")
def db_prune(
    ctx: typer.Context,
    days: Annotated[
        float | None,
        typer.Option(help="Keep this many days (default: [retention] finished_deliveries_days)."),
    ] = None,
) -> None:
    """Delete finished deliveries and sent-message records past their retention."""
    settings = _settings_or_exit(ctx)
    retention = settings.retention
    if days is not None:
        window_days = settings.ingest.story_window_hours / 24
        if days <= window_days:
            raise fail(
                f"--days must exceed the story window ({window_days:g} days): a delivery "
                "row is what keeps a story to one alert per chat"
            )
        retention = retention.model_copy(update={"finished_deliveries_days": days})
    if retention.finished_deliveries_days == 0:
        typer.echo("retention is 0 days (keep forever): nothing pruned")
        return

    async def go() -> dict[str, int]:
        storage = open_storage(settings)
        try:
            await storage.upgrade()
            keeper = Housekeeper(getattr(storage, "retention"), retention, utc_now)  # noqa: B009
            return await keeper.run_once()
        finally:
            await storage.close()

    removed = run_async(go)
    shown = ", ".join(f"{count} {table.replace('_', ' ')}" for table, count in removed.items())
    typer.echo(f"pruned {shown}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database."""
    settings = _settings_or_exit(ctx)

    async def go() -> str | None:
        storage = open_storage(settings)
        try:
            _refuse_missing(storage)
            return await storage.current_revision()
        finally:
            await storage.close()

    typer.echo(run_async(go) or "empty (run: cryptowire db upgrade)")


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate the configuration and say where it came from."""
    settings = _settings_or_exit(ctx)
    origin = settings.source_file or "built-in defaults"
    for source in settings.sources:  # paths are absolute here (resolved at load)
        if source.kind != "folder" or source.path is None or not source.enabled:
            continue
        if source.path.exists() and not source.path.is_dir():
            raise fail(f"{origin}: source {source.name!r}: {source.path} is not a folder")
        if not source.path.exists():
            typer.echo(f"note: folder {source.path} (source {source.name!r}) is created at start")
    typer.echo(f"configuration OK ({origin}); {len(settings.sources)} source(s)")


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the effective configuration as JSON, secrets masked."""
    settings = _settings_or_exit(ctx)
    # tokens are SecretStr; URLs carry credentials too (user:password@, ?token=)
    typer.echo(json.dumps(masked(settings.model_dump(mode="json")), indent=2))


def _settings_or_exit(ctx: typer.Context) -> Settings:
    try:
        return state(ctx).settings
    except UserError as exc:
        raise fail(str(exc), exc.exit_code) from None


settings_or_exit = _settings_or_exit


def _register_command_modules(argv: list[str] | None = None) -> None:
    """Import the modules that add commands to ``app`` (each area owns its own); with no
    ``argv``, all of them.

    Only the module that owns the command on the line is imported when it is known: the
    `run` module pulls in both platform libraries and the web console (seconds of imports
    under load), which `cryptowire latest` or `--version` never need. Anything else
    (``--help``, an unknown or mistyped command) imports every module, so help and
    typer's "No such command" see the whole list.
    """
    import importlib

    command = None if argv is None else _command_word(argv)
    if command == "" or command in _OWN_COMMANDS:
        return  # `--version`, `db ...`, `config ...`: defined here, nothing to import
    owner = next((m for m, names in COMMAND_MODULES.items() if command in names), None)
    for module in [owner] if owner else COMMAND_MODULES:
        importlib.import_module(module)


_OWN_COMMANDS = frozenset({"db", "config"})
# Global options of the callback that take a value (the next word is not a command).
_OPTIONS_WITH_VALUE = frozenset({"--config", "-c", "--database-url"})
# Global options that make typer stop and print before any command runs.
_EAGER = frozenset({"--version"})


def _command_word(argv: list[str]) -> str | None:
    """The first word that is not a global option: the command, ``""`` when only eager
    global options were given (``--version``), None when there is nothing to go on."""
    skip = False
    eager = False
    for word in argv:
        if skip:
            skip = False
        elif word in _OPTIONS_WITH_VALUE:
            skip = True
        elif word in _EAGER:
            eager = True
        elif not word.startswith("-"):
            return word
        elif word in ("--help", "-h"):
            return None
    return "" if eager else None


# module -> the top-level commands it registers (tests/test_cli_lazy.py keeps this true)
COMMAND_MODULES: dict[str, frozenset[str]] = {
    "bot.cli.archive": frozenset({"ingest", "latest", "search", "show", "story"}),
    "bot.cli.run": frozenset({"run", "demo"}),
    "bot.cli.sources": frozenset({"sources", "poll"}),
    "bot.cli.broadcast": frozenset({"post", "audit"}),
    "bot.cli.init": frozenset({"init"}),
    "bot.cli.backup": frozenset({"backup"}),
}


def main() -> None:
    """Console-script entry point."""
    _register_command_modules(sys.argv[1:])
    app()
