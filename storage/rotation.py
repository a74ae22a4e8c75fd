"""Re-encrypts every stored secret under the newest PII key, in small batches, while the service runs.

Where secrets are: every column named `*_enc` (one Fernet token each), and the JSON documents
that keep encrypted answers inside them (`DOCUMENTS`: a draft's answers in the conversation, a
submission's optional answers), where any string that is a Fernet token counts. The keyed
hashes computed from an encrypted value (`HASHES`) are recomputed under the newest key at the
same time, so a retired key leaves nothing behind.

A batch reads rows by primary key in one short transaction and writes the changed ones in
another, each write guarded by the values it read (compare-and-set): a row the service changed
in between is left alone and found by the next pass. Passes repeat until one changes nothing, so
the run ends with every readable value under the newest key. Nothing is remembered between
runs: a run that stopped half-way is resumed by running it again, which skips the values already
under the newest key at the cost of reading them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Table, Text, bindparam, cast, func, select, update
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table in the metadata)
from storage.crypto import Vault
from storage.db import Database

DOCUMENTS = {"submission": ("answers",), "conversation": ("data",)}
"""JSON columns that may hold encrypted values anywhere inside."""

HASHES: dict[str, tuple[tuple[str, str, Callable[[Vault, str], str]], ...]] = {
    "submission": (
        ("nik_hash", "nik_enc", Vault.keyed_hash),
        ("phone_hash", "phone_enc", Vault.phone_hash),
    ),
}
"""Per table: (hash column, the encrypted column it is the keyed hash of, how it is computed)."""

# A Fernet token: version byte 0x80 and a timestamp whose high bytes are zero for centuries, in
# url-safe base64; the shortest (an empty text) is 100 characters, padding included.
_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_-]{90,}={0,2}")

Progress = Callable[[str, int, int], None]
"""Called after each batch: (table, rows read so far, rows in the table when the pass began)."""


@dataclass(frozen=True)
class SealedTable:
    """Where one table keeps secrets."""

    table: Table
    columns: tuple[str, ...]
    documents: tuple[str, ...]
    hashes: tuple[tuple[str, str, Callable[[Vault, str], str]], ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key(self) -> Any:
        (column,) = self.table.primary_key.columns
        return column


def sealed_tables() -> list[SealedTable]:
    """Every table with an `*_enc` column or an encrypted document, from the models."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        columns = tuple(c.name for c in table.columns if c.name.endswith("_enc"))
        documents = DOCUMENTS.get(table.name, ())
        if columns or documents:
            found.append(SealedTable(table, columns, documents, HASHES.get(table.name, ())))
    return found


@dataclass
class Census:
    """Stored values by the key that reads them (index 0: the newest)."""

    by_key: list[int]
    unreadable: int = 0

    @property
    def older(self) -> int:
        return sum(self.by_key[1:])


@dataclass
class RotationReport:
    rotated: int = 0
    """Values re-encrypted under the newest key."""
    rehashed: int = 0
    """Keyed hashes recomputed under the newest key."""
    unreadable: int = 0
    """Values no configured key reads (left as they are)."""
    passes: int = 0
    census: Census = field(default_factory=lambda: Census([]))
    """What the last pass found: every readable value should be under the newest key."""


def looks_sealed(value: object) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


@dataclass
class _Row:
    """One row's secrets as read, and as they should be."""

    vault: Vault
    census: Census
    report: RotationReport
    changed: bool = False

    def token(self, value: str | None) -> str | None:
        if value is None or not looks_sealed(value):
            return value
        index = self.vault.key_index(value)
        if index is None:
            self.census.unreadable += 1
            return value
        self.census.by_key[index] += 1
        if index == 0:
            return value
        self.changed = True
        self.report.rotated += 1
        try:
            return self.vault.rotate(value)
        except InvalidToken:  # pragma: no cover - key_index just read it
            return value

    def document(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.document(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.document(v) for v in value]
        return self.token(value) if isinstance(value, str) else value


def _read_statement(sealed: SealedTable, batch: int) -> Any:
    table = sealed.table
    columns = [
        sealed.key,
        *(table.c[name] for name in sealed.columns),
        *(cast(table.c[name], Text).label(name) for name in sealed.documents),
        *(table.c[name] for name, _source, _how in sealed.hashes),
    ]
    return select(*columns).where(sealed.key > bindparam("after")).order_by(sealed.key).limit(batch)


def _write_statement(sealed: SealedTable) -> Any:
    """UPDATE ... SET every secret WHERE the key matches and nothing changed since the read."""
    table = sealed.table
    written = (*sealed.columns, *sealed.documents, *(name for name, _source, _how in sealed.hashes))
    guards = [sealed.key == bindparam("k")]
    for name in written:
        column = cast(table.c[name], Text) if name in sealed.documents else table.c[name]
        guards.append(column.is_not_distinct_from(bindparam(f"old_{name}", type_=Text)))
    return update(table).where(*guards).values({name: bindparam(f"new_{name}") for name in written})


def _rewrite(sealed: SealedTable, row: Any, state: _Row) -> dict[str, Any] | None:
    """The parameters of the guarded write for `row`, or None when nothing changes."""
    values = row._mapping
    params: dict[str, Any] = {"k": values[sealed.key.name]}
    for name in sealed.columns:
        params[f"old_{name}"] = values[name]
        params[f"new_{name}"] = state.token(values[name])
    for name in sealed.documents:
        text = values[name]
        params[f"old_{name}"] = text
        params[f"new_{name}"] = None if text is None else state.document(json.loads(text))
    for name, source, how in sealed.hashes:
        stored = values[name]
        params[f"old_{name}"] = params[f"new_{name}"] = stored
        sealed_source = params[f"new_{source}"]
        if stored is None or sealed_source is None or state.vault.key_index(sealed_source) is None:
            continue
        wanted = how(state.vault, state.vault.decrypt(sealed_source))
        if wanted != stored:
            params[f"new_{name}"] = wanted
            state.report.rehashed += 1
            state.changed = True
    return params if state.changed else None


async def _pass(
    db: Database, vault: Vault, report: RotationReport, *, batch: int, write: bool, progress: Progress | None
) -> int:
    """One pass over every sealed table; returns how many rows it rewrote (or would rewrite)."""
    census = Census([0] * len(vault.fingerprints))
    rewritten = 0
    for sealed in sealed_tables():
        async with db.reader() as session:
            counting: Any = select(func.count()).select_from(sealed.table)
            total = (await session.exec(counting)).scalar_one()
        read_statement, write_statement = _read_statement(sealed, batch), _write_statement(sealed)
        after: Any = -1  # every sealed table has an integer key
        done = 0
        while True:
            async with db.reader() as session:
                rows = (await session.exec(read_statement, params={"after": after})).all()
            if not rows:
                break
            writes = [p for row in rows if (p := _rewrite(sealed, row, _Row(vault, census, report)))]
            if writes and write:
                async with db.transaction() as session:
                    await session.exec(write_statement, params=writes)
            rewritten += len(writes)
            after = rows[-1]._mapping[sealed.key.name]
            done += len(rows)
            if progress is not None:
                progress(sealed.name, done, total)
    report.census = census
    report.unreadable = census.unreadable
    return rewritten


async def rotate_keys(
    db: Database, vault: Vault, *, batch: int = 500, progress: Progress | None = None, max_passes: int = 5
) -> RotationReport:
    """Re-encrypts and re-hashes every stored secret under the newest key; see the module."""
    report = RotationReport()
    while report.passes < max_passes:
        report.passes += 1
        if not await _pass(db, vault, report, batch=batch, write=True, progress=progress):
            break
    return report


async def key_census(db: Database, vault: Vault, *, batch: int = 2000) -> Census:
    """How many stored values each configured key reads, and how many none does; changes nothing."""
    report = RotationReport()
    await _pass(db, vault, report, batch=batch, write=False, progress=None)
    return report.census
