"""`cryptowire init` as a new user runs it: a real process in an empty folder, the config
it writes, the tokens it checks against the fake platforms, and the bot it starts."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "bot" / "data" / "examples" / "11_btc_etf_outflows.md").read_bytes()
TOKEN = "123456:TEST-token-abcdef"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env.update(extra)
    return env


def cryptowire(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env or clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def acryptowire(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
):
    """The same, without blocking the loop the fake platform runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env or clean_env(),
        stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    data = None if stdin is None else stdin.encode()
    out, err = await asyncio.wait_for(process.communicate(data), 120)
    return process.returncode, out.decode(), err.decode()


def test_non_interactive_init_in_an_empty_folder(tmp_path: Path) -> None:
    result = cryptowire("init", "--non-interactive", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = tmp_path / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    settings = tomllib.loads(config.read_text())
    inbox = Path(settings["sources"][0]["path"])
    assert inbox == tmp_path / "inbox" and inbox.is_dir()
    assert (tmp_path / "cryptowire.db").is_file()
    # migrations ran: the schema is current, and the next command is printed exactly
    current = cryptowire("db", "current", cwd=tmp_path)
    assert current.returncode == 0 and current.stdout.strip()[:4].isdigit(), current.stdout
    assert "\n  cryptowire run\n" in result.stdout
    assert str(inbox) in result.stdout
    check = cryptowire("config", "check", cwd=tmp_path)
    assert check.returncode == 0 and "1 source(s)" in check.stdout


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# mine\n")
    refused = cryptowire("init", "--non-interactive", cwd=tmp_path)
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert config.read_text() == "# mine\n"
    assert not (tmp_path / "inbox").exists()
    forced = cryptowire("init", "--non-interactive", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "[storage]" in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_init_with_another_path_prints_the_command_for_it(tmp_path: Path) -> None:
    where = tmp_path / "etc" / "cw.toml"
    result = cryptowire(
        "--config", str(where), "init", "--non-interactive", "--no-inbox",
        "--feed", "https://example.org/feed.xml", cwd=tmp_path,
    )  # fmt: skip
    # --config names a file that does not exist yet: init is the one command allowed that
    assert result.returncode == 0, result.stderr
    assert f"cryptowire --config {where} run" in result.stdout
    data = tomllib.loads(where.read_text())
    assert [s["kind"] for s in data["sources"]] == ["rss"]
    assert not (tmp_path / "etc" / "inbox").exists()


async def test_a_good_telegram_token_is_checked_and_written(tmp_path: Path) -> None:
    async with FakeBotApi(TOKEN) as fake:
        code, out, err = await acryptowire(
            "init", "--non-interactive", "--telegram-token", TOKEN, "--telegram-admin", "42",
            "--telegram-base-url", fake.base_url, cwd=tmp_path,
        )  # fmt: skip
        assert code == 0, err
        assert [c.method for c in fake.calls] == ["getMe"]
    assert "token accepted, the bot is @cryptowire_test_bot" in err
    assert TOKEN not in out + err
    data = tomllib.loads((tmp_path / "config.toml").read_text())
    assert data["telegram"]["token"] == TOKEN
    assert data["telegram"]["admins"] == [42]
    assert data["telegram"]["base_url"] == fake.base_url


async def test_a_rejected_telegram_token_writes_nothing(tmp_path: Path) -> None:
    async with FakeBotApi(TOKEN) as fake:
        wrong = "999999:WRONG-token"
        code, out, err = await acryptowire(
            "init", "--non-interactive", "--telegram-token", wrong,
            "--telegram-base-url", fake.base_url, cwd=tmp_path,
        )  # fmt: skip
    assert code == 2
    assert "telegram: token rejected" in err and "nothing written" in err
    assert wrong not in out + err
    assert os.listdir(tmp_path) == []


async def test_an_unreachable_platform_is_said_plainly_and_does_not_block(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as listener:  # a port that refuses connections
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    started = time.monotonic()
    code, out, err = await acryptowire(
        "init", "--non-interactive", "--telegram-token", TOKEN, "--check-timeout", "2",
        "--telegram-base-url", f"http://127.0.0.1:{port}/bot", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert f"telegram: token not checked, could not reach 127.0.0.1:{port}" in err
    assert time.monotonic() - started < 60
    assert TOKEN not in out + err
    assert (tmp_path / "config.toml").is_file()


async def test_discord_token_checked_against_the_fake(tmp_path: Path) -> None:
    fake = FakeDiscord()
    api = await fake.start()
    try:
        code, out, err = await acryptowire(
            "init", "--non-interactive", "--discord-token", "discord-secret-token",
            "--discord-api-base", api, "--discord-admin", "7", cwd=tmp_path,
        )  # fmt: skip
        assert code == 0, err
        assert "discord: token accepted" in err
        fake.reject_token = True
        code, _, err = await acryptowire(
            "init", "--non-interactive", "--force", "--discord-token", "discord-secret-token",
            "--discord-api-base", api, cwd=tmp_path,
        )  # fmt: skip
        assert code == 2 and "discord: token rejected" in err
    finally:
        await fake.stop()
    assert "discord-secret-token" not in out + err
    data = tomllib.loads((tmp_path / "config.toml").read_text())  # the first one stays
    assert data["discord"]["admins"] == [7] and data["discord"]["api_base"] == api


def test_a_token_from_the_environment_is_used_but_not_written(tmp_path: Path) -> None:
    env = clean_env(CRYPTOWIRE_TELEGRAM_TOKEN=TOKEN)
    result = cryptowire("init", "--non-interactive", "--no-check-tokens", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "config.toml").read_text()
    assert TOKEN not in text and "$CRYPTOWIRE_TELEGRAM_TOKEN" in text
    assert "telegram" in result.stdout


def test_interactive_init_asks_and_writes_the_answers(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import _register_command_modules, app

    _register_command_modules()
    answers = "\n".join(
        [
            "n",  # Telegram?
            "n",  # Discord?
            str(tmp_path / "drop"),  # folder to watch
            "https://example.org/a.xml, https://example.org/b.xml",  # feeds
            "sqlite",  # database
            "BTC negative",  # console alerts
            "",
        ]
    )
    config = tmp_path / "config.toml"
    result = CliRunner().invoke(app, ["--config", str(config), "init"], input=answers, env={})
    assert result.exit_code == 0, result.output
    data = tomllib.loads(config.read_text())
    assert data["sources"][0]["path"] == str(tmp_path / "drop")
    assert [s["url"] for s in data["sources"][1:]] == [
        "https://example.org/a.xml",
        "https://example.org/b.xml",
    ]
    assert (tmp_path / "drop").is_dir()
    assert f"cryptowire --config {config} run" in result.output


def test_interactive_init_asks_again_for_a_rejected_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRYPTOWIRE_TELEGRAM_TOKEN", raising=False)
    from typer.testing import CliRunner

    from bot.cli.main import _register_command_modules, app

    _register_command_modules()
    # malformed tokens are refused before any request: this test needs no network
    answers = "\n".join(["y", "not-a-token", "abc:also-bad", "nope", ""])
    config = tmp_path / "config.toml"
    result = CliRunner().invoke(app, ["--config", str(config), "init"], input=answers, env={})
    assert result.exit_code == 2
    assert "three tokens rejected" in result.output
    assert not config.exists()


@pytest.mark.slow
def test_init_then_run_then_an_article_in_its_folder_alerts(tmp_path: Path) -> None:
    """What the acceptance script does: init, start the bot, drop a file, see the alert."""
    init = cryptowire("init", "--non-interactive", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    inbox = Path(tomllib.loads((tmp_path / "config.toml").read_text())["sources"][0]["path"])
    log = (tmp_path / "run.log").open("w")
    out = (tmp_path / "run.out").open("w")
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean_env(),
        stdin=subprocess.PIPE,  # kept open: the console chat waits for commands
        stdout=out,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while "adapter console started" not in (tmp_path / "run.log").read_text():
            assert bot.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.2)
        (inbox / "etf.md").write_bytes(ARTICLE)
        deadline = time.monotonic() + 60
        while "Bitcoin ETFs Bleed $410M" not in (seen := (tmp_path / "run.out").read_text()):
            assert time.monotonic() < deadline, seen + (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        assert "ALERT" in seen
    finally:
        bot.terminate()
        bot.wait(30)
        log.close()
        out.close()
    assert bot.returncode == 0, (tmp_path / "run.log").read_text()


def test_interactive_init_without_input_keeps_the_defaults(tmp_path: Path) -> None:
    """`cryptowire init < /dev/null` (a script, a README example) equals --non-interactive."""
    asked, told = tmp_path / "asked", tmp_path / "told"
    asked.mkdir()
    told.mkdir()
    first = cryptowire("init", cwd=asked, stdin="")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "end of input" in first.stdout and "\n  cryptowire run\n" in first.stdout
    second = cryptowire("init", "--non-interactive", cwd=told)
    assert second.returncode == 0, second.stderr
    written = (asked / "config.toml").read_text().replace(str(asked), "HERE")
    assert written == (told / "config.toml").read_text().replace(str(told), "HERE")


async def test_init_migrates_the_database_it_is_given(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    await asyncio.to_thread(home.mkdir)
    code, _, err = await acryptowire(
        "init", "--non-interactive", "--database-url", database_url, cwd=home
    )
    assert code == 0, err
    data = tomllib.loads(await asyncio.to_thread((home / "config.toml").read_text))
    assert data["storage"]["url"] == database_url
    code, current, err = await acryptowire("db", "current", cwd=home)
    assert code == 0 and current.strip()[:4].isdigit(), current + err


@pytest.mark.slow
async def test_init_with_telegram_then_run_alerts_a_subscriber_on_the_fake_bot_api(
    tmp_path: Path,
) -> None:
    """The Telegram path end to end: init checks the token and writes the config, `run`
    polls the fake Bot API with it, a user subscribes, a dropped file reaches them."""
    user = 5551
    async with FakeBotApi(TOKEN) as fake:
        code, out, err = await acryptowire(
            "init", "--non-interactive", "--telegram-token", TOKEN, "--telegram-admin",
            str(user), "--telegram-base-url", fake.base_url, cwd=tmp_path,
        )  # fmt: skip
        assert code == 0, err
        assert "On Telegram, open a chat with your bot and send /start." in out
        inbox = Path(tomllib.loads((tmp_path / "config.toml").read_text())["sources"][0]["path"])
        log_path = tmp_path / "run.log"
        with log_path.open("wb") as log:
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp_path, env=clean_env(),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
            try:
                await fake.wait_calls("getUpdates", within=60)
                fake.command(fake.private_chat(user, "Ann"), user, "/subscribe BTC")
                await fake.wait_for(lambda: len(fake.messages_in(user)) == 1, within=30)
                assert "Subscribed" in fake.messages_in(user)[0]["text"]
                await asyncio.to_thread((inbox / "etf.md").write_bytes, ARTICLE)
                await fake.wait_for(lambda: len(fake.messages_in(user)) == 2, within=60)
            finally:
                if bot.returncode is None:
                    bot.terminate()
                code = await asyncio.wait_for(bot.wait(), 60)
        output = log_path.read_text()
    alert = fake.messages_in(user)[1]
    assert "Bitcoin ETFs Bleed $410M" in alert.get("text", alert.get("caption", ""))
    assert code == 0, output[-3000:]
    assert TOKEN not in output + out + err


async def test_interactive_init_checks_a_token_option_and_asks_again_when_refused(
    tmp_path: Path,
) -> None:
    async with FakeBotApi(TOKEN) as fake:
        answers = "\n".join(["y", TOKEN, "42", "", "", "", ""])  # yes, a good token, admin 42
        code, out, err = await acryptowire(
            "init", "--telegram-token", "999:refused", "--telegram-base-url", fake.base_url,
            cwd=tmp_path, stdin=answers,
        )  # fmt: skip
        assert code == 0, out + err
        assert len(fake.calls_to("getMe")) == 1  # the typed token (a wrong one is a bare 401)
    assert "telegram: token rejected" in err and "token accepted" in err
    data = tomllib.loads((tmp_path / "config.toml").read_text())
    assert data["telegram"]["token"] == TOKEN and data["telegram"]["admins"] == [42]
    assert TOKEN not in out + err and "999:refused" not in out + err
