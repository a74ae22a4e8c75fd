"""The password policy, after NIST SP 800-63B (Digital Identity Guidelines, Authentication and
Lifecycle Management, revision 4, 2025), section 3.1.1.2 "Password Verifiers":

- at least `MIN_LENGTH` (15) characters, since the password alone opens the account; at most
  `MAX_LENGTH` (any length up to it accepted, spaces and every alphabet included);
- no composition rules (no "one digit and one capital"), no forced periodic changes;
- refused when it is a commonly used or compromised password (the 30,000 most common of leaked
  lists, `data/common-passwords.txt`, with its source and licence), a word of the service
  (`data/local-passwords.txt`), repetitive or sequential ("aaaa...", "1234..."), or built from
  context: the user name or the branch (its code, its name, the regencies it serves);
- compared after Unicode normalisation (NFKC) and case-folding, and also with digits, spaces
  and symbols taken off, so "Madiun2024!!" is the branch's name plus a year.

`problem` answers why a password is refused, in Indonesian, or None.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import pairwise
from pathlib import Path

from handlers.branches import branch_map
from handlers.regions import region

MIN_LENGTH = 15
MAX_LENGTH = 200
DATA = Path(__file__).resolve().parent / "data"
_NOT_LETTERS = re.compile(r"[\W\d_]+")


@cache
def blocklist() -> frozenset[str]:
    """The common and the service's own passwords, lower-case."""
    words: set[str] = set()
    for name in ("common-passwords.txt", "local-passwords.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                words.add(line.strip().lower())
    return frozenset(words)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def context_words(username: str, branch: str | None) -> set[str]:
    """Words a password must not be built from: the user name and its parts, the branch's
    code, name and regencies (letters only, four or more)."""
    raw = [username, *re.split(r"[._-]", username)]
    if branch:
        raw += [branch, *re.split(r"[._ -]", branch)]
        office = branch_map().branches.get(branch)
        if office is not None:
            raw += [office.name, *office.name.split()]
            for code in office.regencies:
                found = region(code)
                if found is not None:
                    raw += [found.name, *found.name.split()]
    words = {_NOT_LETTERS.sub("", _fold(word)) for word in raw}
    return {word for word in words if len(word) >= 3} - {"kota", "kab", "kabupaten", "kc"}


def _monotonous(text: str) -> bool:
    """Mostly one character over and over, or a run up or down the alphabet or the digits
    ("aaaa", "abcd", "1234567890123"): at least 4 in 5 steps repeat or move by one."""
    if len(set(text)) <= 2:
        return True
    steps = [ord(b) - ord(a) for a, b in pairwise(text)]
    plain = sum(
        step in (-1, 0, 1) or ((a + b).isdigit() and abs(step) == 9)
        for step, (a, b) in zip(steps, pairwise(text), strict=True)
    )
    return plain >= 0.8 * len(steps)


def problem(password: str, *, username: str = "", branch: str | None = None) -> str | None:
    """Why the password is refused (Indonesian), or None when it will do."""
    if len(password) < MIN_LENGTH:
        return (
            f"Kata sandi minimal {MIN_LENGTH} karakter: gabungan beberapa kata mudah diingat, sulit ditebak."
        )
    if len(password) > MAX_LENGTH:
        return f"Kata sandi paling panjang {MAX_LENGTH} karakter."
    folded = _fold(password)
    letters = _NOT_LETTERS.sub("", folded)
    if _monotonous(folded) or _monotonous(letters or folded):
        return "Kata sandi ini hanya pengulangan atau urutan huruf/angka. Pakai gabungan beberapa kata."
    common = blocklist()
    if folded in common or letters in common:
        return "Kata sandi ini terlalu umum (ada di daftar kata sandi yang sering bocor). Pakai yang lain."
    chunks = set(re.findall(r"[^\W\d_]+", folded))
    for word in context_words(username, branch):
        if word in chunks or (len(word) >= 5 and word in letters):  # "ani" whole; "madiun" anywhere
            return "Kata sandi tidak boleh memuat nama pengguna, kode atau nama cabang, atau nama wilayahnya."
    return None
