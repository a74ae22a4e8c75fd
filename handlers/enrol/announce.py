"""The question after an enrolment is sent: may the bot announce socialization sessions?

Anything else than a yes or a no is not trapped by it: a thank-you gets "sama-sama", another
topic opens what it asks.
"""

from __future__ import annotations

from handlers.flow import Unclear, menu_options, say_menu
from handlers.intents import answers, match_intent
from handlers.turn import Turn

STEP = "announce"


def ask_announcements(turn: Turn) -> None:
    turn.state.step = STEP
    turn.say(
        "enrol_ask_announce",
        [turn.option("enrol.announce.yes", "announce_yes"), turn.option("enrol.announce.no", "announce_no")],
    )


def answer_announcements(turn: Turn) -> Unclear | None:
    said = answers(turn.text)
    if turn.choice == "enrol.announce.yes" or (said & {"yes"} and "no" not in said):
        turn.contact.announcements = True
        turn.contact.announcements_changed_at = turn.now
        turn.state.reset()
        say_menu(turn, "announcements_started")
    elif turn.choice == "enrol.announce.no" or "no" in said:
        turn.state.reset()
        say_menu(turn, "announcements_declined")
    elif match_intent(turn.text) == "thanks":
        turn.state.reset()
        say_menu(turn, "thanks")
    else:
        # The question is dropped (nothing is assumed); another topic opens what it asks.
        turn.state.reset()
        return Unclear.say("not_understood", tuple(menu_options(turn.lang)))
    return None
