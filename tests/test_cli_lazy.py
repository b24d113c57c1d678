"""`cryptowire latest` or `--version` must not pay for importing both platform libraries and
the web console: the CLI imports only the module that owns the command on the line. These
tests keep the command -> module map true, and check in real processes what each command
line imports."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

from bot.cli.main import COMMAND_MODULES, _command_word, app


def test_every_registered_command_is_owned_by_the_module_the_map_names():
    owners: dict[str, str] = {}
    for module in COMMAND_MODULES:
        before = {c.name for c in app.registered_commands}
        importlib.import_module(module)
        # a module imported earlier (by another test) added its commands already
        added = {c.name for c in app.registered_commands} - before
        for name in added:
            owners[name] = module
    every = {c.name for c in app.registered_commands}
    mapped = {name: m for m, names in COMMAND_MODULES.items() for name in names}
    assert set(mapped) == every, "a command is missing from COMMAND_MODULES (or stale)"
    for name, module in owners.items():
        assert mapped[name] == module


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["latest", "BTC"], "latest"),
        (["--config", "latest", "search", "x"], "search"),  # a config file named "latest"
        (["-c", "x.toml", "-v", "--log-json", "ingest", "a.md"], "ingest"),
        (["--database-url", "sqlite:///x.db", "story", "3"], "story"),
        (["--version"], ""),
        (["--help"], None),
        ([], None),
        (["-v"], None),
    ],
)
def test_the_command_word_skips_global_options_and_their_values(argv, word):
    assert _command_word(argv) == word


PROBE = """
import json, sys
from bot.cli.main import main
sys.argv = ["cryptowire", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
heavy = ["telegram", "discord", "bot.web.server", "bot.cli.run"]
print("IMPORTED " + json.dumps([m for m in heavy if m in sys.modules]))
"""


def imported_by(argv: list[str], cwd) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED "))
    return json.loads(line.removeprefix("IMPORTED ")), done.stdout + done.stderr


def test_version_and_reading_commands_skip_the_platform_libraries(tmp_path):
    heavy, out = imported_by(["--version"], tmp_path)
    assert heavy == [] and "cryptowire " in out
    db = tmp_path / "cw.db"
    heavy, out = imported_by(["--database-url", f"sqlite:///{db}", "latest"], tmp_path)
    assert heavy == [], out
    assert "does not exist" in out or "no database" in out.lower() or "error" in out


def test_help_and_an_unknown_command_still_see_every_command(tmp_path):
    _, out = imported_by(["--help"], tmp_path)
    for names in COMMAND_MODULES.values():
        for name in names:
            assert name in out
    _, out = imported_by(["lates"], tmp_path)
    assert "No such command" in out
