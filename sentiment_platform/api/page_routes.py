"""The pages the API serves beside its data: the docs (Swagger UI and ReDoc, from the package, no
CDN), the live dashboard, and the service's health."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import error_response, responses
from sentiment_platform.api.warehouse_reads import JSON, Reads, encode

STATIC = Path(__file__).parent / "static"
router = APIRouter()


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - docs",
        swagger_js_url="/static/vendor/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url="/static/vendor/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    )
    # Offline: ReDoc's badge would load its logo from ReDoc's CDN; images come from here only.
    page.headers["Content-Security-Policy"] = "img-src 'self' data:"
    return page


@router.get("/dashboard", include_in_schema=False)
def dashboard() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html")


@router.get("/health", summary="Service and warehouse status", response_model=models.Health, responses=responses(503))
def health(reads: Reads) -> Response:
    try:
        tables = {row["table_name"]: row["estimated_size"] for row in reads.fetch(queries.TABLE_COUNTS, {})}
    except HTTPException as error:
        return error_response(503, str(error.detail))
    return Response(encode({"status": "ok", "tables": tables}), media_type=JSON)
