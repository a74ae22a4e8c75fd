"""Assembles the flows into the router the engine runs."""

from __future__ import annotations

from handlers.enrol.fields import FORM
from handlers.enrol.flow import EnrolFlow
from handlers.enrol.form import Form
from handlers.flow import Flow
from handlers.flows.benefits import BenefitsFlow
from handlers.flows.calculator import CalculatorFlow
from handlers.flows.callback import CallbackFlow
from handlers.flows.dues import DuesFlow
from handlers.flows.faq import FaqFlow
from handlers.flows.followup import FollowupFlow
from handlers.flows.later import LaterFlow
from handlers.flows.pemda import PemdaFlow
from handlers.flows.privacy import PrivacyFlow
from handlers.flows.sessions import SessionsFlow
from handlers.flows.status import StatusFlow
from handlers.router import Router


def build_router(form: Form = FORM) -> Router:
    """The conversation, with `form` as the enrolment form."""
    flows: list[Flow] = [
        BenefitsFlow(),
        CalculatorFlow(),
        SessionsFlow(),
        EnrolFlow(form),
        StatusFlow(),
        PrivacyFlow(form),
        CallbackFlow(),
        FaqFlow(),
        FollowupFlow(),
        LaterFlow(),
        PemdaFlow(),
        DuesFlow(),
    ]
    return Router({flow.name: flow for flow in flows})
