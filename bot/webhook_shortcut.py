"""Webhook calls straight to their endpoint, past the routing of the rest of the app.

A platform's webhook is the one route under load: every message a person sends is one call.
Its endpoint is a plain Starlette one (`starlette.routing.Route`: a request in, a response out;
no dependency injection, no validation layer, no response model), and this middleware, placed
inside `bot.http_guard.Guard` (body limits and security headers still apply), hands a POST to
its exact path to the endpoint without matching it against the staff pages and API routes.
The routes stay declared in the app as well (listed in `app.routes`, reachable the usual way).
FastAPI's machinery serves the JSON API, where its schema and dependencies are worth it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


def bare_post_routes(routes: Iterable[BaseRoute]) -> dict[str, Endpoint]:
    """The POST routes declared as plain Starlette routes (not FastAPI's), by their full path
    (routers included in routers are looked into)."""
    found: dict[str, Endpoint] = {}
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        if type(route) is Route and route.methods is not None and "POST" in route.methods and context.path:
            found[context.path] = route.endpoint
    return found


class WebhookShortcut:
    """Sends a POST to one of `endpoints`' paths straight to its endpoint (see the module)."""

    def __init__(self, app: ASGIApp, *, endpoints: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.endpoints.get(scope["path"])
            if endpoint is not None:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
