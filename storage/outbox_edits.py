"""Outbox writes for in-place edits of sent messages (``SqlOutbox`` inherits them).

Edit rows are ordinary ``deliveries`` rows of kind ``edit`` (priority after digests) whose
payload names the sent message; they are claimed, paced and retried like any delivery.
When one is done, the row is marked sent and ``sent_messages.edited_at`` is set; no new
``sent_messages`` row is made (an edit is not a new message).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bot.models import PRIORITY, DeliveryKind, DeliveryStatus, NewDelivery
from storage.database import Database
from storage.tables import DeliveryRow, SentMessageRow

D = DeliveryRow
EDIT = DeliveryKind.EDIT


class OutboxEdits:
    """Mixin for ``storage.outbox.SqlOutbox``: needs ``db`` and ``enqueue_many``."""

    db: Database

    if TYPE_CHECKING:  # provided by SqlOutbox

        async def enqueue_many(self, deliveries: Sequence[NewDelivery]) -> int: ...

    async def replace_story_edits(self, story_id: int, edits: Sequence[NewDelivery]) -> int:
        """Cancel the story's edits not yet started, then enqueue ``edits`` (new revision).

        The cancelled ones would show an older state than the rows that replace them.
        Rows of the revision being enqueued are kept: a retry after a database outage
        (``bot/alerts/retry.py``) whose first attempt did enqueue them must not cancel
        them, or the keys already taken would leave those messages never edited."""
        revisions = {e.key.rsplit(":edit:", 1)[1] for e in edits if e.key and ":edit:" in e.key}
        async with self.db.session() as session:
            await session.execute(
                update(D)
                .where(
                    D.status == DeliveryStatus.PENDING.value,
                    D.priority == PRIORITY[EDIT],
                    D.kind == EDIT.value,
                    D.story_id == story_id,
                    *(
                        ~D.idempotency_key.endswith(f":edit:{r}", autoescape=True)
                        for r in revisions
                    ),
                )
                .values(status=DeliveryStatus.CANCELLED.value, last_error="superseded")
            )
        return await self.enqueue_many(edits)

    async def mark_edit_sent(self, ids: int | Sequence[int], *, now: datetime) -> None:
        """Edit rows done: the row is sent, the message it edited gets ``edited_at``."""
        id_list = [ids] if isinstance(ids, int) else list(ids)
        async with self.db.session() as session:
            payloads = await session.scalars(select(D.payload).where(D.id.in_(id_list)))
            edited = sorted(
                {int(p["sent_message_id"]) for p in payloads if _has_message(p)},
            )
            await session.execute(
                update(D)
                .where(D.id.in_(id_list))
                .values(
                    status=DeliveryStatus.SENT.value,
                    sent_at=now,
                    claimed_by=None,
                    last_error=None,
                )
            )
            if edited:
                await session.execute(
                    update(SentMessageRow)
                    .where(SentMessageRow.id.in_(edited))
                    .values(edited_at=now)
                )


def _has_message(payload: Any) -> bool:
    return isinstance(payload, dict) and str(payload.get("sent_message_id", "")).isdigit()
