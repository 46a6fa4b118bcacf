"""The X API v2 source: recent search per topic for one hour, landed like any other source.

Rate limits are honoured (a 429 waits until ``x-rate-limit-reset``), server errors and malformed
pages are retried with exponential backoff, and a request budget caps each run. The bearer token
comes from the environment only and is never logged or written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from sentiment_platform.lib.lake_layout import landing_image_key, landing_prefix
from sentiment_platform.resources.lake_storage import LakeStorage

SEARCH_PATH = "/2/tweets/search/recent"
SEARCH_FIELDS = {
    "expansions": "author_id,attachments.media_keys",
    "tweet.fields": "created_at,lang,public_metrics,referenced_tweets,attachments,author_id",
    "user.fields": "username,name,location,public_metrics,created_at",
    "media.fields": "url,preview_image_url,alt_text,type,media_key",
}


class XApiError(RuntimeError):
    """A request that still failed after its retries (the message never contains the token)."""


class BudgetExhausted(XApiError):
    """The run's request budget is spent."""


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class XApiClient:
    base_url: str
    bearer_token: str = field(repr=False)
    max_requests: int = 200
    max_retries: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 900.0
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0
    waits: list[tuple[str, float]] = field(default_factory=list)

    def _request(self, url: str, accept_json: bool) -> bytes:
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            if self.requests_made >= self.max_requests:
                raise BudgetExhausted(f"request budget of {self.max_requests} spent")
            self.requests_made += 1
            request = urllib.request.Request(
                url, headers={"Authorization": f"Bearer {self.bearer_token}", "User-Agent": "sentiment-platform"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
                if accept_json:
                    orjson.loads(body)  # a malformed page is retried like a server error
                return body
            except urllib.error.HTTPError as error:
                if error.code == 429:
                    reset = error.headers.get("x-rate-limit-reset")
                    wait = float(reset) - time.time() if reset else self.backoff_s * 2**attempt
                    wait = min(max(wait, 0.0), self.max_wait_s)
                    self.waits.append(("rate_limit", wait))
                    self.sleep(wait)
                    last = "HTTP 429"
                    continue
                if error.code >= 500:
                    last = f"HTTP {error.code}"
                else:
                    raise XApiError(f"HTTP {error.code} for {urllib.parse.urlparse(url).path}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last = f"{type(error).__name__}"
            except orjson.JSONDecodeError:
                last = "malformed page"
            wait = self.backoff_s * 2**attempt
            self.waits.append(("retry", wait))
            self.sleep(wait)
        raise XApiError(f"{urllib.parse.urlparse(url).path} failed after {self.max_retries} retries ({last})")

    def search_recent(self, query: str, start: datetime, end: datetime, page_size: int = 100) -> Iterator[dict]:
        """Pages of recent-search results for [start, end), following ``next_token``."""
        params: dict[str, Any] = {
            "query": query,
            "start_time": _rfc3339(start),
            "end_time": _rfc3339(end),
            "max_results": page_size,
            **SEARCH_FIELDS,
        }
        while True:
            page = orjson.loads(self._request(f"{self.base_url}{SEARCH_PATH}?{urllib.parse.urlencode(params)}", True))
            yield page
            token = page.get("meta", {}).get("next_token")
            if not token:
                return
            params["pagination_token"] = token

    def download(self, url: str) -> bytes:
        return self._request(url, False)


def tweets_to_records(page: dict, topic: str) -> tuple[list[dict], list[dict], list[tuple[str, dict]]]:
    """(post records, user records, [(media url, media)]) in the landing format of the platform."""
    includes = page.get("includes") or {}
    media_by_key = {m.get("media_key"): m for m in includes.get("media") or [] if isinstance(m, dict)}
    posts, media = [], []
    for tweet in page.get("data") or []:
        if not isinstance(tweet, dict):
            continue
        metrics = tweet.get("public_metrics") or {}
        record = {
            "id": tweet.get("id"),
            "author_id": tweet.get("author_id"),
            "created_at": tweet.get("created_at"),
            "text": tweet.get("text"),
            "lang": tweet.get("lang"),
            "topic": topic,
            "source": "x_api",
            "like_count": metrics.get("like_count"),
            "repost_count": metrics.get("retweet_count"),
            "reply_count": metrics.get("reply_count"),
        }
        for reference in tweet.get("referenced_tweets") or []:
            if reference.get("type") == "replied_to":
                record["in_reply_to_id"] = reference.get("id")
        keys = (tweet.get("attachments") or {}).get("media_keys") or []
        attached = [media_by_key[k] for k in keys if k in media_by_key and media_by_key[k].get("url")]
        if attached:
            record["media"] = [
                {
                    "media_key": m["media_key"],
                    "type": m.get("type"),
                    "path": m["url"],
                    "alt_text": m.get("alt_text") or "",
                }
                for m in attached
            ]
            media += [(m["url"], m) for m in attached]
        posts.append(record)
    users = [
        {
            "user_id": u.get("id"),
            "handle": u.get("username"),
            "name": u.get("name"),
            "location": u.get("location"),
            "followers_count": (u.get("public_metrics") or {}).get("followers_count"),
            "created_at": u.get("created_at"),
            "observed_at": None,
        }
        for u in includes.get("users") or []
        if isinstance(u, dict)
    ]
    return posts, users, media


def land_x_api_hour(storage: LakeStorage, hour: datetime, client: XApiClient, topics: Sequence[str]) -> dict[str, Any]:
    """Search each topic for ``hour`` and land the raw pages, the posts, the users and the images.

    File names are fixed per hour and topic, so landing an hour twice replaces what it landed.
    Stops early (landing what it has) when the request budget is spent or a page keeps failing.
    """
    end = hour + timedelta(hours=1)
    observed = _rfc3339(datetime.now(UTC))
    counts: dict[str, Any] = {
        "posts": 0,
        "users": 0,
        "images": 0,
        "pages": 0,
        "failed_topics": [],
        "budget_exhausted": False,
    }
    for topic in topics:
        posts, users, pages = [], [], []
        try:
            for page in client.search_recent(f"({topic}) -is:retweet", hour, end):
                pages.append(page)
                page_posts, page_users, media = tweets_to_records(page, topic)
                for url, _item in media:
                    try:
                        data = client.download(url)
                    except XApiError:
                        continue  # the post keeps the URL; raw_images quarantines it with the reason
                    extension = "png" if data[:4] == b"\x89PNG" else "jpg"
                    key = landing_image_key(hashlib.sha256(data).hexdigest(), extension)
                    if not storage.exists(key):
                        storage.write_bytes(key, data)
                        counts["images"] += 1
                    for post in page_posts:
                        for entry in post.get("media", []):
                            if entry["path"] == url:
                                entry["path"] = key
                posts += page_posts
                users += [dict(user, observed_at=observed) for user in page_users]
        except BudgetExhausted:
            counts["budget_exhausted"] = True
        except XApiError as error:
            counts["failed_topics"].append(f"{topic}: {error}")
        for index, page in enumerate(pages):
            storage.write_bytes(f"landing/x_api/{hour:%Y/%m/%d/%H}/{topic}-{index:03d}.json", json.dumps(page).encode())
        for dataset, rows in (("posts", posts), ("users", users)):
            if rows:
                storage.write_bytes(
                    f"{landing_prefix(dataset, hour)}x_api-{topic}.jsonl",
                    b"\n".join(orjson.dumps(row) for row in rows) + b"\n",
                )
        counts["posts"] += len(posts)
        counts["users"] += len(users)
        counts["pages"] += len(pages)
        if counts["budget_exhausted"]:
            break
    counts["requests"] = client.requests_made
    return counts
