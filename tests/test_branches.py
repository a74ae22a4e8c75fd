"""The branch map data file: loads, names real regencies, and routes unknown ones to the default."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.branches import branch_map, load_branch_map
from handlers.regions import region


def test_every_mapped_code_is_a_current_regency_and_dated() -> None:
    branches = branch_map()
    seen: set[str] = set()
    for branch in branches.branches.values():
        assert branch.last_verified <= date.today() and branch.source
        for code in branch.regencies:
            found = region(code)
            assert found is not None and found.kind in ("kota", "kabupaten"), code
            assert code not in seen, f"{code} is mapped twice"
            seen.add(code)


@pytest.mark.parametrize(
    ("code", "branch"),
    [
        ("35.77", "KC-MADIUN"),
        ("35.19", "KC-MADIUN"),
        ("35.20", "KC-MADIUN"),
        ("35.21", "KC-MADIUN"),
        ("35.02", "KC-PONOROGO"),
        ("35.26", "KC-MADURA"),
        ("33.19", "KC-KUDUS"),
        ("35.78", "KC-SURABAYA"),
        ("35.13", "KC-PROBOLINGGO"),
        ("35.74", "KC-PROBOLINGGO"),
        ("32.01", "PUSAT"),
        (None, "PUSAT"),
    ],
)
def test_routing(code: str | None, branch: str) -> None:
    assert branch_map().for_regency(code).code == branch


def test_a_missing_default_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "branches.toml"
    path.write_text(
        'default = "NOPE"\n[[branch]]\ncode = "A"\nname = "A"\nlast_verified = 2026-01-01\nsource = "x"\n'
    )
    with pytest.raises(ValueError, match="NOPE"):
        load_branch_map(path)
