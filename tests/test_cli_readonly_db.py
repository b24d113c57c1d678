"""Reading commands never create a database: a mistyped SQLite path is one line, exit 2.

It used to answer "no articles yet" and leave an empty archive (and its folders) behind.
One real process shows what a user sees; the rest run through the same typer app
in-process (no start-up cost per command).
"""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from bot.cli.main import COMMAND_MODULES, app

READERS = [
    ["latest", "BTC", "--json"],
    ["search", "etf"],
    ["show", "1"],
    ["story", "1"],
    ["sources"],
    ["audit"],
    ["db", "current"],
]


def registered() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)


def test_latest_in_a_real_process_refuses_a_missing_database(tmp_path):
    target = tmp_path / "typo" / "dir" / "x.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", f"sqlite:///{target}", "latest"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: no database at {target} (check --database-url or [storage] url; "
        "`cryptowire db upgrade` creates it)"
    ]
    assert not (tmp_path / "typo").exists()  # neither the file nor its folders


def test_every_reading_command_refuses_a_missing_database_and_creates_nothing(tmp_path):
    registered()
    url = f"sqlite:///{tmp_path / 'typo' / 'dir' / 'x.db'}"
    runner = CliRunner()
    for args in READERS:
        result = runner.invoke(app, ["--database-url", url, *args])
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2, (args, result.output)
        assert len(lines) == 1 and "no database at" in lines[0], (args, result.stderr)
        assert not result.stdout.strip(), (args, result.stdout)
    assert not (tmp_path / "typo").exists()


def test_reading_an_existing_archive_works_and_writing_commands_create_it(tmp_path):
    registered()
    url = f"sqlite:///{tmp_path / 'new' / 'cw.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    assert (tmp_path / "new" / "cw.db").is_file()
    for args in READERS:
        result = runner.invoke(app, ["--database-url", url, *args])
        assert result.exit_code in (0, 1, 2) and "no database" not in result.output, args
    current = runner.invoke(app, ["--database-url", url, "db", "current"])
    assert current.exit_code == 0 and "empty" not in current.stdout
