"""Region lookups for the address step: regencies and districts by code and by typed name."""

from __future__ import annotations

import pytest

from handlers.regions import Region, bare_name, normalise, region, search_districts, search_regencies
from messages.render import labels

# --- Lookup by code ------------------------------------------------------------------------

BY_CODE = [
    ("35.77", Region("35.77", "Kota Madiun", "kota", "Jawa Timur"), "Kota Madiun"),
    ("3577", Region("35.77", "Kota Madiun", "kota", "Jawa Timur"), "Kota Madiun"),
    ("35.19", Region("35.19", "Kabupaten Madiun", "kabupaten", "Jawa Timur"), "Kab. Madiun"),
    ("35.26", Region("35.26", "Kabupaten Bangkalan", "kabupaten", "Jawa Timur"), "Kab. Bangkalan"),
    ("33.19", Region("33.19", "Kabupaten Kudus", "kabupaten", "Jawa Tengah"), "Kab. Kudus"),
    ("35.78", Region("35.78", "Kota Surabaya", "kota", "Jawa Timur"), "Kota Surabaya"),
    (
        "31.74",
        Region("31.74", "Kota Administrasi Jakarta Selatan", "kota", "Daerah Khusus Ibukota Jakarta"),
        "Kota Jakarta Selatan",
    ),
    (
        "31.01",
        Region(
            "31.01", "Kabupaten Administrasi Kepulauan Seribu", "kabupaten", "Daerah Khusus Ibukota Jakarta"
        ),
        "Kab. Kepulauan Seribu",
    ),
    ("35.77.01", Region("35.77.01", "Kartoharjo", "kecamatan", "Kota Madiun"), "Kec. Kartoharjo"),
    ("357701", Region("35.77.01", "Kartoharjo", "kecamatan", "Kota Madiun"), "Kec. Kartoharjo"),
    ("35.19.08", Region("35.19.08", "Madiun", "kecamatan", "Kab. Madiun"), "Kec. Madiun"),
    ("33.19.02", Region("33.19.02", "Kota Kudus", "kecamatan", "Kab. Kudus"), "Kec. Kota Kudus"),
    ("91.03.01", Region("91.03.01", "Sentani", "distrik", "Kab. Jayapura"), "Distrik Sentani"),
]


@pytest.mark.parametrize(("code", "expected", "label"), BY_CODE)
def test_region_by_code(code: str, expected: Region, label: str) -> None:
    found = region(code)
    assert found == expected
    assert found is not None and found.label == label


@pytest.mark.parametrize("code", ["35", "99.01", "91.01", "35.77.04", "35.77.01.1001", "", "abc"])
def test_region_by_code_unknown_or_not_a_regency_or_district(code: str) -> None:
    assert region(code) is None


def test_label_prefixes_come_from_labels_toml() -> None:
    words = labels()["regions"]
    assert (words["kota"], words["kabupaten"], words["kecamatan"]) == ("Kota", "Kab.", "Kec.")


# --- Regencies by name ---------------------------------------------------------------------

REGENCY_SEARCHES = [
    # Ambiguous: the caller asks which one; exact names first, in code order.
    ("madiun", ["35.19", "35.77"]),
    ("Madiun", ["35.19", "35.77"]),
    ("  MADIUN  ", ["35.19", "35.77"]),
    ("probolinggo", ["35.13", "35.74"]),
    ("malang", ["35.07", "35.73"]),
    ("kediri", ["35.06", "35.71"]),
    # A kind word decides.
    ("kota madiun", ["35.77"]),
    ("Kota Madiun", ["35.77"]),
    ("kodya madiun", ["35.77"]),
    ("kotamadya madiun", ["35.77"]),
    ("kab madiun", ["35.19"]),
    ("kab. madiun", ["35.19"]),
    ("Kab.Madiun", ["35.19"]),
    ("kabupaten madiun", ["35.19"]),
    ("KABUPATEN MADIUN", ["35.19"]),
    ("kota probolinggo", ["35.74"]),
    ("kab probolinggo", ["35.13"]),
    # One of a kind.
    ("surabaya", ["35.78"]),
    ("kota surabaya", ["35.78"]),
    ("kota  surabaya.", ["35.78"]),
    ("bangkalan", ["35.26"]),
    ("kudus", ["33.19"]),
    ("kab kudus", ["33.19"]),
    ("sidoarjo", ["35.15"]),
    # The kind word was wrong: there is no Kota Bangkalan, only the kabupaten.
    ("kota bangkalan", ["35.26"]),
    # The kind word is part of the name: Kabupaten Kotabaru.
    ("kota baru", ["63.02"]),
    ("kotabaru", ["63.02"]),
    # Names written apart or together.
    ("banyu wangi", ["35.10"]),
    ("fakfak", ["92.03"]),
    ("fak-fak", ["92.03"]),
    # Beginning of a name.
    ("jakarta", ["31.71", "31.72", "31.73", "31.74", "31.75"]),
    ("jakarta selatan", ["31.74"]),
    ("kota jakarta selatan", ["31.74"]),
    ("kepulauan seribu", ["31.01"]),
    ("tangerang", ["36.03", "36.71", "36.74"]),
    # Exact and prefix matches hide matches inside a word (Pemalang, Labuhanbatu).
    ("batu", ["35.79", "12.19"]),
    ("pemalang", ["33.27"]),
    ("labuhan", ["12.10", "12.22", "12.23"]),
    # One typo.
    ("bangkalam", ["35.26"]),
    ("bangklaan", ["35.26"]),
    ("probolingo", ["35.13", "35.74"]),
    ("mdiun", ["35.19", "35.77"]),
    # Nothing.
    ("", []),
    ("kota", []),
    ("kabupaten", []),
    ("sby", []),
    ("atlantis", []),
    ("bngkalam", []),
]


@pytest.mark.parametrize(("text", "codes"), REGENCY_SEARCHES)
def test_search_regencies(text: str, codes: list[str]) -> None:
    assert [r.code for r in search_regencies(text)] == codes


def test_search_regencies_gives_whole_regions() -> None:
    assert search_regencies("kota madiun") == [Region("35.77", "Kota Madiun", "kota", "Jawa Timur")]
    assert [r.label for r in search_regencies("madiun")] == ["Kab. Madiun", "Kota Madiun"]


def test_search_regencies_limit() -> None:
    assert len(search_regencies("m")) == 10
    assert [r.code for r in search_regencies("jakarta", limit=2)] == ["31.71", "31.72"]
    assert search_regencies("madiun", limit=0) == []


# --- Districts by name ---------------------------------------------------------------------

DISTRICT_SEARCHES = [
    ("35.77", "kartoharjo", ["35.77.01"]),
    ("3577", "kartoharjo", ["35.77.01"]),
    ("35.77", "Kec. Kartoharjo", ["35.77.01"]),
    ("35.77", "kec kartoharjo", ["35.77.01"]),
    ("35.77", "kecamatan kartoharjo", ["35.77.01"]),
    ("35.77", "KARTOHARJO", ["35.77.01"]),
    ("35.77", "kartoharjo ", ["35.77.01"]),
    ("35.77", "kartohrjo", ["35.77.01"]),
    ("35.77", "taman", ["35.77.03"]),
    ("35.77", "harjo", ["35.77.01", "35.77.02"]),
    # Taman is in Kota Madiun, not in Kabupaten Madiun.
    ("35.19", "taman", []),
    ("35.19", "madiun", ["35.19.08"]),
    ("35.19", "dolopo", ["35.19.02"]),
    ("35.26", "kamal", ["35.26.04"]),
    ("35.26", "bangkalan", ["35.26.01"]),
    ("35.26", "tanah merah", ["35.26.13"]),
    ("35.26", "tanahmerah", ["35.26.13"]),
    ("35.78", "tegal sari", ["35.78.05"]),
    ("35.78", "karangpilang", ["35.78.01"]),
    ("33.19", "kota kudus", ["33.19.02"]),
    ("33.19", "kec. kota kudus", ["33.19.02"]),
    ("33.19", "jati", ["33.19.03"]),
    ("91.03", "distrik sentani", ["91.03.01", "91.03.02", "91.03.04"]),
    ("91.03", "kec sentani timur", ["91.03.02"]),
    ("35.77", "", []),
    ("35.77", "kec", []),
    ("35.77", "sawahan", []),
    ("99.99", "kartoharjo", []),
    ("35", "kartoharjo", []),
]


@pytest.mark.parametrize(("regency", "text", "codes"), DISTRICT_SEARCHES)
def test_search_districts(regency: str, text: str, codes: list[str]) -> None:
    assert [r.code for r in search_districts(regency, text)] == codes


def test_search_districts_gives_whole_regions() -> None:
    assert search_districts("35.77", "kec. kartoharjo") == [
        Region("35.77.01", "Kartoharjo", "kecamatan", "Kota Madiun")
    ]
    assert [r.label for r in search_districts("35.77", "harjo", limit=1)] == ["Kec. Kartoharjo"]


# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "bare"),
    [
        ("Kota Madiun", "kota", "Madiun"),
        ("Kabupaten Madiun", "kabupaten", "Madiun"),
        ("Kota Administrasi Jakarta Selatan", "kota", "Jakarta Selatan"),
        ("Kabupaten Kotabaru", "kabupaten", "Kotabaru"),
        ("Kota Kudus", "kecamatan", "Kota Kudus"),
        ("Kartoharjo", "kecamatan", "Kartoharjo"),
    ],
)
def test_bare_name(name: str, kind: str, bare: str) -> None:
    assert bare_name(name, kind) == bare


def test_normalise() -> None:
    assert normalise("  Kab. Fak-Fak ") == "kab fak fak"
    assert normalise("KOTA   Surabaya!") == "kota surabaya"
    assert normalise("Pangkajene dan Kepulauan") == "pangkajene dan kepulauan"
    assert normalise("Bau’Bau") == "baubau"
    assert normalise("Sumbawa Barát") == "sumbawa barat"
