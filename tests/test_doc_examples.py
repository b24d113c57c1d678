"""Every chat command the README and docs/ show as an example works against the demo archive,
and the README's shell examples run as written.

An example is an inline code span that starts with a command (``/search etf``). Syntax lines
(``/story ID``, ``/digest off|hourly|daily HH:MM``) hold placeholders and are not run;
docs/discord.md lists slash-command option names (tests/test_discord_commands.py runs
those). Each example runs through the demo's own core (the same archive, the console user
who is also an admin), in the context the docs give it: ``/route`` inside a forum topic.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands.handler import COMMANDS
from bot.config import Settings, StorageConfig
from bot.models import ChatKind, ChatRef, IncomingCommand, Reply
from bot.wiring import build_core, seed_examples
from storage.plugin import SqlStorage, open_storage

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SIGNATURES_ONLY = {"discord.md"}
NAMES = {spec.name for spec in COMMANDS} | {"breaking", "post", "audit"}
PLACEHOLDER = re.compile(
    r"\||\.\.\.|\[|\b(ID|TAG|N|CODE|ARTICLE_ID|STORY_ID|TITLE|TEXT|URL|DURATION|COMMAND|KEY|WORD|"
    r"HH:MM|Area/City|BotName)\b"
)
# Named without arguments, these are mentions of the command, not examples to run.
NEEDS_ARGUMENTS = {
    "subscribe",
    "unsubscribe",
    "search",
    "story",
    "why",
    "route",
    "breaking",
    "post",
}
# `/subscribe @channel BTC` from a private chat: the Telegram adapter resolves the channel
# and checks both admin rights first (tests/test_telegram_commands.py runs it there).
TELEGRAM_CHANNEL_TARGET = re.compile(r"^/subscribe (@[A-Za-z]\w{3,31}|-100\d{5,}) ")
SPAN = re.compile(r"(?<!`)`(/[a-z]+(?:@\w+)?(?: [^`]*)?)`(?!`)")


def chat_examples() -> list[tuple[str, str]]:
    """(file, example) for every runnable chat command example in the docs."""
    found: list[tuple[str, str]] = []
    for path in DOCS:
        if path.name in SIGNATURES_ONLY:
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # shell blocks: below
        for match in SPAN.finditer(text):
            example = match.group(1).replace("\\|", "|")
            name = example[1:].split()[0].split("@")[0]
            before = text[max(0, match.start() - 10) : match.start()]
            if name not in NAMES or PLACEHOLDER.search(example) or "Discord:" in before:
                continue
            if example == f"/{name}" and name in NEEDS_ARGUMENTS:
                continue
            if TELEGRAM_CHANNEL_TARGET.match(example):
                continue
            found.append((path.name, example))
    return found


EXAMPLES = chat_examples()


@pytest.fixture
async def demo_core(tmp_path: Path) -> AsyncIterator[object]:
    settings = Settings(storage=StorageConfig(url=f"sqlite:///{tmp_path / 'demo.db'}"))
    storage: SqlStorage = open_storage(settings)
    await storage.upgrade()
    try:
        core = await build_core(settings, storage, inbox=None, on_enqueued=lambda: None)
        assert await seed_examples(core.pipeline) >= 10
        yield core
    finally:
        await storage.close()


async def say(core: object, text: str, **where: object) -> Reply:
    command = IncomingCommand(
        chat=ChatRef("console", "local", where.get("thread")),  # type: ignore[arg-type]
        text=text,
        user_id="local",
        chat_kind=where.get("kind", ChatKind.PRIVATE),  # type: ignore[arg-type]
        can_manage=True,
        is_admin=True,
        chat_title="console",
    )
    return await core.services.handle_command(command)  # type: ignore[attr-defined]


def test_the_docs_have_examples_to_run() -> None:
    shown = {example for _, example in EXAMPLES}
    assert {'/search "etf outflows" since:24h', "/subscribe BTC negative", "/latest ETH"} <= shown


@pytest.mark.parametrize(("doc", "example"), EXAMPLES, ids=[f"{d}:{e}" for d, e in EXAMPLES])
async def test_a_documented_chat_command_works_in_the_demo(
    demo_core: object, doc: str, example: str
) -> None:
    where: dict[str, object] = {}
    if example.startswith("/route"):  # "inside a forum topic", as the docs say
        where = {"kind": ChatKind.GROUP, "thread": "7"}
    reply = await say(demo_core, example, **where)
    assert not reply.error, f"{doc}: {example} -> {reply.text}"
    assert "Nothing found" not in reply.text, f"{doc}: {example} finds nothing in the demo"


async def test_latest_shows_the_ids_that_story_and_why_take(demo_core: object) -> None:
    latest = await say(demo_core, "/latest BTC")
    first = latest.articles[0]
    assert f"[{first.id}]" in latest.text and f"story {first.story_id}" in latest.text
    story = await say(demo_core, f"/story {first.story_id}")
    why = await say(demo_core, f"/why {first.id}")
    assert not story.error and first.title in story.text
    assert not why.error and first.title in why.text


def shell_examples() -> list[str]:
    """README shell lines that run on their own against the demo (no tokens, no server)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if "cryptowire" in command and re.search(r"\b(demo|init|--version)\b", command):
                lines.append(command)
    for span in re.findall(r"`([^`]*\| \.venv/bin/cryptowire demo)`", text):
        lines.append(span)
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("command", shell_examples())
def test_a_readme_shell_example_runs(command: str, tmp_path: Path) -> None:
    """Run as written, from a folder where ``.venv/bin/cryptowire`` is this install's."""
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    script = venv_bin / "cryptowire"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m bot "$@"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOWIRE_")}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    assert "error" not in result.stderr.lower(), result.stderr
