"""Words of the staff pages that several pages share."""

from __future__ import annotations

from storage.submissions import ALL_STATUSES

# Statuses as officers name them (the worker reads gentler words, e.g. "Tidak dapat diproses").
STATUS_LABELS = {
    "baru": "Baru",
    "diproses": "Diproses",
    "dihubungi": "Dihubungi",
    "terdaftar": "Terdaftar",
    "ditolak": "Ditolak",
    "dibatalkan": "Dibatalkan",
}
assert tuple(STATUS_LABELS) == ALL_STATUSES, "a status without a label"
