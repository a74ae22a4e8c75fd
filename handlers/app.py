"""Assembles the flows into the router the engine runs."""

from __future__ import annotations

from handlers.flow import Flow
from handlers.flows.benefits import BenefitsFlow
from handlers.flows.calculator import CalculatorFlow
from handlers.flows.sessions import SessionsFlow
from handlers.router import Router


def build_router() -> Router:
    flows: list[Flow] = [BenefitsFlow(), CalculatorFlow(), SessionsFlow()]
    return Router({flow.name: flow for flow in flows})
