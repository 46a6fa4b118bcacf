"""One page of a network's JSON API through the hardened client, with the answers every puller
treats alike: a rate limit, another status, a body that is not JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from sentiment_platform.sources.http_client import HttpClient, HttpLimits


class PullError(ValueError):
    """A page (or a token) that could not be had; the message is the reason, for the metadata."""


def json_page(
    client: HttpClient,
    url: str,
    limits: HttpLimits,
    params: Mapping[str, Any] | None = None,
    authenticated: bool = False,
) -> Any:
    """The decoded body of a GET of ``url``; :class:`PullError` for anything but a 200 with JSON."""
    answer = client.get(url, limits, params=params, authenticated=authenticated)
    if answer.status == 429:
        raise PullError("rate_limited")
    if answer.status != 200:
        raise PullError(f"status_{answer.status}")
    try:
        return orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        raise PullError("invalid_json") from None
