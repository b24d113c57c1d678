"""`cryptowire backup PATH`: a consistent copy of the SQLite archive, safe while the bot runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.main import app, fail, open_storage, run_async, settings_or_exit
from bot.errors import RuntimeFailure


def _destination(path: Path, force: bool) -> Path:
    """A folder gets a time-stamped file; an existing file is replaced only with --force."""
    path = path.expanduser()
    if path.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return path / f"cryptowire-{stamp}.db"
    if path.exists() and not force:
        raise fail(f"{path} already exists; nothing changed (--force replaces it)")
    if not path.parent.is_dir():
        raise fail(f"{path.parent}: no such folder")
    return path


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A file to write, or a folder for a dated one.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Copy the SQLite archive with SQLite's online backup API (the bot may keep running)."""
    settings = settings_or_exit(ctx)
    destination = _destination(path, force)

    async def go() -> int:
        storage = open_storage(settings)
        try:
            copy = getattr(storage, "backup", None)
            if copy is None:
                raise RuntimeFailure("this storage cannot make backups")
            return int(await copy(destination))
        finally:
            await storage.close()

    size = run_async(go)
    typer.echo(f"backed up to {destination} ({size / 1024:.0f} KiB)")
