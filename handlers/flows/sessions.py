"""Socialization sessions for workers: the listing in their regency, reserving and releasing a
place, arriving through a session's link (attendance), and the announcement opt-in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from handlers.flow import Unclear, say_menu
from handlers.intents import filler_words, join_words, match_intent, tokens
from handlers.localtime import zone
from handlers.regions import region, search_regencies
from handlers.turn import Turn
from handlers.types import ARRIVED, SPONSOR, Option
from storage.outreach_models import SocialSession

SHOWN = "sessions_shown"
JOIN_TEMPLATES = {
    "reserved": "session_reserved",
    "already": "session_already",
    "full": "session_full",
    "closed": "session_closed",
}
LISTED = 3


def set_announcements(turn: Turn, on: bool) -> None:
    turn.contact.announcements = on
    turn.contact.announcements_changed_at = turn.now


def view(social: SocialSession, **extra: Any) -> dict[str, Any]:
    """What the templates show of a session, in its own local time."""
    tz = zone(social.timezone)
    start, end = social.starts_at.astimezone(tz), social.ends_at.astimezone(tz)
    return {
        "code": social.code,
        "title": social.title,
        "day": start.date(),
        "start": f"{start:%H.%M}",
        "end": f"{end:%H.%M}",
        "tz": social.timezone,
        "place": social.place,
        "online_url": social.online_url,
        "district": social.district,
        "organiser": social.organiser,
        "capacity": social.capacity,
        "regency": social.regency_name,
        **extra,
    }


async def sponsor_text(turn: Turn, social: SocialSession) -> str | None:
    """The truthful sponsor sentence: who pays JKK + JKM, for how long, and what is left."""
    if not social.sponsor or not social.sponsor_months or not social.sponsor_quota:
        return None
    used = await turn.store.outreach.sponsored_count(social)
    return turn.render(
        "session_sponsor",
        sponsor=social.sponsor,
        months=social.sponsor_months,
        quota=social.sponsor_quota,
        left=max(0, social.sponsor_quota - used),
    )


def on_session_day(turn: Turn, social: SocialSession) -> bool:
    tz = zone(social.timezone)
    return turn.now.astimezone(tz).date() == social.starts_at.astimezone(tz).date()


async def arrive(turn: Turn, code: str, *, offer_join: bool) -> str | None:
    """Someone came through a session's link (a Telegram start link, or "DAFTAR <code>" on
    WhatsApp). On the session's day that is attendance ("today"); before it, a place can be
    reserved ("upcoming": "Ikut" is offered on every channel, and "ikut" typed later, at any
    step, reserves it); after it, "past". None when the code is not a session's.
    """
    social = await turn.store.outreach.by_code(code)
    if social is None or social.cancelled_at is not None:
        return None
    assert turn.contact.id is not None
    if turn.contact.regency_code is None:
        turn.contact.regency_code = social.regency_code
    if on_session_day(turn, social):
        await turn.store.outreach.mark_attended(social, turn.contact.id, turn.now)
        sponsor = await sponsor_text(turn, social)
        quota = social.sponsor_quota or 0
        if sponsor is not None and await turn.store.outreach.sponsored_count(social) < quota:
            paid_by = {"name": social.sponsor, "months": social.sponsor_months, "session": social.code}
            turn.state.data[SPONSOR] = paid_by
            draft = turn.state.data.get("draft")
            if isinstance(draft, dict):  # a form already begun: its amounts follow the sponsor too
                draft.setdefault("answers", {})[SPONSOR] = paid_by
        text = turn.render("session_welcome", s=view(social), sponsor=sponsor)
        welcome = [turn.option("menu.enrol", "enrol"), turn.option("menu.calculator", "calculator")]
        turn.say_text(text, welcome if offer_join else ())
        return "today"
    if social.starts_at <= turn.now:
        turn.say("session_other_day", [], s=view(social), upcoming=False)
        return "past"
    join = [Option(f"sessions.join.{social.code}", turn.label("join")), turn.option("menu.enrol", "enrol")]
    turn.say("session_other_day", join, s=view(social), upcoming=True)
    turn.state.flow, turn.state.step = SessionsFlow.name, "list"
    turn.state.data[SHOWN] = [social.code]
    turn.state.data[ARRIVED] = social.code
    return "upcoming"


def wants_to_join(turn: Turn) -> str | None:
    """The session to reserve when someone who arrived through a session's link for a later day
    types "ikut" (or "melu", "join"...) alone, wherever they are in the conversation."""
    code = turn.state.data.get(ARRIVED)
    if not code or not turn.text or turn.choice:
        return None
    said = set(tokens(turn.text)) - filler_words()
    joining = {w for phrase in join_words() for w in phrase}
    return code if said and said <= joining else None


async def join_arrived(turn: Turn, code: str) -> None:
    """Reserves the session the person arrived for; the conversation stays where it was."""
    social = await turn.store.outreach.by_code(code)
    assert turn.contact.id is not None
    if social is None:
        return
    result = await turn.store.outreach.reserve(social, turn.contact.id, turn.now)
    turn.state.data.pop(ARRIVED, None)
    turn.say(JOIN_TEMPLATES[result], s=view(social))


def _number(text: str) -> int | None:
    match = re.search(r"\d+", text)
    return int(match.group()) if match else None


class SessionsFlow:
    name = "sessions"

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        turn.state.flow = self.name
        if topic == "cancel":
            await self._leave(turn, None)
            return
        regency = await self._regency(turn)
        if regency is None:
            turn.state.step = "regency"
            turn.say("sessions_ask_regency")
            return
        await self._list(turn, regency)

    async def _regency(self, turn: Turn) -> str | None:
        profile = await turn.store.outreach.profile(turn.contact)
        return profile.regency_code

    async def _list(self, turn: Turn, regency_code: str) -> None:
        assert turn.contact.id is not None
        sessions = await turn.store.outreach.upcoming(regency_code, turn.now, LISTED)
        mine = {s.id for s in await turn.store.outreach.reservations_of(turn.contact.id, turn.now)}
        turn.state.step = "list"
        turn.state.data[SHOWN] = [s.code for s in sessions]
        found = region(regency_code)
        options: list[Option] = [
            Option(f"sessions.join.{s.code}", f"{turn.label('join')} {i}") for i, s in enumerate(sessions, 1)
        ]
        if mine:
            options.append(turn.option("sessions.leave", "leave"))
        subscribed = turn.contact.announcements
        if subscribed:
            options.append(turn.option("menu.menu", "menu"))
        else:
            options += [
                turn.option("sessions.subscribe", "subscribe"),
                turn.option("sessions.no", "no_thanks"),
            ]
        turn.say(
            "sessions",
            options,
            sessions=[view(s, reserved=s.id in mine) for s in sessions],
            regency=found.label if found else regency_code,
            subscribed=subscribed,
        )

    async def handle(self, turn: Turn) -> Unclear | None:
        choice = turn.choice or ""
        if turn.state.step == "regency" and not choice.startswith("sessions."):
            return await self._answer_regency(turn)
        if choice.startswith("sessions.regency."):
            code = choice.removeprefix("sessions.regency.")
            turn.contact.regency_code = code
            await self._list(turn, code)
            return None
        if choice.startswith("sessions.join."):
            await self._join(turn, choice.removeprefix("sessions.join."))
            return None
        if choice == "sessions.leave":
            await self._leave(turn, None)
            return None
        if choice.startswith("sessions.leave_one."):
            await self._leave(turn, None, code=choice.removeprefix("sessions.leave_one."))
            return None
        if choice == "sessions.subscribe":
            set_announcements(turn, True)
            turn.state.reset()
            turn.say("announcements_started", [turn.option("menu.menu", "menu")])
            return None
        if choice == "sessions.no":
            turn.state.reset()
            turn.say("announcements_declined", [turn.option("menu.menu", "menu")])
            return None
        words = tokens(turn.text)
        if match_intent(turn.text) == "session_cancel":
            await self._leave(turn, _number(turn.text))
            return None
        if words and words[0] == "ikut":
            shown: list[str] = turn.state.data.get(SHOWN, [])
            number = _number(turn.text)
            if number is None and len(shown) == 1:
                number = 1
            if number is not None and 1 <= number <= len(shown):
                await self._join(turn, shown[number - 1])
                return None
            return Unclear.say("session_pick")
        return Unclear.say(
            "pick_option",
            (turn.option("sessions.subscribe", "subscribe"), turn.option("sessions.no", "no_thanks")),
        )

    async def _answer_regency(self, turn: Turn) -> Unclear | None:
        found = search_regencies(turn.text) if turn.text else []
        if not found:
            return Unclear.say("sessions_regency_not_found", text=turn.text)
        exact = [r for r in found if r.label.lower() == turn.text.lower()]
        if len(found) == 1 or len(exact) == 1:
            code = (exact or found)[0].code
            turn.contact.regency_code = code
            await self._list(turn, code)
            return None
        turn.say(
            "sessions_regency_choose", [Option(f"sessions.regency.{r.code}", r.label) for r in found[:10]]
        )
        return None

    async def _join(self, turn: Turn, code: str) -> None:
        assert turn.contact.id is not None
        social = await turn.store.outreach.by_code(code)
        if social is None:
            turn.state.reset()
            say_menu(turn, "not_understood")
            return
        result = await turn.store.outreach.reserve(social, turn.contact.id, turn.now)
        turn.state.reset()
        turn.state.data.pop(ARRIVED, None)
        turn.say(JOIN_TEMPLATES[result], [turn.option("menu.menu", "menu")], s=view(social))

    async def _leave(self, turn: Turn, number: int | None, code: str | None = None) -> None:
        assert turn.contact.id is not None
        mine: Sequence[SocialSession] = await turn.store.outreach.reservations_of(turn.contact.id, turn.now)
        turn.state.reset()
        if code is not None:
            mine = [s for s in mine if s.code == code]
        if not mine:
            say_menu(turn, "session_none_reserved")
            return
        if len(mine) > 1 and (number is None or not 1 <= number <= len(mine)):
            turn.state.flow, turn.state.step = self.name, "list"
            turn.say(
                "session_pick_leave",
                [Option(f"sessions.leave_one.{s.code}", s.title[:24]) for s in mine],
                sessions=[view(s) for s in mine],
            )
            return
        social = mine[(number or 1) - 1]
        await turn.store.outreach.cancel_reservation(social, turn.contact.id, turn.now)
        turn.say("session_cancelled", [turn.option("menu.menu", "menu")], s=view(social))

    async def reprompt(self, turn: Turn) -> None:
        await self.start(turn)
