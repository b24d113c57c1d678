"""The release as a user gets it: the sdist and the wheel build cleanly, install into a fresh
virtualenv with `pip install` alone, and the installed program works (migrations and example
data included); LICENSE and `--version` are there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from bot import __version__

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def run(*args: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRYPTOWIRE_", "PYTHON"))}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def source_tree(into: Path) -> Path:
    """The files a release is made from (git's, when this is a checkout), away from .venv."""
    tree = into / "src"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
    )
    if listed.returncode == 0 and listed.stdout:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, tree / name)
    else:
        ignore = shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "__pycache__")
        shutil.copytree(ROOT, tree, ignore=ignore)
    return tree


def test_license_is_mit_and_version_is_the_package_version() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert PROJECT["license"] == "MIT"
    assert PROJECT["version"] == __version__
    assert f"## [{__version__}]" in (ROOT / "CHANGELOG.md").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == f"cryptowire {__version__}"


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a fresh venv downloads (or unpacks from pip's cache) every dependency
def test_sdist_and_wheel_build_and_install_into_a_fresh_venv(tmp_path: Path) -> None:
    tree = source_tree(tmp_path)
    dist = tmp_path / "dist"
    # no flags: the sdist first, then the wheel built from the sdist (so the sdist is whole)
    run(sys.executable, "-m", "build", "--outdir", dist, tree, cwd=tmp_path)
    (sdist,) = dist.glob("cryptowire-*.tar.gz")
    (wheel,) = dist.glob("cryptowire-*-py3-none-any.whl")
    with tarfile.open(sdist) as archive:
        names = {Path(*Path(n).parts[1:]).as_posix() for n in archive.getnames()}
    assert {
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "CHANGELOG.md",
        "config.example.toml",
    } <= names
    assert {"deploy/cryptowire.service", "docs/deploy.md"} <= names
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
    assert f"cryptowire-{__version__}.dist-info/licenses/LICENSE" in files
    assert any(f.startswith("storage/migrations/versions/0001") for f in files)
    assert "storage/migrations/env.py" in files
    assert any(f.startswith("bot/data/examples/") for f in files)
    assert not any(f.startswith(("tests/", "bench/")) for f in files)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    pip, program = venv / "bin" / "pip", venv / "bin" / "cryptowire"
    run(pip, "install", "--quiet", wheel, cwd=tmp_path)
    run(pip, "check", cwd=tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    assert run(program, "--version", cwd=home).stdout.strip() == f"cryptowire {__version__}"
    run(program, "init", "--non-interactive", cwd=home)
    assert "0" in run(program, "db", "current", cwd=home).stdout
    example = venv.glob("lib/python*/site-packages/bot/data/examples/01_*.md")
    ingested = run(program, "ingest", "--json", next(example), cwd=home)
    assert '"status": "new"' in ingested.stdout

    # the sdist installs too (pip builds it), over the wheel, with nothing else fetched
    run(pip, "install", "--quiet", "--no-deps", "--force-reinstall", sdist, cwd=tmp_path)
    assert run(program, "--version", cwd=home).stdout.strip() == f"cryptowire {__version__}"
    assert "0" in run(program, "db", "current", cwd=home).stdout
