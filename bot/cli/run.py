"""`cryptowire run` (every configured adapter, sources, dispatcher) and `cryptowire demo`."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from bot.app import App
from bot.cli.demo import demo_settings
from bot.cli.main import app, fail, run_async, settings_or_exit
from bot.ops.roles import ROLES


@app.command("run")
def run_command(
    ctx: typer.Context,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="all | commands (adapters take commands) | deliver (outbox worker) | "
            "ingest (sources and matching, one leader per database).",
        ),
    ] = "all",
) -> None:
    """Run the bot: adapters from the config (console when none), sources, deliveries."""
    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    settings = settings_or_exit(ctx)
    if role != "all" and not settings.storage.url.startswith("postgres"):
        raise fail(f"--role {role} needs a shared PostgreSQL database ([storage] url)")
    run_async(App(settings, mode="run", role=role).run)  # type: ignore[arg-type]


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    inbox: Annotated[
        Path | None,
        typer.Option("--inbox", help="Folder to watch for new articles (default: a temp folder)."),
    ] = None,
) -> None:
    """A local demo: example archive, console chat, and a watched inbox folder (-v: logs)."""
    base = settings_or_exit(ctx)
    root = logging.getLogger()
    if root.level == logging.INFO:  # the terminal is the chat: only problems are logged
        root.setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="cryptowire-demo-") as scratch:
        folder = (inbox or Path(scratch) / "inbox").expanduser().resolve()
        try:
            settings = demo_settings(base, Path(scratch), folder)
        except OSError as exc:
            raise fail(f"--inbox {folder}: cannot use this folder ({exc.strerror})") from None
        print(f"Cryptowire demo. Drop article files into: {folder}", flush=True)
        if sys.stdin.isatty():
            print("Type /help for the commands; Ctrl-D or Ctrl-C quits.", flush=True)
        run_async(App(settings, mode="demo", inbox=folder).run)
