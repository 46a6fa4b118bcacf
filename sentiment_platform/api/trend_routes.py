"""The trend tables: sentiment per window, languages, trending hashtags, and the alerts sent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import json_route, responses
from sentiment_platform.api.parameters import (
    DEFAULT_RANGE,
    WINDOWS,
    End,
    Language,
    Limit,
    Offset,
    Start,
    Topic,
    checked_range,
    page,
    paging,
)
from sentiment_platform.api.trend_series import on_boundary
from sentiment_platform.api.warehouse_reads import Reads

router = APIRouter()


@router.get(
    "/trends",
    summary="Sentiment per time window (15m, 1h or 1d), optionally for one topic or language",
    description="Without `start` and `end`, the 24 hours up to now; with only one of them, the 24 hours "
    "from `start` or up to `end`.",
    response_model=models.TrendsPage,
    responses=responses(422, 503),
)
def trends(
    request: Request,
    reads: Reads,
    start: Start | None = None,
    end: End | None = None,
    topic: Topic = None,
    lang: Language = None,
    window: Annotated[Literal["15m", "1h", "1d"], Query()] = "15m",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Response:
    from_clock = start is None and end is None
    if start is None or end is None:
        end = end or (start + DEFAULT_RANGE if start is not None else reads.clock())
        start = start or end - DEFAULT_RANGE
    start, end = checked_range(start, end)

    def build() -> dict[str, Any]:
        parameters = {"window": WINDOWS[window], "start": start, "end": end, "topic": topic}
        parameters |= {"limit": limit, "offset": offset}
        sql = queries.TRENDS if lang is None else queries.LANGUAGE_TRENDS
        if lang is not None:
            parameters["lang"] = lang
        if on_boundary(start, window) and on_boundary(end, window):
            rows, count, total = reads.trend_series(sql, parameters).page(start, end, limit, offset)
            fields = paging(limit, offset, count, total)
        else:
            rows = reads.fetch(sql, parameters)
            fields = page(rows, limit, offset, lambda: reads.fetch(sql, parameters | {"limit": 1, "offset": 0}))
        return {"window": window, "topic": topic, "lang": lang, "start": start, "end": end, **fields, "rows": rows}

    return reads.cached(request, build, f"{start.isoformat()}/{end.isoformat()}" if from_clock else "")


@json_route(
    router,
    "/languages",
    "Languages of the posts in a time range, with their volume and sentiment shares",
    models.LanguagesPage,
)
def languages(request: Request, reads: Reads, start: Start, end: End) -> Response:
    start, end = checked_range(start, end)

    def build() -> dict[str, Any]:
        rows = reads.fetch(queries.LANGUAGES, {"start": start, "end": end})
        return {"start": start, "end": end, "count": len(rows), "rows": rows}

    return reads.cached(request, build)


@json_route(
    router,
    "/hashtags/trending",
    "Hashtags rising (or falling) most against their trailing 24 hours",
    models.HashtagsPage,
)
def trending_hashtags(
    request: Request,
    reads: Reads,
    hours: Annotated[int, Query(ge=1, le=168, description="Hours up to the latest one.")] = 24,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    falling: Annotated[bool, Query(description="The hashtags falling most instead.")] = False,
) -> Response:
    sql = queries.FALLING_HASHTAGS if falling else queries.TRENDING_HASHTAGS

    def build() -> dict[str, Any]:
        rows = reads.fetch(sql, {"hours": hours, "limit": limit})
        return {"hours": hours, "count": len(rows), "rows": rows}

    return reads.cached(request, build)


@json_route(router, "/alerts", "The latest alerts sent, newest first", models.AlertsPage)
def alerts(
    request: Request, reads: Reads, limit: Annotated[int, Query(ge=1, le=200)] = 20, topic: Topic = None
) -> Response:
    def build() -> dict[str, Any]:
        rows = reads.fetch(queries.ALERTS, {"limit": limit, "topic": topic}, missing_table_is_empty=True)
        return {"count": len(rows), "rows": rows}

    return reads.cached(request, build)
