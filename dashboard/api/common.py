"""What every route module of the API shares: the prefix, the caller behind the bearer token,
and the mapping of the service's typed errors to HTTP answers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from dashboard.service import (
    Access,
    Backoffice,
    Forbidden,
    InvalidInput,
    NotFound,
    Refused,
    ServiceError,
    Stale,
)

PREFIX = "/api/v1"
_bearer = HTTPBearer(auto_error=False, description="An API token from `bpu-bot staff token USERNAME`.")


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers


def api_error(exc: ServiceError) -> ApiError:
    """The answer to a service refusal: 404, 403, 409 (with the current state when stale), 422."""
    if isinstance(exc, NotFound):
        return ApiError(404, {"detail": exc.message, "code": exc.code})
    if isinstance(exc, Forbidden):
        return ApiError(403, {"detail": exc.message, "code": exc.code})
    if isinstance(exc, Stale):
        current = jsonable_encoder(asdict(exc.current)) if exc.current is not None else None
        return ApiError(409, {"detail": exc.message, "code": exc.code, "current": current})
    if isinstance(exc, Refused):
        return ApiError(409, {"detail": exc.message, "code": exc.code})
    if isinstance(exc, InvalidInput):
        return ApiError(
            422, {"detail": [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}]}
        )
    return ApiError(400, {"detail": exc.message, "code": exc.code})


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Access:
    """The account behind the bearer token, or 401."""
    backoffice: Backoffice = request.app.state.backoffice
    access = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        access = await backoffice.access_for_token(credentials.credentials)
    if access is None:
        raise ApiError(
            401,
            {"detail": "Token API tidak ada atau tidak berlaku.", "code": "unauthorized"},
            {"WWW-Authenticate": "Bearer"},
        )
    return access


Caller = Annotated[Access, Depends(caller)]


async def service_call(call: Any) -> Any:
    """Awaits a service call; its typed refusal becomes the API's answer."""
    try:
        return await call
    except ServiceError as exc:
        raise api_error(exc) from None


def install_error_handler(app: FastAPI) -> None:
    """Answers an ApiError with its status and JSON body."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    app.add_exception_handler(ApiError, handle)
