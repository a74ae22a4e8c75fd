"""The staff pages under `/staff`: server-rendered Jinja2 over the `Backoffice` service layer."""

from dashboard.web.pages import pages_router

__all__ = ["pages_router"]
