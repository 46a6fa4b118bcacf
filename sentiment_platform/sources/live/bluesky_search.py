"""Bluesky, pulled: ``app.bsky.feed.searchPosts`` per topic term for an hour (``since``/``until``),
for hourly pulls and backfills where the search endpoint is reachable (the live path is the
Jetstream listener). Pages follow the response's ``cursor``; post views are parsed by the same
converter as ``import --format bluesky``; a post found by two terms lands once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sentiment_platform.sources.http_client import HttpClient, HttpLimits, OutboundError
from sentiment_platform.sources.live.json_pages import PullError, json_page

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

SEARCH_URL = "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts"
PAGE_LIMITS = HttpLimits(max_bytes=8 * 1024 * 1024)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def search_hour(client: HttpClient, url: str, term: str, hour: datetime, budget: list[int]) -> list[dict]:
    """The post views the search for ``term`` finds in ``hour``, every page of them."""
    cursor, views = None, []
    while budget[0] > 0:
        budget[0] -= 1
        params = {"q": term, "since": _iso(hour), "until": _iso(hour + timedelta(hours=1)), "limit": 100}
        page = json_page(client, url, PAGE_LIMITS, params | ({"cursor": cursor} if cursor else {}))
        if not isinstance(page, dict) or not isinstance(page.get("posts"), list):
            raise PullError("page_of_wrong_shape")
        views += [view for view in page["posts"] if isinstance(view, dict)]
        cursor = page.get("cursor")
        if not page["posts"] or not isinstance(cursor, str) or not cursor:
            return views
    raise PullError("request_budget_spent")


def land_bluesky_hour(
    storage: LakeStore,
    hour: datetime,
    client: HttpClient,
    terms: Mapping[str, Sequence[str]],
    url: str = SEARCH_URL,
    max_requests: int = 200,
) -> dict[str, Any]:
    """Land what each topic's terms (``{topic: [term, ...]}``) find in ``hour``."""
    from sentiment_platform.sources.archives.archive_landing import ImportReport
    from sentiment_platform.sources.live.live_landing import land_pulled, pull_totals

    counts: dict[str, Any] = {"searches": 0, "found": 0, "failed_searches": []}
    budget, seen, report = [max_requests], set(), ImportReport()
    for topic, topic_terms in terms.items():
        views: dict[str, dict] = {}
        for term in topic_terms:
            counts["searches"] += 1
            try:
                views |= {str(view.get("uri")): view for view in search_hour(client, url, term, hour, budget)}
            except (PullError, OutboundError) as error:
                counts["failed_searches"].append(f"{term}: {getattr(error, 'reason', error)}")
        fresh = [view for uri, view in views.items() if uri not in seen]
        seen.update(views)
        counts["found"] += len(fresh)
        land_pulled(storage, client, "bluesky", topic, fresh, report, counts)
    return pull_totals(counts, report) | {"requests": max_requests - budget[0]}
