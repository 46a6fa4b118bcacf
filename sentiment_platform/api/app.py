"""FastAPI application: sentiment trends, hashtags, posts and users, read-only over the warehouse."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import duckdb
from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from sentiment_platform.api import queries
from sentiment_platform.api.errors import (
    error_response,
    install_error_handlers,
    responses,
    utc_in_range,
)
from sentiment_platform.resources.warehouse import SharedReader, Warehouse

WINDOWS = {"15m": "15 minutes", "1h": "1 hour", "1d": "1 day"}
MAX_RANGE = timedelta(days=92)
IDENTIFIER = r"^[A-Za-z0-9_\-:.]{1,64}$"
LANGUAGE = r"^[a-z]{2,3}$"
Start = Annotated[datetime, Query(description="Window start, ISO 8601 (UTC if no offset).")]
End = Annotated[datetime, Query(description="Window end (exclusive), ISO 8601.")]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def checked_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start`` and ``end`` in UTC, or a 422 when the range is empty or longer than ``MAX_RANGE``."""
    start, end = utc_in_range(start, "start"), utc_in_range(end, "end")
    if end <= start:
        raise HTTPException(422, "end must be after start")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"the range may span at most {MAX_RANGE.days} days")
    return start, end


def create_app(warehouse: Warehouse) -> FastAPI:
    """The API over ``warehouse``, through one shared read-only connection (see ``SharedReader``)."""
    reader = SharedReader(warehouse)
    app = FastAPI(
        title="sentiment_platform API",
        version="1.0",
        description="Read-only access to the sentiment trend tables, posts and user profiles. "
        "Every error has the `ErrorBody` shape.",
    )
    install_error_handlers(app)

    def fetch(sql: str, parameters: dict[str, Any], missing_table_is_empty: bool = False) -> list[dict[str, Any]]:
        try:
            with reader.cursor() as connection:
                cursor = connection.execute(sql, parameters)
                columns = [column[0] for column in cursor.description]
                return [{c: _json_value(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]
        except FileNotFoundError as error:
            raise HTTPException(503, "the warehouse has not been built yet") from error
        except duckdb.CatalogException as error:
            if missing_table_is_empty:
                return []
            raise HTTPException(503, "the warehouse table is not built yet; materialize the trend assets") from error
        except (duckdb.IOException, TimeoutError) as error:
            raise HTTPException(503, "the warehouse is busy; retry shortly") from error

    def fetch_one(sql: str, parameters: dict[str, Any], missing: str) -> dict[str, Any]:
        rows = fetch(sql, parameters)
        if not rows:
            raise HTTPException(404, missing)
        return rows[0]

    app.router.on_shutdown.append(reader.close)

    @app.get("/health", summary="Service and warehouse status", responses=responses(503))
    def health() -> JSONResponse:
        try:
            tables = {row["table_name"]: row["estimated_size"] for row in fetch(queries.TABLE_COUNTS, {})}
        except HTTPException as error:
            return error_response(503, str(error.detail))
        return JSONResponse({"status": "ok", "tables": tables})

    @app.get("/topics", summary="Topics with their post counts and time span", responses=responses(503))
    def topics() -> list[dict[str, Any]]:
        return fetch(queries.TOPICS, {})

    @app.get(
        "/trends",
        summary="Sentiment per time window (15m, 1h or 1d), optionally for one topic",
        responses=responses(422, 503),
    )
    def trends(
        start: Start,
        end: End,
        topic: Annotated[str | None, Query(pattern=IDENTIFIER, description="One topic; all topics if absent.")] = None,
        lang: Annotated[
            str | None,
            Query(pattern=LANGUAGE, description="One language (ISO 639-1, `und` if unknown); all if absent."),
        ] = None,
        window: Annotated[Literal["15m", "1h", "1d"], Query()] = "15m",
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        start, end = checked_range(start, end)
        parameters = {"window": WINDOWS[window], "start": start, "end": end, "topic": topic}
        parameters |= {"limit": limit, "offset": offset}
        if lang is None:
            rows = fetch(queries.TRENDS, parameters)
        else:
            rows = fetch(queries.LANGUAGE_TRENDS, parameters | {"lang": lang})
        return {
            "window": window,
            "topic": topic,
            "lang": lang,
            "limit": limit,
            "offset": offset,
            "count": len(rows),
            "rows": rows,
        }

    @app.get(
        "/languages",
        summary="Languages of the posts in a time range, with their volume and sentiment shares",
        responses=responses(422, 503),
    )
    def languages(
        start: Start,
        end: End,
    ) -> dict[str, Any]:
        start, end = checked_range(start, end)
        rows = fetch(queries.LANGUAGES, {"start": start, "end": end})
        return {"count": len(rows), "rows": rows}

    @app.get(
        "/hashtags/trending",
        summary="Hashtags rising most against their trailing 24 hours",
        responses=responses(422, 503),
    )
    def trending_hashtags(
        hours: Annotated[int, Query(ge=1, le=168, description="Hours up to the latest one.")] = 24,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> dict[str, Any]:
        rows = fetch(queries.TRENDING_HASHTAGS, {"hours": hours, "limit": limit})
        return {"hours": hours, "count": len(rows), "rows": rows}

    @app.get("/posts/{post_id}", summary="One post with its sentiment", responses=responses(404, 422, 503))
    def post(post_id: Annotated[str, Path(pattern=IDENTIFIER)]) -> dict[str, Any]:
        return fetch_one(queries.POST, {"post_id": post_id}, f"post {post_id} not found")

    @app.get("/users/{user_id}/sentiment", summary="A user's sentiment profile", responses=responses(404, 422, 503))
    def user_sentiment(user_id: Annotated[str, Path(pattern=IDENTIFIER)]) -> dict[str, Any]:
        return fetch_one(queries.USER_SENTIMENT, {"user_id": user_id}, f"user {user_id} not found")

    @app.get(
        "/users/{user_id}/recommendations",
        summary="Posts recommended to a user; the most popular posts when the user has no history",
        responses=responses(404, 422, 503),
    )
    def user_recommendations(
        user_id: Annotated[str, Path(pattern=IDENTIFIER)],
        limit: Annotated[int, Query(ge=1, le=10)] = 10,
    ) -> dict[str, Any]:
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

    return app
