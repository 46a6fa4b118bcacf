"""The posts: the latest ones (by topic, hashtag and sentiment), and one by its id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import json_route
from sentiment_platform.api.parameters import IDENTIFIER, Hashtag, Offset, Topic, page
from sentiment_platform.api.warehouse_reads import Reads

router = APIRouter()


@json_route(
    router,
    "/posts",
    "The latest posts, optionally of one topic, one hashtag and one post-level sentiment",
    models.PostsPage,
)
def posts(
    request: Request,
    reads: Reads,
    topic: Topic = None,
    label: Annotated[models.Label | None, Query(description="The post's sentiment as a whole.")] = None,
    hashtag: Hashtag = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Offset = 0,
) -> Response:
    def build() -> dict[str, Any]:
        parameters = {"topic": topic, "label": label, "hashtag": hashtag, "limit": limit, "offset": offset}
        rows = reads.fetch(queries.POSTS, parameters)
        fields = page(rows, limit, offset, lambda: reads.fetch(queries.POSTS, parameters | {"limit": 1, "offset": 0}))
        return {"topic": topic, "label": label, "hashtag": hashtag, **fields, "rows": rows}

    return reads.cached(request, build)


@json_route(router, "/posts/{post_id}", "One post with its sentiment", models.Post, (404, 422, 503))
def post(request: Request, reads: Reads, post_id: Annotated[str, Path(pattern=IDENTIFIER)]) -> Response:
    return reads.cached(
        request, lambda: reads.fetch_one(queries.POST, {"post_id": post_id}, f"post {post_id} not found")
    )
