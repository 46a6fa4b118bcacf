"""Reddit, pulled: the new submissions and comments of configured subreddits, an hour at a time.

An app's client id and secret (an app key: https://www.reddit.com/prefs/apps) get an application-
only OAuth token (``client_credentials``) from ``www.reddit.com``; the listings are read from
``oauth.reddit.com`` with it, newest first, paged with ``after`` until they reach before the hour.
The key goes only to the token endpoint and the token only to the API's origin (the hardened
client's rule). Things are parsed by the same converter as ``import --format reddit``; the
subreddit's configured topic is their topic.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import orjson

from sentiment_platform.sources.http_client import HttpClient, HttpLimits, OutboundError
from sentiment_platform.sources.live.json_pages import PullError, json_page

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
API_URL = "https://oauth.reddit.com"
PAGE_LIMITS = HttpLimits(max_bytes=8 * 1024 * 1024)


@dataclass(frozen=True)
class RedditApp:
    """An app's key, and where it is used (Reddit's own addresses unless a test says otherwise)."""

    client_id: str
    client_secret: str
    token_url: str = TOKEN_URL
    api_url: str = API_URL
    user_agent: str = "sentiment-platform (by the operator of this deployment)"

    def __repr__(self) -> str:  # the key is never shown
        return f"RedditApp(api_url={self.api_url!r})"

    def api_client(self) -> HttpClient:
        """A client for the API's origin, carrying an application-only token got now."""
        key = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        token_client = HttpClient(self.token_url, {"Authorization": f"Basic {key}"}, user_agent=self.user_agent)
        try:
            answer = token_client.request(
                "POST",
                self.token_url,
                HttpLimits(max_bytes=64 * 1024),
                content=urlencode({"grant_type": "client_credentials"}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                authenticated=True,
            )
        finally:
            token_client.close()
        if answer.status != 200:
            raise PullError(f"token_status_{answer.status}")
        try:
            token = orjson.loads(answer.body)["access_token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise PullError("token_of_wrong_shape") from None
        if not isinstance(token, str) or not token:
            raise PullError("token_of_wrong_shape")
        return HttpClient(self.api_url, {"Authorization": f"bearer {token}"}, user_agent=self.user_agent)


def hour_of_listing(client: HttpClient, url: str, hour: datetime, budget: list[int]) -> list[dict]:
    """The things of one listing (newest first) created in ``hour``, paging with ``after``."""
    end, after, found = hour + timedelta(hours=1), None, []
    while budget[0] > 0:
        budget[0] -= 1
        params = {"limit": 100, "raw_json": 1} | ({"after": after} if after else {})
        listing = json_page(client, url, PAGE_LIMITS, params, authenticated=True)
        try:
            data = listing["data"]
            children, after = data["children"], data.get("after")
        except (KeyError, TypeError):
            raise PullError("page_of_wrong_shape") from None
        if not isinstance(children, list) or not all(isinstance(child, dict) for child in children):
            raise PullError("page_of_wrong_shape")
        times = [(_timestamp(child), child) for child in children]
        found += [child for moment, child in times if moment is not None and hour <= moment < end]
        if not children or not after or any(moment is not None and moment < hour for moment, _ in times):
            return found
    raise PullError("request_budget_spent")


def _timestamp(thing: dict) -> datetime | None:
    data = thing.get("data") if isinstance(thing.get("data"), dict) else {}
    created = data.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def land_reddit_hour(
    storage: LakeStore,
    hour: datetime,
    app: RedditApp,
    subreddits: Mapping[str, Sequence[str]],
    max_requests: int = 200,
) -> dict[str, Any]:
    """Land ``hour`` of each topic's subreddits (``{topic: [subreddit, ...]}``): new submissions
    and new comments."""
    from sentiment_platform.sources.archives.archive_landing import ImportReport
    from sentiment_platform.sources.live.live_landing import land_pulled, pull_totals

    counts: dict[str, Any] = {"listings": 0, "things": 0, "failed_listings": []}
    budget, report = [max_requests], ImportReport()
    try:
        client = app.api_client()
    except (PullError, OutboundError) as error:
        return counts | {"failed_listings": [f"token: {getattr(error, 'reason', error)}"], "posts": 0}
    try:
        for topic, names in subreddits.items():
            things: dict[str, dict] = {}
            for name in names:
                for kind in ("new", "comments"):
                    url = f"{app.api_url.rstrip('/')}/r/{quote(name, safe='')}/{kind}"
                    counts["listings"] += 1
                    try:
                        for thing in hour_of_listing(client, url, hour, budget):
                            data = thing.get("data") if isinstance(thing.get("data"), dict) else {}
                            things[str(data.get("name") or len(things))] = thing  # a comment in both listings once
                    except (PullError, OutboundError) as error:
                        counts["failed_listings"].append(f"r/{name}/{kind}: {getattr(error, 'reason', error)}")
            counts["things"] += len(things)
            # The configured topic, not the subreddit's name.
            land_pulled(storage, client, "reddit", topic, list(things.values()), report, counts)
    finally:
        client.close()
    return pull_totals(counts, report) | {"requests": max_requests - budget[0]}
