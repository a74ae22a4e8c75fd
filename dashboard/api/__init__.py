"""The JSON API under /api/v1: the back office for a branch's own systems.

`Authorization: Bearer <token>` (from `bpu-bot staff token USERNAME`) carries the account's
role and branch. A thin face over `dashboard.service.Backoffice`: every handler parses the
request, calls one service method and maps its typed errors: NotFound → 404 (another
branch's submission too), Forbidden → 403, Refused / Stale → 409, InvalidInput → 422.
The OpenAPI document is at /api/docs. `router.api_router` assembles the route modules.
"""
