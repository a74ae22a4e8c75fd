"""The backup file: one tar archive (gzip-compressed) holding `manifest.json` and the dump.

    manifest.json        what the backup is (below), first in the archive
    database.sqlite      a SQLite backup: the database file itself (VACUUM INTO)
    database.pgdump      a PostgreSQL backup: pg_dump's custom format (read by pg_restore)

The manifest names the format and its version, the database kind, the Alembic revision of the
schema, when it was made, the rows of each table (read in the same snapshot as the dump), the
fingerprints of the PII keys configured when it was made (newest first; never a key), the tool
that dumped it, and the dump's size and SHA-256, which a restore checks before anything else.
`tar -xzOf FILE manifest.json` shows it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path

FORMAT = "bpu-bot-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why and what to do."""


@dataclass(frozen=True)
class Manifest:
    database: str
    """"sqlite" or "postgresql": a backup restores into the same kind."""
    schema_version: str | None
    created_at: str
    tables: dict[str, int]
    key_fingerprints: list[str]
    """The PII keys configured at backup time, newest first (storage.crypto.key_fingerprint)."""
    tool: str
    dump: str
    dump_bytes: int
    dump_sha256: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def key_fingerprint(self) -> str:
        """The newest key's: the one every value was written with after the last rotation."""
        return self.key_fingerprints[0]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise BackupError("not a bpu-bot backup (its manifest.json names another format)")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format version {data.get('format_version')} is not one this bpu-bot reads"
                f" ({FORMAT_VERSION}): restore it with the release that made it"
            )
        return cls(**data)


def digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of a file."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return path.stat().st_size, sha.hexdigest()


def write_archive(target: Path, manifest: Manifest, dump: Path) -> None:
    """Writes the archive next to `target` and moves it into place: a crash leaves no half file."""
    partial = target.with_name(target.name + ".partial")
    manifest_file = dump.with_name(MANIFEST)
    manifest_file.write_text(manifest.to_json())
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(manifest_file, arcname=MANIFEST)
        archive.add(dump, arcname=manifest.dump)
    partial.chmod(0o600)  # it holds encrypted personal data and everything else
    os.replace(partial, target)


def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, "r:*") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.from_json(member.read().decode())
    except (tarfile.TarError, KeyError, OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} is not a readable bpu-bot backup: {exc}") from exc


def extract_dump(source: Path, manifest: Manifest, folder: Path) -> Path:
    """Extracts the dump into `folder` and checks it is the one the manifest describes."""
    target = folder / Path(manifest.dump).name
    with tarfile.open(source, "r:*") as archive:
        member = archive.extractfile(manifest.dump)
        if member is None:
            raise BackupError(f"{source} holds no {manifest.dump}")
        with target.open("wb") as out:
            while chunk := member.read(1 << 20):
                out.write(chunk)
    if digest(target) != (manifest.dump_bytes, manifest.dump_sha256):
        raise BackupError(f"{source} is damaged: its dump does not match the manifest's size and SHA-256")
    return target
