"""Log-in and tokens: the password policy after NIST SP 800-63B (length, a shipped list of
common passwords, nothing built from the user name or the branch), API tokens that expire, die
with a password change and show when they were last used, and the log-in pressure /metrics
counts for the attack alert. (The throttle itself: tests/dashboard/test_backoffice.py.)"""

from __future__ import annotations

import pytest

from dashboard.service import Backoffice, LoginRefused
from dashboard.service.passwords import MIN_LENGTH, blocklist, problem
from storage.db import Database
from tests.support.api_helpers import site
from tests.support.backoffice_helpers import PASSWORD, T0, account, office_for
from tests.support.helpers import FixedClock


@pytest.mark.parametrize(
    ("password", "username", "branch"),
    [
        ("ani12345678", "ani", None),  # short, and the user name
        ("Madiun2024!!", "budi", "KC-MADIUN"),  # short, and the branch
        ("Madiun-pagi-2024!!", "budi", "KC-MADIUN"),  # the branch's name, long enough
        ("ngawi-sore-hari-99", "budi", "KC-MADIUN"),  # a regency the branch serves
        ("kc-madiun-kantor-2024", "budi", "KC-MADIUN"),
        ("budi.santoso.2024!", "budi.santoso", None),
        ("iloveyou12345678!", "eka", None),  # a common password with digits around it
        ("bpjsketenagakerjaan2026", "eka", None),  # the service's own words
        ("aaaaaaaaaaaaaaaaaa", "eka", None),
        ("abcdefghijklmnopq", "eka", None),
        ("1234567890123456", "eka", None),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, username: str, branch: str | None) -> None:
    assert problem(password, username=username, branch=branch), password


def test_good_passwords_pass_whatever_their_characters() -> None:
    for good in (
        "kopi-tubruk-pagi-hari",
        "sepeda biru di pasar legi",
        "Ñandú rojo de Kudus 7",
        "839201746582930",
    ):
        assert problem(good, username="budi", branch="KC-MADIUN") is None, good
    assert problem("x" * 15 + "yz" * 100, username="a") is not None  # too long
    assert MIN_LENGTH == 15
    assert len(blocklist()) > 30_000 and "password" in blocklist() and "bismillah" in blocklist()


async def test_api_tokens_expire_die_with_the_password_and_show_their_last_use(db: Database) -> None:
    clock = FixedClock(T0)
    office = office_for(db, clock)
    await account(office, "ani")
    token = await office.issue_token("test", "ani")
    assert (await office.access_for_token(token)) is not None
    listed = {info.username: info for info in await office.accounts()}
    assert listed["ani"].tokens == 1 and listed["ani"].token_last_used == T0
    clock.advance(days=89)
    assert (await office.access_for_token(token)) is not None
    clock.advance(days=2)
    assert (await office.access_for_token(token)) is None  # 90 days: expired

    second = await office.issue_token("test", "ani")
    assert (await office.access_for_token(second)) is not None
    await office.set_password("cli:admin", "ani", "teh-manis-dingin-sekali")
    assert (await office.access_for_token(second)) is None  # revoked with the old password
    assert {info.username: info for info in await office.accounts()}["ani"].tokens == 0


async def test_metrics_count_wrong_passwords_and_waiting_addresses(db_url: str) -> None:
    async with site(db_url) as web:
        office: Backoffice = web.office
        await account(office, "ani")
        for _ in range(6):
            with pytest.raises(LoginRefused):
                await office.authenticate("ani", "salah-sekali-ini-ya", "10.9.9.9")
        async with web.client() as client:
            text = (await client.get("/metrics")).text
    assert "bpu_login_failures_recent 5.0" in text  # the sixth waited, it was not tried
    assert "bpu_login_waits 1.0" in text
    assert PASSWORD not in text
