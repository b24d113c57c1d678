"""The hostile command corpus (tests/hostile/commands.txt) through the real command handler
(admin commands in front, as `cryptowire run` wires them) on a real database with a few
articles: each command gets a one-line refusal naming the problem or a normal answer,
never the apology or a traceback, within 1 s of CPU and 100 MB of traced memory."""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest
from sources_support import article_md

from bot.commands.handler import APOLOGY
from bot.config import Settings
from bot.models import ChatKind, ChatRef, IncomingCommand
from bot.wiring import build_core
from storage.plugin import SqlStorage

CORPUS = Path(__file__).parent / "commands.txt"
MAX_CPU_S = 1.0
MAX_MEMORY_MB = 100.0
_REPEAT = re.compile(r"\{(.+?)\*(\d+)\}")


def load_corpus() -> list[tuple[str, str, str]]:
    """(kind, expected text, command) per line; {WORD*N} expanded."""
    cases = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expect, command = line.split(" | ", 1)
        kind, _, text = expect.partition(": ")
        command = _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), command)
        command = command.replace("\\u0000", "\0").replace("\\u202e", "\u202e")
        command = command.replace("\\u200b", "\u200b")
        cases.append((kind.strip(), text.strip(), command))
    return cases


CASES = load_corpus()


@pytest.mark.slow
async def test_every_hostile_command_gets_one_line_or_an_answer_within_budget(
    storage: SqlStorage, settings: Settings
) -> None:
    core = await build_core(settings, storage, inbox=None, on_enqueued=lambda: None)
    for n, title in enumerate(("Bitcoin ETF inflows", "Ether staking rises", "Solana outage")):
        await core.pipeline.ingest_bytes(article_md(title, f"c-{n}").encode(), origin=f"{n}.md")
    handle = core.services.handle_command
    problems = []
    for n, (kind, expected, text) in enumerate(CASES):
        command = IncomingCommand(
            chat=ChatRef("telegram", "-100777"),
            text=text,
            user_id=f"666{n}",  # one user each: the per-user rate limit is not under test
            chat_kind=ChatKind.GROUP,
            can_manage=True,
            is_admin=True,
        )
        started = time.process_time()
        reply = await handle(command)
        cpu = time.process_time() - started
        tracemalloc.start()
        try:
            await handle(command)
            peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
        shown = text[:60]
        if reply.text == APOLOGY or "Traceback" in reply.text:
            problems.append(f"{shown}: apology or traceback")
        elif kind == "error" and not (reply.error and "\n" not in reply.text):
            problems.append(f"{shown}: expected a one-line refusal, got {reply.text[:80]!r}")
        elif kind == "ok" and reply.error:
            problems.append(f"{shown}: refused: {reply.text[:80]!r}")
        elif expected and expected.lower() not in reply.text.lower():
            problems.append(f"{shown}: {reply.text[:120]!r} lacks {expected!r}")
        if len(reply.text) > 4096 or (reply.error and len(reply.text) > 500):
            problems.append(f"{shown}: reply of {len(reply.text)} characters")
        if cpu > MAX_CPU_S or peak_mb > MAX_MEMORY_MB:
            problems.append(f"{shown}: {cpu:.2f} s, {peak_mb:.0f} MB")
    assert not problems, "\n".join(problems)
    chat = await storage.chats.find(ChatRef("telegram", "-100777"))
    assert chat is not None and await storage.chats.list_subscriptions(chat.id) == []
