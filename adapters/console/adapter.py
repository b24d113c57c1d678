"""A terminal chat: commands from stdin line by line, replies and alerts to stdout.

Stdin is read by a daemon thread (it works for terminals, pipes and redirected files alike,
and never keeps the process alive at exit); lines reach the event loop through a queue.
Every block written to stdout is flushed at once, so a pipe reader sees it immediately,
even if the process is killed right after.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import threading
from typing import TextIO

from bot.config import Settings
from bot.delivery.formatting import render_alert, render_reply
from bot.models import (
    Alert,
    Capabilities,
    ChatKind,
    ChatRef,
    DeliveryResult,
    IncomingCommand,
    Reply,
)
from bot.ports import CoreServices

log = logging.getLogger("cryptowire.console")

PLATFORM = "console"
LOCAL = ChatRef(PLATFORM, "local")
PROMPT = "cryptowire> "
CAPABILITIES = Capabilities(
    max_text_len=4096,
    markup="plain",
    sends_per_second=500.0,  # a terminal has no rate limit; this only keeps output readable
    per_chat_interval_s=0.0,
    supports_edit=True,
)


class ConsoleAdapter:
    """Implements ``bot.ports.ChatAdapter`` for the local terminal user."""

    name = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        read_commands: bool = True,
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.read_commands = read_commands
        self.input_closed = asyncio.Event()
        self._ids = itertools.count(1)
        self._core: CoreServices | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, core: CoreServices) -> None:
        self._core = core
        if not self.read_commands:
            self.input_closed.set()
            return
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        reader = threading.Thread(
            target=self._read_lines, args=(loop, queue), name="console-stdin", daemon=True
        )
        reader.start()
        self._task = asyncio.create_task(self._consume(queue))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self._core = None

    def _read_lines(
        self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]
    ) -> None:
        try:
            for line in iter(self.stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):  # stdin closed under us
            pass
        finally:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except RuntimeError:  # the loop is already closed: we are exiting
                pass

    async def _consume(self, queue: asyncio.Queue[str | None]) -> None:
        self._prompt()
        while (line := await queue.get()) is not None:
            text = line.strip()
            if text:
                await self._handle(text)
            self._prompt()
        self.input_closed.set()

    def _prompt(self) -> None:
        if self.interactive:
            self.stdout.write(PROMPT)
            self.stdout.flush()

    async def _handle(self, text: str) -> None:
        if self._core is None:
            return
        if not text.startswith("/"):
            text = "/" + text
        command = IncomingCommand(
            chat=LOCAL,
            text=text,
            user_id="local",
            chat_kind=ChatKind.PRIVATE,
            user_name="you",
            can_manage=True,
            is_admin=True,
            chat_title="console",
        )
        try:
            reply = await self._core.handle_command(command)
        except Exception:
            log.exception("command failed: %s", text.split()[0])
            reply = Reply("Something went wrong handling that command; nothing was changed.")
        if not self.interactive:
            self._write(f"> {text}")
        rendered = render_reply(reply, self.capabilities.max_text_len)
        if rendered:  # an empty reply means "not for us"
            self._write(rendered + "\n")

    # -- sending -------------------------------------------------------------------------

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        message_id = next(self._ids)
        body = render_alert(alert, self.capabilities.max_text_len)
        if not self._write(self._block(f"ALERT #{message_id} to {to}", body)):
            return DeliveryResult.failed("console output is closed")
        self._prompt()  # the alert arrived while the user was at the prompt: show it again
        return DeliveryResult.sent(message_id)

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult:
        body = render_alert(alert, self.capabilities.max_text_len)
        if not self._write(self._block(f"EDIT of #{message_id} to {to}", body)):
            return DeliveryResult.failed("console output is closed")
        self._prompt()
        return DeliveryResult.sent(message_id)

    def _block(self, header: str, body: str) -> str:
        lines = [f"┌─ {header}"]
        lines += [f"│ {line}" if line else "│" for line in body.splitlines()]
        lines.append("└─")
        return "\n".join(lines) + "\n"

    def _write(self, text: str) -> bool:
        try:
            if self.interactive:
                text = "\r" + text  # start clear of a pending prompt
            self.stdout.write(text + "\n")
            self.stdout.flush()
        except (BrokenPipeError, ValueError):
            log.warning("console output closed")
            return False
        return True


def create_adapter(settings: Settings) -> ConsoleAdapter:
    """Entry point ``cryptowire.adapters: console``; always available (the fallback chat)."""
    return ConsoleAdapter()
