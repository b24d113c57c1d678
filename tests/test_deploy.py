"""The systemd unit in deploy/: valid for systemd itself, and hardened as docs/deploy.md says."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "cryptowire.service"
ENV_FILE = ROOT / "deploy" / "cryptowire.env"
ANALYZE = shutil.which("systemd-analyze")
NEEDS_SYSTEMD = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)


def service() -> dict[str, list[str]]:
    """[Service] directives -> every value given (a directive may repeat)."""
    values: dict[str, list[str]] = {}
    section = None
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "cryptowire.service"
    unit.write_text(UNIT.read_text())
    result = subprocess.run(
        [ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert str(unit) not in result.stderr, result.stderr  # no warnings either


@pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: systemd ignores a misspelt hardening directive with only a
    warning (exit 0), which is why the test also reads the warnings."""
    unit = tmp_path / "cryptowire.service"
    unit.write_text(UNIT.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    result = subprocess.run(
        [ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert str(unit) in result.stderr and "NoNewPrivilege" in result.stderr


def test_the_unit_is_hardened_as_documented() -> None:
    directives = service()
    one = {key: values[-1] for key, values in directives.items()}
    assert one["User"] == "cryptowire" and one["Group"] == "cryptowire"
    assert one["Restart"] == "on-failure"
    assert one["NoNewPrivileges"] == "yes"
    assert one["ProtectSystem"] == "strict"
    assert one["StateDirectory"] == "cryptowire"
    assert "/var/lib/cryptowire" in one["ReadWritePaths"].split()
    assert one["EnvironmentFile"] == "/etc/cryptowire/cryptowire.env"
    assert one["ExecStart"].endswith("cryptowire --log-json run")
    # no secret in the unit itself
    environment = " ".join(directives.get("Environment", []))
    assert "TOKEN" not in environment and "postgresql://" not in environment


def test_the_environment_file_names_the_variables_the_program_reads() -> None:
    names = set(re.findall(r"^#?\s*([A-Z_]+)=", ENV_FILE.read_text(), re.MULTILINE))
    assert {
        "CRYPTOWIRE_TELEGRAM_TOKEN",
        "CRYPTOWIRE_DISCORD_TOKEN",
        "CRYPTOWIRE_DATABASE_URL",
    } <= names
    source = (ROOT / "bot" / "config.py").read_text()
    for name in names:
        assert name in source, name
