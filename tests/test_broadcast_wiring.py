"""The app's own wiring (``bot/wiring.py``) exposes the admin commands and the listeners."""

from __future__ import annotations

from bot.config import BroadcastTarget, Settings, StorageConfig, TelegramConfig
from bot.models import ChatRef, IncomingCommand
from bot.wiring import build_core
from storage.plugin import SqlStorage
from tests.broadcast_support import SOLANA, revised


async def test_build_core_wires_admin_commands_broadcasts_and_edits(
    storage: SqlStorage, database_url: str
):
    settings = Settings(
        storage=StorageConfig(url=database_url),
        telegram=TelegramConfig(admins=[42]),
        broadcast=[BroadcastTarget(platform="console", chat="wire", pin=True)],
    )
    core = await build_core(settings, storage, inbox=None, on_enqueued=lambda: None)
    handle = core.services.handle_command
    stranger = IncomingCommand(ChatRef("telegram", "77"), "/breaking A | B", user_id="77")
    listed = IncomingCommand(
        ChatRef("telegram", "42"),
        "/breaking Hack drains bridge | A bridge lost $90M in wrapped bitcoin.",
        user_id="42",
    )
    refused = await handle(stranger)
    posted = await handle(listed)
    help_reply = await handle(IncomingCommand(ChatRef("telegram", "77"), "/help", user_id="77"))
    assert refused.error and refused.text.startswith("Only Cryptowire admins can use /breaking")
    assert not posted.error and "to console:wire; pinned in console:wire" in posted.text
    assert "/subscribe" in help_reply.text  # everything else still reaches the handler
    stored = await core.pipeline.ingest_article(SOLANA, origin="test:solana")
    assert stored.status == "new"
    await core.pipeline.ingest_article(revised(SOLANA, 5, title="Solana restarts"), origin="t:2")
    depth = await storage.outbox.depth(now=stored.article.published_at)
    assert depth.pending == 1  # the breaking post; no edit: nothing was sent for Solana
    (entry,) = await storage.audit.recent()
    assert (entry.platform, entry.user_id, entry.action) == ("telegram", "42", "breaking")
