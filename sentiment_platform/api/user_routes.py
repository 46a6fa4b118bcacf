"""The users: a user's sentiment profile, and the posts recommended to them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import json_route
from sentiment_platform.api.parameters import IDENTIFIER
from sentiment_platform.api.warehouse_reads import Reads

router = APIRouter()
UserId = Annotated[str, Path(pattern=IDENTIFIER)]


@json_route(router, "/users/{user_id}/sentiment", "A user's sentiment profile", models.UserProfile, (404, 422, 503))
def user_sentiment(request: Request, reads: Reads, user_id: UserId) -> Response:
    return reads.cached(
        request, lambda: reads.fetch_one(queries.USER_SENTIMENT, {"user_id": user_id}, f"user {user_id} not found")
    )


@json_route(
    router,
    "/users/{user_id}/recommendations",
    "Posts recommended to a user; the most popular posts when the user has no history",
    models.Recommendations,
    (404, 422, 503),
)
def user_recommendations(
    request: Request, reads: Reads, user_id: UserId, limit: Annotated[int, Query(ge=1, le=10)] = 10
) -> Response:
    def build() -> dict[str, Any]:
        # Before the first daily run there is nothing to recommend yet: an empty answer, not an error.
        rows = reads.fetch(queries.RECOMMENDATIONS, {"user_id": user_id, "limit": limit}, missing_table_is_empty=True)
        if rows:
            return {
                "user_id": user_id,
                "source": "personalized",
                "personalized": True,
                "day": rows[0]["day"],
                "count": len(rows),
                "rows": rows,
            }
        popular = reads.fetch(queries.POPULAR_POSTS, {"limit": limit}, missing_table_is_empty=True)
        return {
            "user_id": user_id,
            "source": "popular_fallback",
            "personalized": False,
            "reason": "no interaction history for this user: the most popular posts instead",
            "day": popular[0]["day"] if popular else None,
            "count": len(popular),
            "rows": popular,
        }

    return reads.cached(request, build)
