"""Exports for branch staff and for programs: the follow-up queue (the queue page's buttons, the
API's `/export`, `bpu-bot export`) and the open callback requests (`bpu-bot export --callbacks`).

`columns` says which columns there are and how each is headed; `styles` how a format writes
dates, times and phone numbers (people read CSV and XLSX: "01-07-1990", "0812-3456-7801",
"22-11-2026 10:05 WIB"; programs read JSON: ISO 8601 with the offset, E.164); `rows` builds one
row per submission or request; `to_csv`, `to_json` and `to_xlsx` write the file; `formats` names
the three; `queue_export` and `callback_export` are the audited service calls behind `Backoffice`.
"""
