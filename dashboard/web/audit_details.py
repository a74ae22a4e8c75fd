"""An audit entry's details as officers read them: Indonesian names and values, never the keys
the service stores ("to: rudi; via: session" → "Dialihkan ke: rudi · Lewat: halaman petugas";
a queue export's filters → "Saringan: Status Baru, Kanal WhatsApp"). The reference stays a link
(the template draws it); a key this page does not know yet is shown as "Keterangan".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from dashboard.service.texts import call_outcomes, flag_label, role_label
from dashboard.web.labels import STATUS_LABELS
from handlers.channels import Catalogue
from handlers.regions import region
from messages.program_data import occupations

VIA = {"session": "halaman petugas", "token": "API (token)", "cli": "baris perintah"}
NAMES = {
    "via": "Lewat",
    "outcome": "Hasil",
    "rows": "Baris",
    "format": "Format",
    "filters": "Saringan",
    "address": "Alamat IP",
    "username": "Akun",
    "role": "Peran",
    "callback": "Permintaan telepon no.",
    "code": "Kode acara",
    "capacity": "Kapasitas",
    "broadcast": "Siaran no.",
    "recipients": "Penerima",
    "scheduled": "Terjadwal",
    "channel": "Kanal",
    "branch": "Cabang",
    "reason": "Alasan",
}
FILTER_NAMES = {
    "status": "Status",
    "created_from": "Masuk dari",
    "created_to": "Sampai",
    "regency_code": "Kabupaten/kota",
    "district_code": "Kecamatan",
    "occupation": "Pekerjaan",
    "channel": "Kanal",
    "attribution_code": "Kode",
    "flag": "Tanda",
    "assigned": "Penanganan",
    "overdue": "Lewat janji telepon",
    "branch": "Cabang",
}
ASSIGNED = {"me": "saya tangani", "unassigned": "belum ditangani"}


class Detail(NamedTuple):
    label: str
    value: str


def _regency(code: str) -> str:
    found = region(code)
    return found.label if found else code


def _yes_no(value: Any) -> str:
    return "ya" if str(value).lower() in ("true", "1", "ya") else "tidak"


def _number(value: Any) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


class AuditWords:
    """Turns stored details into (label, value) pairs in Indonesian."""

    def __init__(self, channels: Catalogue) -> None:
        self.channels = channels

    def _filter_value(self, key: str, value: str) -> str:
        jobs = {o.code: o.label for o in occupations()}
        readers: dict[str, Callable[[str], str]] = {
            "status": lambda v: STATUS_LABELS.get(v, v),
            "channel": self.channels.display,
            "flag": flag_label,
            "assigned": lambda v: ASSIGNED.get(v, v),
            "overdue": _yes_no,
            "occupation": lambda v: jobs.get(v, v),
            "regency_code": _regency,
        }
        return readers.get(key, str)(value)

    def _filters(self, value: Any) -> str:
        if not isinstance(value, Mapping) or not value:
            return "tidak ada"
        return ", ".join(
            f"{FILTER_NAMES.get(k, 'lainnya')} {self._filter_value(k, str(v))}" for k, v in value.items()
        )

    def describe(self, action: str, details: Mapping[str, Any]) -> list[Detail]:
        """The details but the reference (the template links it), in a fixed order."""
        shown: list[Detail] = []
        for key, value in details.items():
            if key == "reference":
                continue
            if key == "to":
                if action == "reassign":
                    shown.append(Detail("Dialihkan ke", str(value)))
                else:
                    shown.append(Detail("Status baru", STATUS_LABELS.get(str(value), str(value))))
            elif key == "via":
                shown.append(Detail(NAMES[key], VIA.get(str(value), str(value))))
            elif key == "outcome":
                shown.append(Detail(NAMES[key], call_outcomes().get(str(value), str(value))))
            elif key == "filters":
                shown.append(Detail(NAMES[key], self._filters(value)))
            elif key == "format":
                shown.append(Detail(NAMES[key], str(value).upper()))
            elif key == "role":
                shown.append(Detail(NAMES[key], role_label(str(value))))
            elif key == "channel":
                shown.append(Detail(NAMES[key], self.channels.display(str(value))))
            elif key == "scheduled":
                shown.append(Detail(NAMES[key], _yes_no(value)))
            else:
                shown.append(Detail(NAMES.get(key, "Keterangan"), _number(value)))
        return shown
