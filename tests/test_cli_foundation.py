"""The CLI as a user runs it: a real subprocess, exit codes and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cryptowire(*args: str, cwd: Path, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_commands(tmp_path: Path):
    result = cryptowire("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("db", "config"):
        assert command in result.stdout


def test_db_upgrade_creates_default_sqlite_and_repeats(tmp_path: Path):
    first = cryptowire("db", "upgrade", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    assert (tmp_path / "cryptowire.db").is_file()
    second = cryptowire("db", "upgrade", cwd=tmp_path)
    assert second.returncode == 0
    assert "already at revision" in second.stdout


def test_db_upgrade_on_each_backend(database_url: str, tmp_path: Path):
    result = cryptowire("--database-url", database_url, "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    again = cryptowire("--database-url", database_url, "db", "upgrade", cwd=tmp_path)
    assert "already at revision" in again.stdout


@pytest.mark.parametrize(
    ("toml", "needle"),
    [('[discord]\ntokn = "x"\n', "discord.tokn"), ("[telegram]\ntoken = 5\n", "telegram.token")],
)
def test_bad_config_exits_2_with_one_line(tmp_path: Path, toml: str, needle: str):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    result = cryptowire("--config", str(path), "config", "check", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert needle in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_file_exits_2_naming_it(tmp_path: Path):
    result = cryptowire("--config", "absent.toml", "config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "absent.toml" in result.stderr


def test_bad_database_url_is_a_clean_error(tmp_path: Path):
    result = cryptowire("--database-url", "mysql://x@h/db", "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    assert "unsupported database" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_exits_1(tmp_path: Path):
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = cryptowire("--database-url", url, "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_token_from_env_is_masked_in_config_show(tmp_path: Path):
    result = cryptowire(
        "config", "show", cwd=tmp_path, env={"CRYPTOWIRE_TELEGRAM_TOKEN": "42:super-secret-token"}
    )
    assert result.returncode == 0
    assert "super-secret-token" not in result.stdout + result.stderr
