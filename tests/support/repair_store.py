"""An in-memory `JobStore` for repair tests: keeps copies, as a database would, and counts saves."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from torrentstack.debrid.repair import RepairJob


class MemoryJobStore:
    """Repair jobs kept in a dict of deep copies (changes after a save are not seen)."""

    def __init__(self, jobs: Sequence[RepairJob] = ()) -> None:
        self.rows: dict[str, RepairJob] = {job.id: copy.deepcopy(job) for job in jobs}
        self.saved: list[tuple[str, str]] = []  # (job id, status) of each save, in order

    async def save(self, job: RepairJob) -> None:
        self.rows[job.id] = copy.deepcopy(job)
        self.saved.append((job.id, job.status))

    async def load(self) -> list[RepairJob]:
        return [copy.deepcopy(job) for job in self.rows.values()]

    async def delete(self, ids: Sequence[str]) -> None:
        for job_id in ids:
            self.rows.pop(job_id, None)
