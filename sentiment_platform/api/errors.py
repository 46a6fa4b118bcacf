"""The one shape of every error the API returns, and the handlers that give it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

#: Times the API accepts: the range the lake's timestamps are bounded to.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 422: "invalid_parameter", 503: "unavailable"}


class FieldError(BaseModel):
    """One parameter that was refused."""

    location: str = Field(description="Where the parameter is, e.g. `query.start` or `path.post_id`.")
    message: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx response body."""

    status: int = Field(description="The HTTP status, repeated.")
    error: str = Field(description="A stable code: " + ", ".join(f"`{code}`" for code in _CODES.values()) + ".")
    detail: str = Field(description="What went wrong, for a person.")
    fields: list[FieldError] = Field(default_factory=list, description="The refused parameters, if any.")


def error_response(status: int, detail: str, fields: list[FieldError] | None = None) -> JSONResponse:
    body = ErrorBody(status=status, error=_CODES.get(status, "error"), detail=detail, fields=fields or [])
    return JSONResponse(body.model_dump(), status_code=status)


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses a route can return."""
    return {status: {"model": ErrorBody, "description": _CODES[status].replace("_", " ")} for status in statuses}


def utc_in_range(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC (naive is UTC), or a 422 if it lies outside the times the API serves."""
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise HTTPException(422, f"{name} must lie in [{EARLIEST:%Y-%m-%d}, {LATEST:%Y-%m-%d}) UTC")
    return moment


def install_error_handlers(app: FastAPI) -> None:
    """Give validation errors and HTTP errors the :class:`ErrorBody` shape."""

    async def validation(_: Request, error: RequestValidationError) -> JSONResponse:
        fields = [
            FieldError(location=".".join(str(part) for part in item.get("loc", ())), message=str(item.get("msg", "")))
            for item in error.errors()
        ]
        return error_response(422, "invalid request parameters", fields)

    async def http(_: Request, error: HTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail))

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)


def query_is_utf8(query_string: bytes) -> bool:
    """Whether every percent-decoded part of a query string is UTF-8 (``%FF`` or a lone surrogate's
    bytes are not: such a parameter would otherwise be dropped or mangled, silently widening a filter)."""
    try:
        for part in query_string.replace(b"+", b" ").split(b"&"):
            unquote_to_bytes(part).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Utf8Query:
    """ASGI middleware: a request whose query string is not UTF-8 is a 422 in the error shape."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not query_is_utf8(scope.get("query_string", b"")):
            response = error_response(422, "the query string is not valid UTF-8 once percent-decoded")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def json_route(router: APIRouter, path: str, summary: str, model: type, errors: tuple[int, ...] = (422, 503)):
    """``router.get`` for a JSON answer of ``model``, documenting the error statuses it may return."""
    return router.get(path, summary=summary, response_model=model, responses=responses(*errors))
