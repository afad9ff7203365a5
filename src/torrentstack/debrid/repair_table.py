"""Repair jobs kept in the `debrid_repair_jobs` table: `repair.JobStore` over `DebridStore`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from torrentstack.debrid.repair import RepairJob
from torrentstack.debrid.store import DebridStore


class TableJobStore:
    def __init__(self, store: DebridStore) -> None:
        self.store = store

    async def save(self, job: RepairJob) -> None:
        await self.store.put_repair_row(
            {
                "id": job.id, "arrs": json.dumps(job.arrs), "media_ids": json.dumps(job.media_ids),
                "auto_process": job.auto_process, "status": job.status,
                "broken_items": json.dumps(job.broken_items), "error": job.error,
                "created_at": job.created_at, "finished_at": job.finished_at,
            }
        )  # fmt: skip

    async def load(self) -> list[RepairJob]:
        jobs = []
        for row in await self.store.repair_rows():
            try:
                arrs, media, broken = (
                    json.loads(row.arrs), json.loads(row.media_ids), json.loads(row.broken_items)
                )  # fmt: skip
            except ValueError:
                continue
            jobs.append(
                RepairJob(
                    id=row.id, arrs=[str(a) for a in arrs], media_ids=[str(m) for m in media],
                    auto_process=row.auto_process, created_at=row.created_at, status=row.status,
                    broken_items=broken if isinstance(broken, dict) else {}, error=row.error,
                    finished_at=row.finished_at,
                )
            )  # fmt: skip
        return jobs

    async def delete(self, ids: Sequence[str]) -> None:
        await self.store.delete_repair_rows(ids)
