"""The admin audit trail (`site_audit`): who did what to which target, with the details."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import AuditEntry


def record(
    db: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    target: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row (committed with the change it records)."""
    db.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target=target,
            details=json.dumps(details or {}, separators=(",", ":"), ensure_ascii=False),
            created_at=now,
        )
    )
