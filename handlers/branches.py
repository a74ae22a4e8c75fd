"""The branch map: which Kantor Cabang follows up a sign-up from which regency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from messages.data import HERE, data, read_toml

BRANCHES_FILE = HERE / "branches.toml"


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    phone: str
    regencies: tuple[str, ...]
    last_verified: date
    source: str


@dataclass(frozen=True)
class BranchMap:
    branches: dict[str, Branch]
    default: str

    def for_regency(self, regency_code: str | None) -> Branch:
        for branch in self.branches.values():
            if regency_code in branch.regencies:
                return branch
        return self.branches[self.default]

    def get(self, code: str) -> Branch:
        return self.branches.get(code) or self.branches[self.default]


def load_branch_map(path: Path = BRANCHES_FILE) -> BranchMap:
    return parse_branch_map(read_toml(path), str(path))


def parse_branch_map(raw: dict[str, Any], source: str = "branches.toml") -> BranchMap:
    branches = {
        b["code"]: Branch(
            code=b["code"],
            name=b["name"],
            phone=str(b.get("phone", "")),
            regencies=tuple(b.get("regencies", [])),
            last_verified=b["last_verified"],
            source=b["source"],
        )
        for b in raw["branch"]
    }
    if raw["default"] not in branches:
        raise ValueError(f"{source}: default branch {raw['default']!r} is not defined")
    return BranchMap(branches=branches, default=raw["default"])


@cache
def branch_map() -> BranchMap:
    return parse_branch_map(data("branches"))
