"""The console adapter: commands from a piped stdin, replies and alert blocks on stdout."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.models import Alert, Article, ChatRef, IncomingCommand, Reply, ResultKind
from bot.plugins import ADAPTER_GROUP, load_plugin
from bot.ports import CoreServices

ARTICLE = Article(
    title="Bitcoin Climbs Past $98K",
    source_key="demo",
    source_name="Demo Desk",
    published_at=datetime(2026, 2, 9, 14, 20, tzinfo=UTC),
    url="https://example.org/btc",
    tags=("BTC",),
)


def core(seen: list[IncomingCommand]) -> CoreServices:
    async def handle(command: IncomingCommand) -> Reply:
        seen.append(command)
        if command.text == "/boom":
            raise RuntimeError("secret internals")
        if "latest" in command.text:
            return Reply("", articles=(ARTICLE,))
        return Reply(f"ok: {command.text}")

    async def tags(prefix: str) -> list[str]:
        return []

    return CoreServices(handle, tags)


async def test_piped_commands_get_replies_in_order_then_input_closes():
    out = io.StringIO()
    adapter = ConsoleAdapter(stdin=io.StringIO("/subscribe BTC\n\nlatest BTC\n/boom\n"), stdout=out)
    seen: list[IncomingCommand] = []
    await adapter.start(core(seen))
    await asyncio.wait_for(adapter.input_closed.wait(), timeout=5)
    await adapter.stop()
    assert [c.text for c in seen] == ["/subscribe BTC", "/latest BTC", "/boom"]
    assert {c.chat for c in seen} == {ChatRef("console", "local")}
    text = out.getvalue()
    assert "> /subscribe BTC\nok: /subscribe BTC\n" in text
    assert "Bitcoin Climbs Past $98K — Demo Desk, 2026-02-09 14:20 UTC" in text
    assert "Something went wrong" in text and "secret internals" not in text
    assert "cryptowire>" not in text  # no prompt when stdin is not a terminal


async def test_interactive_mode_prompts_again_after_replies_and_alerts():
    out = io.StringIO()
    adapter = ConsoleAdapter(stdin=io.StringIO("/help\n"), stdout=out, interactive=True)
    await adapter.start(core([]))
    await asyncio.wait_for(adapter.input_closed.wait(), timeout=5)
    assert out.getvalue().count("cryptowire> ") == 2
    await adapter.send(ChatRef("console", "local"), Alert(article=ARTICLE))
    assert out.getvalue().endswith("└─\n\ncryptowire> ")


async def test_alerts_print_as_blocks_with_increasing_message_ids():
    out = io.StringIO()
    adapter = ConsoleAdapter(stdin=io.StringIO(""), stdout=out, read_commands=False)
    first = await adapter.send(ChatRef("console", "local"), Alert(article=ARTICLE, extra_sources=1))
    second = await adapter.send(ChatRef("console", "c7"), Alert(article=ARTICLE))
    edited = await adapter.edit(
        ChatRef("console", "local"), "1", Alert(article=ARTICLE, updated=True)
    )
    assert (first.message_id, second.message_id, edited.message_id) == ("1", "2", "1")
    lines = out.getvalue().splitlines()
    assert lines[0] == "┌─ ALERT #1 to console:local"
    assert "│ Bitcoin Climbs Past $98K" in lines
    assert "┌─ ALERT #2 to console:c7" in lines
    assert "┌─ EDIT of #1 to console:local" in lines and "│ UPDATED" in lines
    assert "│ Demo Desk · 2026-02-09 14:20 UTC · ● neutral · +1 source" in lines


async def test_closed_output_is_a_failure_not_a_crash():
    out = io.StringIO()
    adapter = ConsoleAdapter(stdin=io.StringIO(""), stdout=out, read_commands=False)
    out.close()
    result = await adapter.send(ChatRef("console", "local"), Alert(article=ARTICLE))
    assert result.kind is ResultKind.FAILED


def test_the_entry_point_builds_a_console_adapter():
    factory = load_plugin(ADAPTER_GROUP, "console")
    adapter = factory(Settings())
    assert isinstance(adapter, ConsoleAdapter) and adapter.name == "console"
    assert adapter.capabilities.markup == "plain"
