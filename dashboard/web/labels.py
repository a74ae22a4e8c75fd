"""Words of the staff pages that several pages share."""

from __future__ import annotations

from dashboard.service.texts import status_label
from storage.submissions import ALL_STATUSES

# Statuses as officers name them, from the one list (messages/id/backoffice.toml [statuses]);
# the worker reads gentler words, e.g. "Tidak dapat diproses".
STATUS_LABELS = {code: status_label(code) for code in ALL_STATUSES}
assert tuple(STATUS_LABELS) == ALL_STATUSES, "a status without a label"

# Form steps the summary does not name (the rest come from messages/form.toml [fields]).
_OTHER_STEPS = {
    "consent": "Persetujuan data",
    "assisted_relation": "Hubungan dengan yang dibantu",
    "birth_check": "Pemeriksaan usia",
    "region_confirm": "Konfirmasi wilayah",
    "region": "Wilayah",
    "regency": "Kabupaten/kota",
    "district": "Kecamatan",
    "address": "Alamat",
    "current_address": "Alamat domisili",
    "occupation_other": "Pekerjaan lainnya",
    "income_check": "Pemeriksaan penghasilan",
    "summary": "Ringkasan",
}


def step_label(step: str) -> str:
    """A form step as the drop-off chart names it: "birth_date" → "Tanggal lahir"."""
    from messages.form_labels import form_labels

    fields: dict[str, str] = form_labels()["fields"]
    return fields.get(step) or _OTHER_STEPS.get(step, step)
