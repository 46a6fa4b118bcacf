"""``/topics``: the topics with their post counts and time span."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sentiment_platform.api import models, queries
from sentiment_platform.api.errors import responses
from sentiment_platform.api.warehouse_reads import Reads

router = APIRouter()


@router.get(
    "/topics",
    summary="Topics with their post counts and time span",
    response_model=list[models.TopicRow],
    responses=responses(503),
)
def topics(request: Request, reads: Reads) -> Response:
    return reads.cached(request, lambda: reads.fetch(queries.TOPICS, {}))
