"""The 13 messages one person types to enrol, up to the summary: the load every bench replays.

The NIK's serial is varied per person by the benches that need distinct people.
"""

ENROLMENT = (
    "daftar",
    "setuju",
    "3577014708850001",
    "siti aminah",
    "7 agustus 1985",
    "0812-3456-7890",
    "ya",
    "Jl. Merpati 12 RT 03/RW 05",
    "1",
    "1,5 juta",
    "2",
    "3",
    "lewati",
)
