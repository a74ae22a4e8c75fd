"""The enrolment's native form, as the channels that show one (a WhatsApp Flow, the Telegram Mini
App) reach it: through the engine they were built with."""

from __future__ import annotations

from handlers.engine import Engine
from handlers.enrol.flow import EnrolFlow
from handlers.enrol.native import NativeForm


def native_form(engine: Engine) -> NativeForm:
    """The form path of the engine's enrolment."""
    enrol = engine.router.flows["enrol"]
    assert isinstance(enrol, EnrolFlow), "the engine's router has no enrolment"
    return enrol.native
