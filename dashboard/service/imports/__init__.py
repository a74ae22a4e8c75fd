"""Import of registrations from the branch's own system (CSV or XLSX): preview, then apply.

`Importer(backoffice).run(access, content, file_name, dry_run=...)` reads the file
(`read.py`), matches and checks every row within the caller's scope (`plan.py`, `check.py`) and,
unless it is a dry run, applies the good rows in short transactions (`apply.py`). The staff page,
the API (`POST /api/v1/imports`) and `bpu-bot import registrations` all call it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from dashboard.service.access import Access
from dashboard.service.backoffice import Backoffice
from dashboard.service.imports.apply import apply_plans
from dashboard.service.imports.plan import RowPlan, plan_rows
from dashboard.service.imports.read import read_table
from storage.coverage import recent_imports, record_import
from storage.coverage_models import ImportRun

__all__ = ["ImportReport", "Importer", "RowPlan"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do) to each row of the file."""

    file_name: str
    dry_run: bool
    results: list[RowPlan]

    @property
    def rows(self) -> int:
        return len(self.results)

    @property
    def applied(self) -> int:
        """Rows accepted: applied (or, in a dry run, that would be), changed or already so."""
        return sum(1 for r in self.results if r.ok)

    @property
    def refused(self) -> int:
        return self.rows - self.applied

    @property
    def changed(self) -> int:
        """Accepted rows that change something (the rest were already as the file says)."""
        return sum(1 for r in self.results if r.ok and r.changes)


class Importer:
    def __init__(self, office: Backoffice) -> None:
        self.office = office

    async def run(self, access: Access, content: bytes, file_name: str, *, dry_run: bool) -> ImportReport:
        """Previews (dry_run) or applies the file. InvalidInput when it cannot be read as a table."""
        office = self.office
        access.require(access.sees_people)
        rows = await asyncio.to_thread(read_table, content, file_name)  # openpyxl: off the event loop
        now = office.clock()
        plans = await plan_rows(office.db, access, office.vault, rows, now)
        if dry_run:
            return ImportReport(file_name, True, plans)
        async with office.db.transaction() as session:
            run = record_import(
                session,
                by=access.username,
                branch_code=access.branch_code,
                at=now,
                file_name=file_name,
                rows=len(plans),
                applied=0,
                refused=0,
            )
            await session.flush()
            assert run.id is not None
            run_id = run.id
        results = await apply_plans(
            office.db, access, plans, now, file_name=file_name, run_id=run_id, wake=office.wake
        )
        report = ImportReport(file_name, False, results)
        async with office.db.transaction() as session:
            stored = await session.get(ImportRun, run_id)
            assert stored is not None
            stored.applied, stored.refused = report.applied, report.refused
        return report

    async def recent(self, access: Access, limit: int = 10) -> list[ImportRun]:
        """The latest imports of the caller's branch (every branch for an admin)."""
        access.require(access.sees_people)
        branches = None if access.all_branches else [access.branch_code or ""]
        async with self.office.db.reader() as session:
            return list(await recent_imports(session, branches, limit=limit))
