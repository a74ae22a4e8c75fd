"""A question asked in the middle of a form gets its short answer, then the form's question again.

"iurane piro?" at the income question, "bisa bayar di Indomaret?" at the period, "isih kudu
mbayar ta?" at the consent: the answer is said and the pending question is asked again; the draft
does not change. A question the bot cannot answer is said so, kindly, and never read as an
answer to the form's question.
"""

from __future__ import annotations

from handlers.flows.benefits import price_context
from handlers.flows.faq import answer_question
from handlers.intents import is_question, match_intent
from handlers.turn import Turn
from messages.program_data import program_data
from messages.render import has_template

ASIDES: dict[str, str] = {
    "calculator": "aside_calculator",
    "benefits": "benefits_overview",
    "jkk": "benefit_jkk",
    "jkm": "benefit_jkm",
    "jht": "benefit_jht",
    "sources": "faq_sumber",
    "faq_kesehatan": "faq_kesehatan",
    "faq_klaim": "faq_klaim",
    "faq_meninggal": "faq_meninggal",
    "faq_kantor": "faq_kantor",
    "faq_keluarga": "faq_keluarga",
    "enrol_other": "faq_keluarga",
}
"""Each question that has a short answer inside a form, and the template that answers it."""


async def answer_aside(turn: Turn) -> bool:
    """Answers a question typed where the form expected an answer; False when the message is
    not one (the form reads it). The caller asks the form's question again."""
    if not turn.text or not is_question(turn.text):
        return False
    if await answer_question(turn):  # paying (where, by when, late) and whether a government pays
        return True
    intent = match_intent(turn.text)
    template = ASIDES.get(intent or "")
    if template is not None and has_template(template):
        turn.say(template, floor=program_data().income_floor, **price_context(turn))
    else:  # a question all the same: never taken for an answer
        turn.say("aside_unknown")
    return True
