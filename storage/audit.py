"""The admin audit log: who did what, on which platform, where, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.database import Database
from storage.tables import AdminAuditRow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action as listed by `/audit` and `cryptowire audit`."""

    id: int
    at: datetime
    platform: str
    user_id: str
    user_name: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


class SqlAudit:
    """Append-only: entries are written once and never changed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        *,
        platform: str,
        user_id: str,
        action: str,
        target: str | None = None,
        user_name: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        async with self.db.session() as session:
            row = AdminAuditRow(
                platform=platform,
                user_id=user_id,
                user_name=user_name,
                action=action,
                target=target,
                detail=detail or {},
            )
            session.add(row)
            await session.flush()
            return row.id

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        """Newest first."""
        async with self.db.reading() as session:
            rows = await session.scalars(
                select(AdminAuditRow)
                .order_by(AdminAuditRow.at.desc(), AdminAuditRow.id.desc())
                .limit(limit)
            )
            return [
                AuditEntry(
                    id=row.id,
                    at=row.at,
                    platform=row.platform,
                    user_id=row.user_id,
                    user_name=row.user_name,
                    action=row.action,
                    target=row.target,
                    detail=dict(row.detail or {}),
                )
                for row in rows
            ]
