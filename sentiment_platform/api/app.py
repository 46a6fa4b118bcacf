"""FastAPI application: sentiment trends, hashtags, alerts, posts and users, read-only over the
warehouse, with its docs and the live dashboard served from the package (no CDN)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

import duckdb
import orjson
import polars as pl
from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import AfterValidator

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import (
    EARLIEST,
    LATEST,
    Utf8Query,
    error_response,
    install_error_handlers,
    responses,
    utc_in_range,
)
from sentiment_platform.api.snapshot_cache import CachedAnswers, SnapshotCache, request_key
from sentiment_platform.api.trend_series import EMPTY, TrendSeries, on_boundary, series_by_topic
from sentiment_platform.lib.cleansing.image_validation import ImageRules
from sentiment_platform.lib.cleansing.text_features import LANGUAGE_TAG, MAX_TERM_CHARS
from sentiment_platform.lib.lake_layout import InvalidLakeKey, landing_image_key
from sentiment_platform.resources.lake_storage import LakeStorage
from sentiment_platform.resources.warehouse import SharedReader, Warehouse

WINDOWS = {"15m": "15 minutes", "1h": "1 hour", "1d": "1 day"}
MAX_RANGE = timedelta(days=92)
#: The range `/trends` covers when the request gives no `start` or `end`.
DEFAULT_RANGE = timedelta(hours=24)
IDENTIFIER = r"^[A-Za-z0-9_\-:.]{1,64}$"
#: A landed image's file name: its SHA-256 and extension (see ``landing_image_key``).
IMAGE_NAME = r"^[0-9a-f]{64}\.(jpg|jpeg|png|gif|webp)$"
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
STATIC = FilePath(__file__).parent / "static"
#: Whole trend series kept per snapshot (one per table, language and window size asked for).
SERIES_ENTRIES = 256
Start = Annotated[datetime, Query(description="Window start, ISO 8601 (UTC if no offset).")]
End = Annotated[datetime, Query(description="Window end (exclusive), ISO 8601.")]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _lowered(value: str | None) -> str | None:
    """A topic as the pipeline keeps it: in lower case."""
    return value.lower() if value is not None else None


def _hashtag(value: str | None) -> str | None:
    """A hashtag as the pipeline keeps it: in lower case, without its ``#``."""
    if value is None:
        return None
    tag = value.removeprefix("#").lower()
    if not 1 <= len(tag) <= MAX_TERM_CHARS:
        raise ValueError(f"a hashtag has 1 to {MAX_TERM_CHARS} characters after its #")
    return tag


Topic = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TERM_CHARS,
        description=f"One topic, as `/topics` lists it (any Unicode text up to {MAX_TERM_CHARS} characters, "
        "compared in lower case); all topics if absent.",
    ),
    AfterValidator(_lowered),
]
Hashtag = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TERM_CHARS + 1,
        description=f"Only posts with this hashtag (with or without `#`, up to {MAX_TERM_CHARS} characters).",
    ),
    AfterValidator(_hashtag),
]
Clock = Callable[[], datetime]
_JSON = "application/json"


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # DuckDB's DECIMAL columns and HUGEINT sums
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _encode(body: Any) -> bytes:
    # Naive timestamps in the warehouse are UTC; NaN and infinities become null.
    return orjson.dumps(body, default=_number, option=orjson.OPT_NAIVE_UTC | orjson.OPT_SERIALIZE_NUMPY)


def checked_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start`` and ``end`` in UTC, or a 422 when the range is empty or longer than ``MAX_RANGE``."""
    start, end = utc_in_range(start, "start"), utc_in_range(end, "end")
    if end <= start:
        raise HTTPException(422, "end must be after start")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"the range may span at most {MAX_RANGE.days} days")
    return start, end


def _paging(limit: int, offset: int, count: int, total: int) -> dict[str, Any]:
    following = offset + count
    return {
        "limit": limit,
        "offset": offset,
        "count": count,
        "total": total,
        "next_offset": following if following < total else None,
    }


def _page(
    rows: list[dict[str, Any]], limit: int, offset: int, first: Callable[[], list[dict[str, Any]]]
) -> dict[str, Any]:
    """Paging fields from rows that carry the match count in ``total_rows`` (dropped from each);
    ``first`` fetches the first row when this page is past the end (to count the matches)."""
    if not rows and offset:
        found = first()
        total = found[0]["total_rows"] if found else 0
    else:
        total = rows[0]["total_rows"] if rows else 0
    for row in rows:
        del row["total_rows"]
    return _paging(limit, offset, len(rows), total)


def create_app(
    warehouse: Warehouse,
    storage: LakeStorage | None = None,
    clock: Clock = lambda: datetime.now(UTC),
    cache_entries: int | None = None,
    cache_bytes: int | None = None,
) -> FastAPI:
    """The API over ``warehouse``, through one shared read-only connection (see ``SharedReader``);
    encoded answers and whole trend series are kept per warehouse snapshot (see ``SnapshotCache``
    and ``TrendSeries``); the posts' images come from ``storage`` (none served without it);
    ``clock`` is what "the last 24 hours" is counted from; the answer cache keeps at most
    ``cache_entries`` answers and ``cache_bytes`` bytes (``SnapshotCache``'s defaults if None)."""
    reader = SharedReader(warehouse)
    limits = {"max_entries": cache_entries, "max_bytes": cache_bytes}
    cache = SnapshotCache(**{name: value for name, value in limits.items() if value is not None})
    series_cache = SnapshotCache(SERIES_ENTRIES)
    series_locks: dict[tuple, threading.Lock] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        reader.close()

    app = FastAPI(
        title="sentiment_platform API",
        version="1.1",
        description="Read-only access to the sentiment trend tables, alerts, posts and user profiles. "
        "Every error has the `ErrorBody` shape. The live dashboard is at `/dashboard`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.state.answer_cache = cache
    app.add_middleware(CachedAnswers, cache=cache, version=warehouse.snapshot_version)
    app.add_middleware(Utf8Query)  # added last, so it runs first: before the cache is looked at
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @contextmanager
    def reading(missing_table_is_empty: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the latest snapshot, with the warehouse's failures as the API's errors (a
        missing table, where that means "nothing yet", ends the block quietly instead)."""
        try:
            with reader.cursor() as connection:
                yield connection
        except FileNotFoundError as error:
            raise HTTPException(503, "the warehouse has not been built yet") from error
        except duckdb.CatalogException as error:
            if not missing_table_is_empty:
                raise HTTPException(
                    503, "the warehouse table is not built yet; materialize the trend assets"
                ) from error
        except (duckdb.IOException, TimeoutError) as error:
            raise HTTPException(503, "the warehouse is busy; retry shortly") from error

    def fetch(sql: str, parameters: dict[str, Any], missing_table_is_empty: bool = False) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        with reading(missing_table_is_empty) as connection:
            cursor = connection.execute(sql, parameters)
            columns = [column[0] for column in cursor.description]
            rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
        return rows

    def cached(request: Request, build: Callable[[], Any], resolved: str = "") -> Response:
        """The answer to ``request`` on the latest snapshot: from the cache, or built and kept.
        ``resolved`` names what the answer depends on beyond the request (defaults taken from the
        clock): such an answer is kept under a key the request alone never matches, so it is
        reused only while those values stay the same."""
        version = warehouse.snapshot_version()
        key = request_key(request.scope) + (f"#{resolved}" if resolved else "")
        body = cache.get(version, key)
        if body is None:
            body = _encode(build())
            cache.put(version, key, body)
        return Response(body, media_type=_JSON)

    def trend_series(sql: str, parameters: dict[str, Any]) -> TrendSeries:
        """The whole series the trend statement gives for this topic, language and window,
        computed by one request at a time (the others wait for it rather than repeat it)."""
        version = warehouse.snapshot_version()
        key = (sql, parameters["window"], parameters.get("lang"))
        with series_locks.setdefault(key, threading.Lock()):
            by_topic = series_cache.get(version, key)
            if by_topic is None:
                everything = parameters | {
                    "start": EARLIEST,
                    "end": LATEST,
                    "topic": None,
                    "limit": 1 << 62,
                    "offset": 0,
                }
                with reading() as connection:
                    by_topic = series_by_topic(pl.from_arrow(connection.sql(sql, params=everything).to_arrow_table()))
                series_cache.put(version, key, by_topic)
        return by_topic.get(parameters["topic"], EMPTY)

    def fetch_one(sql: str, parameters: dict[str, Any], missing: str) -> dict[str, Any]:
        rows = fetch(sql, parameters)
        if not rows:
            raise HTTPException(404, missing)
        return rows[0]

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - docs",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url="/static/vendor/redoc.standalone.js",
            redoc_favicon_url="/static/favicon.svg",
            with_google_fonts=False,
        )
        # Offline: ReDoc's badge would load its logo from ReDoc's CDN; images come from here only.
        page.headers["Content-Security-Policy"] = "img-src 'self' data:"
        return page

    @app.get("/dashboard", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", media_type="text/html")

    @app.get("/health", summary="Service and warehouse status", response_model=models.Health, responses=responses(503))
    def health() -> Response:
        try:
            tables = {row["table_name"]: row["estimated_size"] for row in fetch(queries.TABLE_COUNTS, {})}
        except HTTPException as error:
            return error_response(503, str(error.detail))
        return Response(_encode({"status": "ok", "tables": tables}), media_type=_JSON)

    @app.get(
        "/topics",
        summary="Topics with their post counts and time span",
        response_model=list[models.TopicRow],
        responses=responses(503),
    )
    def topics(request: Request) -> Response:
        return cached(request, lambda: fetch(queries.TOPICS, {}))

    @app.get(
        "/trends",
        summary="Sentiment per time window (15m, 1h or 1d), optionally for one topic or language",
        description="Without `start` and `end`, the 24 hours up to now; with only one of them, the 24 hours "
        "from `start` or up to `end`.",
        response_model=models.TrendsPage,
        responses=responses(422, 503),
    )
    def trends(
        request: Request,
        start: Start | None = None,
        end: End | None = None,
        topic: Topic = None,
        lang: Annotated[
            str | None,
            Query(
                pattern=LANGUAGE_TAG,
                max_length=35,
                description="One language (a BCP 47 tag in lower case, `und` if unknown); all if absent.",
            ),
        ] = None,
        window: Annotated[Literal["15m", "1h", "1d"], Query()] = "15m",
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        from_clock = start is None and end is None
        if start is None or end is None:
            end = end or (start + DEFAULT_RANGE if start is not None else clock())
            start = start or end - DEFAULT_RANGE
        start, end = checked_range(start, end)

        def build() -> dict[str, Any]:
            parameters = {"window": WINDOWS[window], "start": start, "end": end, "topic": topic}
            parameters |= {"limit": limit, "offset": offset}
            sql = queries.TRENDS if lang is None else queries.LANGUAGE_TRENDS
            if lang is not None:
                parameters["lang"] = lang
            if on_boundary(start, window) and on_boundary(end, window):
                rows, count, total = trend_series(sql, parameters).page(start, end, limit, offset)
                page = _paging(limit, offset, count, total)
            else:
                rows = fetch(sql, parameters)
                page = _page(rows, limit, offset, lambda: fetch(sql, parameters | {"limit": 1, "offset": 0}))
            return {"window": window, "topic": topic, "lang": lang, "start": start, "end": end, **page, "rows": rows}

        return cached(request, build, f"{start.isoformat()}/{end.isoformat()}" if from_clock else "")

    @app.get(
        "/languages",
        summary="Languages of the posts in a time range, with their volume and sentiment shares",
        response_model=models.LanguagesPage,
        responses=responses(422, 503),
    )
    def languages(request: Request, start: Start, end: End) -> Response:
        start, end = checked_range(start, end)

        def build() -> dict[str, Any]:
            rows = fetch(queries.LANGUAGES, {"start": start, "end": end})
            return {"start": start, "end": end, "count": len(rows), "rows": rows}

        return cached(request, build)

    @app.get(
        "/hashtags/trending",
        summary="Hashtags rising (or falling) most against their trailing 24 hours",
        response_model=models.HashtagsPage,
        responses=responses(422, 503),
    )
    def trending_hashtags(
        request: Request,
        hours: Annotated[int, Query(ge=1, le=168, description="Hours up to the latest one.")] = 24,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        falling: Annotated[bool, Query(description="The hashtags falling most instead.")] = False,
    ) -> Response:
        sql = queries.FALLING_HASHTAGS if falling else queries.TRENDING_HASHTAGS

        def build() -> dict[str, Any]:
            rows = fetch(sql, {"hours": hours, "limit": limit})
            return {"hours": hours, "count": len(rows), "rows": rows}

        return cached(request, build)

    @app.get(
        "/alerts",
        summary="The latest alerts sent, newest first",
        response_model=models.AlertsPage,
        responses=responses(422, 503),
    )
    def alerts(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 20, topic: Topic = None) -> Response:
        def build() -> dict[str, Any]:
            rows = fetch(queries.ALERTS, {"limit": limit, "topic": topic}, missing_table_is_empty=True)
            return {"count": len(rows), "rows": rows}

        return cached(request, build)

    @app.get(
        "/posts",
        summary="The latest posts, optionally of one topic, one hashtag and one post-level sentiment",
        response_model=models.PostsPage,
        responses=responses(422, 503),
    )
    def posts(
        request: Request,
        topic: Topic = None,
        label: Annotated[models.Label | None, Query(description="The post's sentiment as a whole.")] = None,
        hashtag: Hashtag = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Offset = 0,
    ) -> Response:
        def build() -> dict[str, Any]:
            parameters = {"topic": topic, "label": label, "hashtag": hashtag, "limit": limit, "offset": offset}
            rows = fetch(queries.POSTS, parameters)
            page = _page(rows, limit, offset, lambda: fetch(queries.POSTS, parameters | {"limit": 1, "offset": 0}))
            return {"topic": topic, "label": label, "hashtag": hashtag, **page, "rows": rows}

        return cached(request, build)

    @app.get(
        "/posts/{post_id}",
        summary="One post with its sentiment",
        response_model=models.Post,
        responses=responses(404, 422, 503),
    )
    def post(request: Request, post_id: Annotated[str, Path(pattern=IDENTIFIER)]) -> Response:
        return cached(request, lambda: fetch_one(queries.POST, {"post_id": post_id}, f"post {post_id} not found"))

    @app.get(
        "/images/{name}",
        summary="A landed image, by the name a post's `image_keys` gives",
        response_class=Response,
        responses={200: {"content": {mime: {} for mime in sorted(set(IMAGE_TYPES.values()))}}, **responses(404, 422)},
    )
    def image(name: Annotated[str, Path(pattern=IMAGE_NAME)]) -> Response:
        sha256, extension = name.split(".")
        if storage is None:
            raise HTTPException(404, "this API serves no images (it was started without the lake)")
        key = landing_image_key(sha256, extension)
        try:
            # Only a file of the lake, no larger than an image may be: never a folder, a symlink
            # out of the lake, or a file too large to be one of the posts' images.
            if storage.object_size(key) > ImageRules().max_bytes:
                raise FileNotFoundError(key)
            data = storage.read_bytes(key)
        except (FileNotFoundError, InvalidLakeKey, PermissionError) as error:
            raise HTTPException(404, f"image {name} not found") from error
        # Content-addressed: the bytes behind a name never change.
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        return Response(data, media_type=IMAGE_TYPES[extension], headers=headers)

    @app.get(
        "/users/{user_id}/sentiment",
        summary="A user's sentiment profile",
        response_model=models.UserProfile,
        responses=responses(404, 422, 503),
    )
    def user_sentiment(request: Request, user_id: Annotated[str, Path(pattern=IDENTIFIER)]) -> Response:
        return cached(
            request, lambda: fetch_one(queries.USER_SENTIMENT, {"user_id": user_id}, f"user {user_id} not found")
        )

    @app.get(
        "/users/{user_id}/recommendations",
        summary="Posts recommended to a user; the most popular posts when the user has no history",
        response_model=models.Recommendations,
        responses=responses(404, 422, 503),
    )
    def user_recommendations(
        request: Request,
        user_id: Annotated[str, Path(pattern=IDENTIFIER)],
        limit: Annotated[int, Query(ge=1, le=10)] = 10,
    ) -> Response:
        def build() -> dict[str, Any]:
            # Before the first daily run there is nothing to recommend yet: an empty answer, not an error.
            rows = fetch(queries.RECOMMENDATIONS, {"user_id": user_id, "limit": limit}, missing_table_is_empty=True)
            if rows:
                return {
                    "user_id": user_id,
                    "source": "personalized",
                    "personalized": True,
                    "day": rows[0]["day"],
                    "count": len(rows),
                    "rows": rows,
                }
            popular = fetch(queries.POPULAR_POSTS, {"limit": limit}, missing_table_is_empty=True)
            return {
                "user_id": user_id,
                "source": "popular_fallback",
                "personalized": False,
                "reason": "no interaction history for this user: the most popular posts instead",
                "day": popular[0]["day"] if popular else None,
                "count": len(popular),
                "rows": popular,
            }

        return cached(request, build)

    return app
