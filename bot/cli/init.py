"""`cryptowire init`: from nothing to a config that starts the bot, asked or given as options.

Interactive by default (typer prompts, rich output); ``--non-interactive`` takes the same
answers as options, for scripts. Either way it refuses to replace an existing config
without ``--force``, checks each token with its platform (saying plainly when the
platform cannot be reached), writes the file with mode 0600, creates the watched folder,
applies the migrations and prints the exact command to run next.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import tomllib
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bot.alerts.subscription_filter import normalize_tag
from bot.cli.init_config import (
    ALL_NEWS,
    TELEGRAM_API,
    InitAnswers,
    render,
    sqlite_url,
    write_private,
)
from bot.cli.main import app, fail, ready_storage, run_async, state
from bot.cli.token_check import DEFAULT_TIMEOUT_S, TokenCheck, check_discord, check_telegram
from bot.config import DEFAULT_CONFIG_NAME, Settings
from bot.models import ChatRef, Sentiment, SubscriptionFilter

CONSOLE_CHAT = ChatRef("console", "local")
DATABASE_NAME = "cryptowire.db"
INBOX_NAME = "inbox"


def ask(text: str, default: str | None = None, *, hide: bool = False) -> str:
    """A typer prompt on a terminal. From a pipe: one line per question, and the end of the
    input keeps every remaining default (so `cryptowire init < /dev/null` equals
    --non-interactive instead of aborting)."""
    if sys.stdin.isatty():
        return str(typer.prompt(text, default=default, hide_input=hide, show_default=bool(default)))
    shown = f" [{default}]" if default and not hide else ""
    typer.echo(f"{text}{shown}: ", nl=False)
    line = sys.stdin.readline()
    typer.echo("" if line else "(end of input: the default)")
    if line.strip():
        return line.strip()
    if default is None:
        raise fail(f"no answer to {text!r}; nothing written")
    return default


def ask_yes(text: str, default: bool) -> bool:
    if sys.stdin.isatty():
        return typer.confirm(text, default=default)
    answer = ask(f"{text} [{'Y/n' if default else 'y/N'}]", "").lower()
    return default if not answer else answer in ("y", "yes")


def _split_ids(text: str, what: str) -> list[int]:
    """ "123, 456" -> [123, 456]; a word that is not a number is an error naming it."""
    ids = []
    for word in text.replace(",", " ").split():
        if not word.lstrip("-").isdigit():
            raise typer.BadParameter(f"{word!r} is not a numeric {what} id")
        ids.append(int(word))
    return ids


def _ask_ids(what: str, hint: str) -> list[int]:
    while True:
        text = ask(f"{what} admin user ids, comma-separated ({hint})", default="")
        try:
            return _split_ids(text, what)
        except typer.BadParameter as exc:
            typer.echo(f"  {exc.message}")


def _ask_token(
    platform: str, env_value: str | None, check: float | None, answers: InitAnswers
) -> None:
    """Prompt for a token until the platform accepts it (or cannot be asked)."""
    if env_value:
        typer.echo(f"Using the {platform} token from $CRYPTOWIRE_{platform.upper()}_TOKEN.")
        answers.tokens_from_env.add(platform)
    for _ in range(3):
        token = env_value or ask(f"{platform.capitalize()} bot token", hide=True)
        token = token.strip()
        result = _check(platform, token, answers, check) if check else None
        if result is None or result.status != "rejected":
            setattr(answers, f"{platform}_token", token)
            return
        if env_value:
            raise fail(f"{result.line}: fix $CRYPTOWIRE_{platform.upper()}_TOKEN")
    raise fail(f"{platform}: three tokens rejected; nothing written")


def _check(platform: str, token: str, answers: InitAnswers, timeout: float) -> TokenCheck:
    if platform == "telegram":
        base = answers.telegram_base_url or TELEGRAM_API
        result = asyncio.run(check_telegram(token, base, timeout))
    else:
        result = asyncio.run(check_discord(token, answers.discord_api_base, timeout))
    style = {"ok": "green", "rejected": "red", "unreachable": "yellow"}[result.status]
    Console(stderr=True, highlight=False).print(f"[{style}]{result.line}[/{style}]")
    return result


def _recheck(platform: str, check: float | None, answers: InitAnswers) -> None:
    """A token given as an option is checked too; a refused one is asked for again."""
    token = getattr(answers, f"{platform}_token")
    if token and check and _check(platform, token, answers, check).status == "rejected":
        setattr(answers, f"{platform}_token", None)


def _interactive(answers: InitAnswers, check: float | None) -> None:
    """Ask everything, with the options given on the command line as defaults."""
    console = Console(highlight=False)
    console.print("[bold]Cryptowire set-up[/bold]: a few questions, Enter keeps the default.")
    console.print(f"The configuration goes to [cyan]{answers.config_path}[/cyan].\n")
    env = os.environ
    if not ask_yes("Connect a Telegram bot?", bool(answers.telegram_token)):
        answers.telegram_token = None
    else:
        _recheck("telegram", check, answers)
        if not answers.telegram_token:
            console.print("  Create one with @BotFather (/newbot); it gives you the token.")
            _ask_token("telegram", env.get("CRYPTOWIRE_TELEGRAM_TOKEN"), check, answers)
        answers.telegram_admins = answers.telegram_admins or _ask_ids(
            "Telegram", "message @userinfobot to learn yours; empty for none"
        )
    if not ask_yes("Connect a Discord bot?", bool(answers.discord_token)):
        answers.discord_token = None
    else:
        _recheck("discord", check, answers)
        if not answers.discord_token:
            console.print("  Developer portal > Applications > your app > Bot > Reset Token.")
            _ask_token("discord", env.get("CRYPTOWIRE_DISCORD_TOKEN"), check, answers)
        answers.discord_admins = answers.discord_admins or _ask_ids(
            "Discord", "Developer Mode on, right-click yourself > Copy User ID; empty for none"
        )
    default_inbox = str(answers.inbox) if answers.inbox else "-"
    folder = ask("Folder to watch for article files ('-' for none)", default_inbox)
    answers.inbox = None if folder.strip() in ("-", "") else Path(folder).expanduser().resolve()
    feeds = ask("RSS/Atom feed URLs to poll, comma-separated", default="")
    answers.feeds += [u for u in feeds.replace(",", " ").split() if u]
    database = ask("Database: 'sqlite' (one server) or a postgresql:// URL (a fleet)", "sqlite")
    if database.strip().lower() != "sqlite":
        answers.database_url = database.strip()
    if not answers.platforms:
        answers.console_subscription = ask(
            "No chat platform: the console is your chat. Console alerts for which tags "
            f"('{ALL_NEWS}' for every story, '-' for none)",
            default=answers.console_subscription or ALL_NEWS,
        )


def _subscription(text: str | None) -> SubscriptionFilter | None:
    """The console chat's first subscription: "all", tags and sentiments, or none."""
    words = (text or "").split()
    if not words or words == ["-"]:
        return None
    if [w.lower() for w in words] == [ALL_NEWS]:
        return SubscriptionFilter(sentiments=frozenset(Sentiment))
    sentiments = {Sentiment(w.upper()) for w in words if w.upper() in Sentiment.__members__}
    tags = {normalize_tag(w) for w in words if w.upper() not in Sentiment.__members__}
    return SubscriptionFilter(tags=frozenset(tags), sentiments=frozenset(sentiments))


async def _prepare_storage(settings: Settings, subscription: SubscriptionFilter | None) -> str:
    """Apply the migrations; give the console chat its first subscription."""
    storage = await ready_storage(settings)
    try:
        revision = await storage.current_revision()
        if subscription is not None:
            chats = storage.chats
            chat = await chats.get_or_create(CONSOLE_CHAT, title="console")
            existing = await chats.list_subscriptions(chat.id)
            if all(old.filter != subscription for old in existing):
                await chats.add_subscription(chat.id, subscription, created_by="init")
        return revision or "empty"
    finally:
        await storage.close()


def _next_command(config_path: Path) -> str:
    if config_path.resolve() == (Path.cwd() / DEFAULT_CONFIG_NAME).resolve():
        return "cryptowire run"
    return f"cryptowire --config {shlex.quote(str(config_path))} run"


@app.command("init")
def init_command(
    ctx: typer.Context,
    non_interactive: Annotated[
        bool, typer.Option("--non-interactive", help="Ask nothing; take the answers below.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config.")] = False,
    telegram_token: Annotated[
        str | None, typer.Option(help="Bot token from @BotFather (or $CRYPTOWIRE_TELEGRAM_TOKEN).")
    ] = None,
    telegram_admin: Annotated[
        list[int] | None, typer.Option(help="A Telegram admin user id (repeat for more).")
    ] = None,
    discord_token: Annotated[
        str | None, typer.Option(help="Bot token (or $CRYPTOWIRE_DISCORD_TOKEN).")
    ] = None,
    discord_admin: Annotated[
        list[int] | None, typer.Option(help="A Discord admin user id (repeat for more).")
    ] = None,
    inbox: Annotated[
        Path | None, typer.Option(help="Folder to watch for article files [default: ./inbox].")
    ] = None,
    no_inbox: Annotated[bool, typer.Option("--no-inbox", help="Watch no folder.")] = False,
    feed: Annotated[list[str] | None, typer.Option(help="An RSS/Atom URL (repeat).")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="A postgresql:// URL [default: SQLite next to the config]."),
    ] = None,
    console_alerts: Annotated[
        str,
        typer.Option(help="Without a platform: the console's alerts ('all', tags, or '-')."),
    ] = ALL_NEWS,
    check_tokens: Annotated[
        bool, typer.Option(help="Ask the platforms whether the tokens are good.")
    ] = True,
    check_timeout: Annotated[float, typer.Option(help="Seconds to wait for a platform.")] = (
        DEFAULT_TIMEOUT_S
    ),
    telegram_base_url: Annotated[
        str | None, typer.Option(help="A self-hosted Bot API root (http://host:port/bot).")
    ] = None,
    discord_api_base: Annotated[
        str | None, typer.Option(help="A Discord REST proxy (http://host:port/api/v10).")
    ] = None,
) -> None:
    """Write a working config.toml (0600), create its folders and database, say what next."""
    cli = state(ctx)
    config_path = (cli.config_path or Path(DEFAULT_CONFIG_NAME)).expanduser().absolute()
    if config_path.exists() and not force:
        raise fail(f"{config_path} already exists; nothing changed (--force replaces it)")
    base = config_path.parent
    answers = InitAnswers(
        config_path=config_path,
        database_url=database_url or cli.database_url or sqlite_url(base / DATABASE_NAME),
        inbox=None if no_inbox else (inbox or base / INBOX_NAME).expanduser().absolute(),
        feeds=list(feed or []),
        telegram_admins=list(telegram_admin or []),
        discord_admins=list(discord_admin or []),
        telegram_base_url=telegram_base_url,
        discord_api_base=discord_api_base,
        console_subscription=console_alerts,
    )
    for platform, given in (("telegram", telegram_token), ("discord", discord_token)):
        from_env = os.environ.get(f"CRYPTOWIRE_{platform.upper()}_TOKEN")
        if given:
            setattr(answers, f"{platform}_token", given.strip())
        elif from_env and non_interactive:
            setattr(answers, f"{platform}_token", from_env.strip())
            answers.tokens_from_env.add(platform)
    if non_interactive:
        for platform in answers.platforms:
            token = getattr(answers, f"{platform}_token")
            if check_tokens and _check(platform, token, answers, check_timeout).status == (
                "rejected"
            ):
                raise fail(f"{platform}: the platform refused the token; nothing written")
    else:
        _interactive(answers, check_timeout if check_tokens else None)
    if answers.platforms:
        answers.console_subscription = None
    _finish(answers)


def _finish(answers: InitAnswers) -> None:
    """Validate, write, create the folder, migrate, and print what to do next."""
    text = render(answers)
    try:
        settings = Settings.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise fail(f"'{key}': {first['msg'].removeprefix('Value error, ')}") from None
    try:
        subscription = _subscription(answers.console_subscription)
    except ValueError as exc:
        raise fail(f"--console-alerts: {exc}") from None
    if answers.inbox is not None:
        try:
            answers.inbox.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fail(f"{answers.inbox}: cannot create the folder ({exc.strerror})") from None
    try:
        write_private(answers.config_path, text)
    except OSError as exc:
        raise fail(f"{answers.config_path}: cannot write ({exc.strerror})", 1) from None
    console = Console(highlight=False)
    console.print(f"[green]Wrote[/green] {answers.config_path} (mode 0600)")
    revision = run_async(lambda: _prepare_storage(settings, subscription))
    _summary(console, answers, revision)


def _summary(console: Console, answers: InitAnswers, revision: str) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("database", f"{_shown_url(answers.database_url)} (schema {revision})")
    table.add_row("chats", ", ".join(answers.platforms) or "the console (this terminal)")
    if answers.inbox is not None:
        table.add_row("watched folder", str(answers.inbox))
    for url in answers.feeds:
        table.add_row("feed", url)
    if answers.console_subscription and not answers.platforms:
        table.add_row("console alerts", answers.console_subscription)
    console.print(table)
    command = _next_command(answers.config_path)
    console.print("\nNext, start the bot:")
    # the command alone on its line, unstyled, so it can be copied (or read by a script)
    print(f"  {command}", flush=True)
    if answers.inbox is not None:
        console.print(f"then drop an article file into {answers.inbox}", soft_wrap=True)
    if "telegram" in answers.platforms:
        console.print("On Telegram, open a chat with your bot and send /start.")


def _shown_url(url: str) -> str:
    """The database URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in credentials else url
    return url
