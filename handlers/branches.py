"""The branch map: which Kantor Cabang follows up a sign-up from which regency.

Loaded from messages/branches.toml. Each mapping (an "area") carries its dated source and when
it was last verified; a regency no source ties to an office is not mapped (the file lists those
of Jawa Timur and Jawa Tengah under `no_branch`, with what was searched and when). A regency
without a configured branch is routed to `unmapped`, which is not an office: the worker is told
to contact BPJS Ketenagakerjaan directly instead of being promised a call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from messages.data import data

BASES = ("confirmed",)
"""A mapping rests on a source that names the regency with the office; nothing is guessed."""


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
class NoBranch:
    """A regency deliberately left without a branch: no dated source ties it to an office."""

    regency: str
    searched: date
    note: str


@dataclass(frozen=True)
class BranchMap:
    branches: dict[str, Branch]
    unmapped: Branch
    sources: dict[str, str]
    no_branch: tuple[NoBranch, ...] = ()

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
    mapped = {area.regency for branch in branches.values() for area in branch.areas}
    no_branch = tuple(NoBranch(n["regency"], n["searched"], n["note"]) for n in raw.get("no_branch", []))
    for left in no_branch:
        if left.regency in mapped:
            raise ValueError(f"{path}: {left.regency} is both mapped and listed in no_branch")
    return BranchMap(
        branches=branches,
        unmapped=Branch(unmapped_code, "", "", (), configured=False),
        sources=sources,
        no_branch=no_branch,
    )


@cache
def branch_map() -> BranchMap:
    return parse_branch_map(data("branches"))
