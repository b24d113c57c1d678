"""Per-chat spacing across delivery workers, enforced where rows are claimed.

A platform limits sends per chat (Telegram: one a second), per bot token -- not per
worker. Each worker's ``Pacer`` spaces only its own sends, so two workers holding two rows
of one chat could send them together. With ``claim_due(..., chat_gap=...)`` a row is not
claimed while its chat is *busy*: another row of that chat is being sent (claimed by
anyone), or was sent less than ``chat_gap`` ago; and a claim takes one row per chat (a
digest brings its siblings along, sent as one message). ``sent_at`` is recorded after the
send returned, so a chat's next send -- by any worker, this one included -- follows the
previous one by more than the gap plus a round trip: no two sends of one chat meet at the
platform closer than the gap, whatever the jitter on the way.

Race-free on PostgreSQL: the candidate SELECT also locks the chats' rows (``FOR NO KEY
UPDATE ... SKIP LOCKED``: enqueues, which take ``KEY SHARE`` for their foreign key, are not
blocked), so two concurrent claims never both take rows of one chat; and the UPDATE that
marks the rows claimed checks "busy" again in its own statement snapshot, taken once those
locks are held, so it sees every claim committed before them. SQLite has one writer: the
same conditions simply hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import aliased

from bot.models import DeliveryStatus
from storage.tables import DeliveryRow

SENDING = DeliveryStatus.SENDING.value
SENT = DeliveryStatus.SENT.value


def chat_busy(since: datetime) -> ColumnElement[bool]:
    """True for a row whose chat has a row in flight, or one sent after ``since``."""
    other = aliased(DeliveryRow)
    return exists().where(
        other.chat_id == DeliveryRow.chat_id,
        or_(other.status == SENDING, and_(other.status == SENT, other.sent_at > since)),
    )


def one_per_chat(rows: Iterable[Sequence[int]]) -> list[int]:
    """The ids of ``(id, chat_id)`` rows, keeping each chat's first (the claim order)."""
    seen: set[int] = set()
    ids = []
    for row_id, chat_id in rows:
        if chat_id not in seen:
            seen.add(chat_id)
            ids.append(row_id)
    return ids
