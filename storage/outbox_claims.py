"""Per-chat spacing across delivery workers, enforced where rows are claimed.

A platform limits sends per chat (Telegram: one a second), per bot token -- not per
worker. Each worker's ``Pacer`` spaces only its own sends, so two workers holding two rows
of one chat could send them together. With ``claim_due(..., chat_gap=...)`` a row is not
claimed while its chat is *busy*: another row of that chat is being sent (claimed by
anyone), or was sent less than ``chat_gap`` ago. ``sent_at`` is recorded after the send
returned, so the next worker's send follows the previous one by more than the gap.

Race-free on PostgreSQL: the candidate SELECT also locks the chats' rows (``FOR NO KEY
UPDATE ... SKIP LOCKED``: enqueues, which take ``KEY SHARE`` for their foreign key, are not
blocked), so two concurrent claims never both take rows of one chat; and the UPDATE that
marks the rows claimed checks "busy" again in its own statement snapshot, taken once those
locks are held, so it sees every claim committed before them. SQLite has one writer: the
same conditions simply hold.
"""

from __future__ import annotations

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
