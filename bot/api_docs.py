"""`/api/docs`: the API's OpenAPI document in Swagger UI, served from this service.

Swagger UI comes from the npm package `swagger-ui-dist`, vendored at a pinned version in
`bot/static/swagger-ui/` (with its Apache-2.0 licence), not from a public CDN: a script loaded
from elsewhere would run with this site's origin, where the staff cookie lives. The page runs
only those files (its start-up script included: no inline script), and its content security
policy lets it talk to this site alone. The document describes the calls, never data, so it
stays open like the OpenAPI JSON it reads.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
"""The vendored `swagger-ui-dist` (npm): to update, `npm pack swagger-ui-dist@<version>` and copy
swagger-ui-bundle.js, swagger-ui.css, LICENSE and NOTICE into bot/static/swagger-ui/."""
ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css?v={version}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js?v={version}"></script>
<script src="/api/docs/start.js?v={version}"></script>
</body>
</html>
"""
_START = """SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""
_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


def add_api_docs(app: FastAPI) -> None:
    """Adds `/api/docs` and its assets to the app (create it with `docs_url=None`)."""
    headers = {"content-security-policy": DOCS_POLICY, "cache-control": "no-cache"}
    page = _PAGE.format(title=app.title, version=SWAGGER_UI_VERSION)

    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    async def start() -> Response:
        return Response(_START, media_type="text/javascript", headers={"cache-control": "no-cache"})

    def asset(name: str, media_type: str) -> None:
        async def serve() -> Response:
            body = (ASSETS / name).read_bytes()
            return Response(body, media_type=media_type, headers={"cache-control": "public, max-age=86400"})

        app.add_api_route(f"/api/docs/{name}", serve, methods=["GET"], include_in_schema=False)

    app.add_api_route("/api/docs", docs, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api/docs/start.js", start, methods=["GET"], include_in_schema=False)
    for name, media_type in _FILES.items():
        asset(name, media_type)
