"""Twelve made-up people of East Java, each as they would write to the bot (issue 18).

Each writes in their own way from the first line to the last (Javanese ngoko or krama,
Madurese, capitals with no spaces, chat abbreviations, English) and must reach the outcome
written with them without switching to plain Indonesian. Names, NIKs, numbers and addresses are
invented; every NIK is structurally valid and matches the birth date the person types.
`tests/e2e/test_personas_e2e.py` plays each of them on Telegram and on WhatsApp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SESSION_TODAY = "{today}"
"""Stands for the code of today's city-paid session in Kota Madiun (made by the test)."""
SESSION_LATER = "{later}"
"""Stands for the code of a session in Kota Surabaya on a later day."""


@dataclass(frozen=True)
class Persona:
    name: str
    lines: tuple[str, ...]
    nik: str | None
    """The NIK of the submission the conversation ends with (None: no submission)."""
    submission: dict[str, Any] = field(default_factory=dict)
    """What that submission holds (columns of the submission, or its answers)."""
    says: dict[int, str] = field(default_factory=dict)
    """A phrase the replies to line `i` must contain."""
    never: tuple[str, ...] = ("belum paham",)
    """Phrases no reply may contain: the bot read every line."""
    wife_nik: str | None = None
    """A NIK someone else registered before (persona 9's wife)."""
    reserves: bool = False
    """The conversation ends with a place reserved at the later session."""


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "Slamet (Javanese ngoko, ojek, Kab. Madiun)",
        (
            "halo mas",
            "aku pengen daftar bpjs",
            "iyo setuju",
            "nikku 3519011505780003",
            "jenengku Slamet Riyadi",
            "lair 15 Mei 1978",
            "nomerku 0813-3579-2468",
            "iyo bener",
            "dusun krajan rt 02 rw 01 desa kebonsari",
            "ngojek",
            "sedina satus ewu",
            "iyo pas",
            "sing kapisan",
            "telung wulan",
            "ora duwe",
            "wis bener, kirim",
        ),
        nik="3519011505780003",
        submission={"occupation": "ojek", "income": 2_600_000, "payment_months": 3},
        says={15: "Nomor pendaftaran"},
    ),
    Persona(
        "Sri (Javanese krama, pecel seller, Kota Madiun)",
        (
            "sugeng enjing",
            "kula badhe daftar BPJS Ketenagakerjaan",
            "nggih, setuju",
            "NIK kula 3577 0262 0370 0004",
            "nami kula Sri Wahyuni",
            "22 Maret 1970",
            "nomer WA kula 0857 1234 5678",
            "nggih leres",
            "Jl. Thamrin gg 3 no 12 RT 05 RW 02, Kel. Manguharjo",
            "sade sekul pecel wonten peken",
            "pinten iuranipun?",
            "kalih yuta",
            "ingkang kaping kalih",
            "setunggal taun",
            "mboten gadhah",
            "sampun leres, kintun mawon",
        ),
        nik="3577026203700004",
        submission={"occupation": "pedagang", "income": 2_000_000, "payment_months": 12},
        says={10: "paling murah", 15: "Nomor pendaftaran"},
    ),
    Persona(
        "Hasan (Madurese, fisher, Bangkalan)",
        (
            "assalamualaikum",
            "kaula terro adaftar BPJS",
            "engghi, kaula setuju",
            "NIK kaula 3526 0221 0882 0005",
            "nyama kaula Moh. Hasan",
            "kaula lahir 21 Agustus 1982",
            "nomer kaula 0819-3456-1122",
            "engghi",
            "Dusun Bator RT 01 RW 03 Desa Socah",
            "nyare jhuko'",
            "saeket ebu saare",
            "iya pas",
            "se kapeng settong",
            "tello' bulen",
            "enja'",
            "la bender, kerem",
        ),
        nik="3526022108820005",
        submission={"occupation": "nelayan", "income": 1_300_000, "payment_months": 3},
        says={15: "Nomor pendaftaran"},
    ),
    Persona(
        "Agus (all capitals, no spaces, courier, Surabaya)",
        (
            "SAYAMAUDAFTAR",
            "SETUJUUU",
            "NIKSAYA3578050901950006",
            "AGUS SETIAWAN",
            "TGL9JANUARI1995",
            "081298765432",
            "YABENER",
            "JL KEDUNGANYAR V NO 17 RT 2 RW 4",
            "KURIRPAKET",
            "GAJI3JTAN",
            "YGPERTAMA",
            "3BLN",
            "GAADA",
            "KIRIM",
        ),
        nik="3578050901950006",
        submission={"occupation": "sopir", "income": 3_000_000, "payment_months": 3},
        says={13: "Nomor pendaftaran"},
    ),
    Persona(
        "Dewi (heavy abbreviations, online seller, Kudus)",
        (
            "kak sy mo dftr bpjs tk",
            "stj",
            "nik sy 3319034411920007",
            "nm sy dewi lestari",
            "tgl lhr 04-11-92",
            "no wa sy 0896 1122 3344",
            "iy",
            "perum jati indah blok c no 7 rt 3 rw 5 ds jati wetan",
            "olshop",
            "sbln kira2 2,5jt",
            "pake jht",
            "per 6 bln",
            "dewi.lestari92@gmail.com",
            "udh bener kirim aja",
        ),
        nik="3319034411920007",
        submission={"occupation": "pedagang", "income": 2_500_000, "payment_months": 6},
        says={13: "Nomor pendaftaran"},
    ),
    Persona(
        "Rizal (English, home catering, Kota Probolinggo)",
        (
            "hi",
            "I want to register",
            "yes, I agree",
            "my NIK is 3574012306880008",
            "my name is Rizal Firmansyah",
            "born 23 June 1988",
            "my WhatsApp is +62 812-2233-4455",
            "yes",
            "Jl. Panglima Sudirman 45 RT 02 RW 07, Kel. Kademangan",
            "home catering business",
            "about 4 million a month",
            "what is JHT?",
            "with JHT",
            "every three months",
            "my email is rizal.f88@gmail.com",
            "all correct, send it",
        ),
        nik="3574012306880008",
        submission={"occupation": "umkm", "income": 4_000_000, "payment_months": 3},
        says={11: "JHT", 15: "Nomor pendaftaran"},
    ),
    Persona(
        "Sumarni (asks mid-form, vegetable seller, Kab. Probolinggo)",
        (
            "daftar",
            "setuju",
            "3513105007800009",
            "Sumarni",
            "10-07-1980",
            "085233445566",
            "iya",
            "Dusun Krajan RT 01 RW 02 Desa Pakuniran",
            "bakul sayur keliling",
            "iurane piro?",
            "sedino 70 ewu",
            "iyo",
            "1",
            "iso bayar nang indomaret?",
            "sebulan",
            "gak punya",
            "kirim",
        ),
        nik="3513105007800009",
        submission={"occupation": "pedagang", "income": 1_820_000, "payment_months": 1},
        says={9: "paling murah", 13: "Indomaret", 16: "Nomor pendaftaran"},
    ),
    Persona(
        "Wulan for her father Sugeng (Javanese, farmer, Kab. Madiun)",
        (
            "daftarke bapakku",
            "bapak wis moco, setuju",
            "3519010203660010",
            "Sugeng Widodo",
            "2 Maret 1966",
            "nomere bapak 0852 3300 1166",
            "iyo bener",
            "dusun krajan rt 03 rw 02 desa kebonsari",
            "tani",
            "sewulan sak yuta",
            "sing kapisan",
            "telung wulan",
            "ora ono",
            "kirim",
        ),
        nik="3519010203660010",
        submission={"occupation": "petani", "income": 1_000_000, "assisted_relation": "orang_tua"},
        says={0: "NIK-nya sendiri", 13: "Nomor pendaftaran"},
    ),
    Persona(
        "Bambang (his wife's NIK first, becak, Surabaya)",
        (
            "mau daftar",
            "setuju",
            "3578056504900011",
            "lho iku NIK e bojoku, salah ketik",
            "NIK ku 3578051407880012",
            "Bambang Sutrisno",
            "14-07-1988",
            "0812 3344 5566",
            "iyo",
            "jl kedungdoro gg 2 no 10 rt 4 rw 6",
            "narik becak",
            "sedino 80 ewu",
            "iyo",
            "1",
            "1",
            "gak ada",
            "kirim",
        ),
        nik="3578051407880012",
        submission={"occupation": "becak", "income": 2_080_000, "payment_months": 1},
        says={2: "NIK Bapak/Ibu sendiri", 16: "Nomor pendaftaran"},
        wife_nik="3578056504900011",
    ),
    Persona(
        "Joko (city-paid session, market porter, Kota Madiun)",
        (
            f"DAFTAR {SESSION_TODAY}",
            "iki dibayari pemkot ta?",
            "iyo setuju",
            "3577021008750013",
            "Joko Susilo",
            "10 Agustus 1975",
            "081335577991",
            "iyo",
            "Jl. Salak 21 RT 01 RW 03, Kel. Manguharjo",
            "kuli pasar",
            "sedino 60 ewu",
            "iyo pas",
            "sing kapisan",
            "sewulan",
            "ora duwe",
            "kirim",
        ),
        nik="3577021008750013",
        submission={"occupation": "buruh", "income": 1_560_000, "payment_months": 1},
        says={0: "Pemerintah Kota Madiun", 1: "Pemerintah Kota Madiun", 15: "Nomor pendaftaran"},
    ),
    Persona(
        "Siti (where can she pay, jamu seller, Kab. Madiun)",
        (
            "assalamualaikum",
            "bisa bayar di indomaret?",
            "kalau alfamart bisa?",
            "lewat DANA bisa gak?",
            "kalau di BRI?",
            "oke, daftar",
            "setuju",
            "3519024605810014",
            "Siti Khotijah",
            "6 Mei 1981",
            "0856 4567 8901",
            "iya",
            "Dusun Sumbersari RT 02 RW 01 Desa Dolopo",
            "jamu gendong",
            "sehari 60rb",
            "iya",
            "1",
            "6 bulan",
            "gak punya",
            "kirim",
        ),
        nik="3519024605810014",
        submission={"occupation": "pedagang", "income": 1_560_000, "payment_months": 6},
        says={1: "Indomaret", 2: "Alfamart", 3: "DANA", 4: "BRI", 19: "Nomor pendaftaran"},
    ),
    Persona(
        "Novi (reserves a place by typing, warung kopi, Surabaya)",
        (f"DAFTAR {SESSION_LATER}", "melu", "makasih"),
        nik=None,
        says={0: "ikut", 1: "Tempat Bapak/Ibu sudah kami catat", 2: "Sama-sama"},
        reserves=True,
    ),
)

_NIK = re.compile(r"(\d[\s.\-]?){15}\d")


def on_second_channel(line: str, *, serial_shift: int = 5000) -> str:
    """The same person again on the other channel needs another NIK (one NIK, one sign-up): the
    serial (its last four digits) moves on by `serial_shift`, written as the person wrote it."""

    def shift(match: re.Match[str]) -> str:
        written = match.group(0)
        digits = [i for i, ch in enumerate(written) if ch.isdigit()]
        serial = "".join(written[i] for i in digits[-4:])
        moved = f"{(int(serial) + serial_shift) % 10_000:04d}"
        chars = list(written)
        for position, digit in zip(digits[-4:], moved, strict=True):
            chars[position] = digit
        return "".join(chars)

    return _NIK.sub(shift, line)
