"""The branch map: which Kantor Cabang follows up a sign-up from which regency.

Loaded from messages/branches.toml. Each mapping (an "area") carries its source, whether it is
confirmed or inferred, and when it was last verified. A regency without a configured branch is
routed to `unmapped`, which is not an office: the worker is told to contact BPJS
Ketenagakerjaan directly instead of being promised a call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from messages.data import HERE, data, read_toml

BRANCHES_FILE = HERE / "branches.toml"
BASES = ("confirmed", "inferred")


@dataclass(frozen=True)
class Area:
    """One regency's mapping to a branch, with what it rests on."""

    regency: str
    basis: str
    source: str
    last_verified: date


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    phone: str
    """The office's own published number; empty while none is sourced (never the 175 line)."""
    areas: tuple[Area, ...]
    configured: bool = True
    """False for the stand-in that holds sign-ups from regencies without a branch."""

    @property
    def regencies(self) -> tuple[str, ...]:
        return tuple(area.regency for area in self.areas)


@dataclass(frozen=True)
class BranchMap:
    branches: dict[str, Branch]
    unmapped: Branch
    sources: dict[str, str]

    def area(self, regency_code: str | None) -> Area | None:
        for branch in self.branches.values():
            for area in branch.areas:
                if area.regency == regency_code:
                    return area
        return None

    def for_regency(self, regency_code: str | None) -> Branch:
        for branch in self.branches.values():
            if regency_code in branch.regencies:
                return branch
        return self.unmapped

    def get(self, code: str) -> Branch:
        return self.branches.get(code) or self.unmapped


def load_branch_map(path: Path = BRANCHES_FILE) -> BranchMap:
    return parse_branch_map(read_toml(path), str(path))


def parse_branch_map(raw: dict[str, Any], path: str = "branches.toml") -> BranchMap:
    sources: dict[str, str] = dict(raw.get("sources", {}))
    branches = {}
    for b in raw.get("branch", []):
        areas = []
        for a in b.get("areas", []):
            if a["source"] not in sources:
                raise ValueError(f"{path}: {b['code']} {a['regency']}: unknown source {a['source']!r}")
            if a["basis"] not in BASES:
                raise ValueError(f"{path}: {b['code']} {a['regency']}: basis must be one of {BASES}")
            areas.append(Area(a["regency"], a["basis"], a["source"], a["last_verified"]))
        branches[b["code"]] = Branch(b["code"], b["name"], str(b.get("phone", "")), tuple(areas))
    unmapped_code = raw["unmapped"]
    if unmapped_code in branches:
        raise ValueError(f"{path}: unmapped {unmapped_code!r} must not be a configured branch")
    return BranchMap(
        branches=branches,
        unmapped=Branch(unmapped_code, "", "", (), configured=False),
        sources=sources,
    )


@cache
def branch_map() -> BranchMap:
    return parse_branch_map(data("branches"))
