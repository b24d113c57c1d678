"""Configuration: defaults, overrides, and one-line errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, parse_duration

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cw.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_working_sqlite_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.storage.url == "sqlite:///cryptowire.db"
    assert settings.sources == []
    assert settings.source_file is None


def test_local_config_toml_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[storage]\nurl = "sqlite:///here.db"\n')
    assert load_settings(env={}).storage.url == "sqlite:///here.db"


def test_env_config_path_and_overrides(tmp_path: Path):
    path = write(tmp_path, '[storage]\nurl = "sqlite:///a.db"\n[telegram]\nadmins = [1, 2]\n')
    env = {
        "CRYPTOWIRE_CONFIG": str(path),
        "CRYPTOWIRE_TELEGRAM_TOKEN": "123456:SECRET-TOKEN",
        "CRYPTOWIRE_DATABASE_URL": "postgresql://u@h/db",
    }
    settings = load_settings(env=env)
    assert settings.telegram.admins == [1, 2]
    assert settings.storage.url == "postgresql://u@h/db"
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123456:SECRET-TOKEN"
    # the command-line flag beats the environment
    assert load_settings(env=env, database_url="sqlite:///b.db").storage.url == "sqlite:///b.db"


def test_token_never_in_repr_or_dump(tmp_path: Path):
    path = write(tmp_path, '[discord]\ntoken = "very-secret-discord-token"\n')
    settings = load_settings(path, env={})
    assert "very-secret-discord-token" not in repr(settings)
    assert "very-secret-discord-token" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[telegram]\ntokn = "x"\n', "unknown key 'telegram.tokn'"),
        ("[telegram]\ntoken = 12345\n", "'telegram.token'"),
        ('[[sources]]\nname = "a"\nkind = "rss"\n', "needs 'url'"),
        ('[[sources]]\nname = "a"\nkind = "ftp"\nurl = "x"\n', "'sources.0.kind'"),
        ('[[sources]]\nname = "a"\nkind = "rss"\nurl = "x"\ninterval = "soon"\n', "not a duration"),
        ("[storage\nurl=1", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_missing_file_names_the_path(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_example_config_loads_as_it_is():
    settings = load_settings(ROOT / "config.example.toml", env={})
    assert settings.storage.url.startswith("sqlite:///")
    assert {s.kind for s in settings.sources} == {"folder", "rss"}


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), (90, 90)]
)
def test_durations(text: str | int, seconds: float):
    assert parse_duration(text).total_seconds() == seconds
