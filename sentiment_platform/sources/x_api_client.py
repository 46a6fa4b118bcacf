"""The X API v2 source: recent search per topic for one hour, landed like any other source.

Every request goes through the hardened :class:`HttpClient` (the bearer token only to the API's
own origin, never on media downloads or off-origin redirects; bodies capped while they stream; a
total deadline per request). Rate limits are honoured within a wait budget per pull: a reset that
is not a number waits a bounded default, a reset past the budget ends the topic's pull as
``rate_limited`` (the next run pulls it again). Server errors and unparseable pages are retried
with exponential backoff; a page of the wrong shape is an error of its topic, never of the hour.
The bearer token comes from the environment only and is never logged or written anywhere.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from sentiment_platform.lib.cleansing.image_validation import ImageRules
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.sources.http_client import (
    HttpClient,
    HttpLimits,
    OutboundError,
    seconds_header,
)
from sentiment_platform.sources.media_downloads import download_images

if TYPE_CHECKING:  # the lake is a resource: the sources only type-hint it
    from sentiment_platform.lib.lake_store import LakeStore

SEARCH_PATH = "/2/tweets/search/recent"
SEARCH_FIELDS = {
    "expansions": "author_id,attachments.media_keys",
    "tweet.fields": "created_at,lang,public_metrics,referenced_tweets,attachments,author_id",
    "user.fields": "username,name,location,public_metrics,created_at",
    "media.fields": "url,preview_image_url,alt_text,type,media_key",
}
#: A search page: 100 tweets with their includes are well under 1 MiB; 8 MiB leaves room.
PAGE_MAX_BYTES = 8 * 1024 * 1024


class XApiError(RuntimeError):
    """A request that still failed after its retries (the message never contains the token)."""


class BudgetExhausted(XApiError):
    """The run's request budget is spent."""


class RateLimited(XApiError):
    """The API asks for a wait longer than what is left of the pull's wait budget."""


class PageShapeError(XApiError):
    """A page that parsed as JSON but is not a search page (wrong types, missing ids)."""


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _objects(value: Any, where: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PageShapeError(f"{where} is not a list of objects")
    return value


def _object(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PageShapeError(f"{where} is not an object")
    return value


def _identified(items: list[dict], where: str, key: str = "id") -> None:
    for index, item in enumerate(items):
        if not isinstance(item.get(key), str) or not item[key]:
            raise PageShapeError(f"{where}[{index}] has no string {key!r}")


def checked_page(page: Any) -> dict:
    """``page`` if it has the shape of a recent-search page (``data``, ``includes``, ``meta`` of
    the documented types, every tweet, user and media with its id); raises :class:`PageShapeError`
    naming the first thing that is wrong."""
    page = _object(page, "the page")
    tweets = _objects(page.get("data"), "data")
    _identified(tweets, "data")
    for index, tweet in enumerate(tweets):
        references = _objects(tweet.get("referenced_tweets"), f"data[{index}].referenced_tweets")
        _identified(references, f"data[{index}].referenced_tweets")
        _object(tweet.get("public_metrics"), f"data[{index}].public_metrics")
        keys = _object(tweet.get("attachments"), f"data[{index}].attachments").get("media_keys")
        if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise PageShapeError(f"data[{index}].attachments.media_keys is not a list of strings")
    includes = _object(page.get("includes"), "includes")
    users = _objects(includes.get("users"), "includes.users")
    _identified(users, "includes.users")
    for index, user in enumerate(users):
        _object(user.get("public_metrics"), f"includes.users[{index}].public_metrics")
    _identified(_objects(includes.get("media"), "includes.media"), "includes.media", "media_key")
    token = _object(page.get("meta"), "meta").get("next_token")
    if token is not None and not (isinstance(token, str) and token):
        raise PageShapeError("meta.next_token is not a string")
    return page


@dataclass
class XApiClient:
    """Recent search and media downloads for one pull. ``timeout_s`` is the total deadline of one
    request (connect, headers and every read); ``page_max_bytes`` and ``media_max_bytes`` cap the
    bodies; ``max_wait_s`` is the pull's wait budget: every rate-limit and retry wait together;
    ``default_rate_wait_s`` is the wait for a 429 whose reset header is not a number; ``now`` is
    the epoch clock reset times are read against."""

    base_url: str
    bearer_token: str = field(repr=False)
    max_requests: int = 200
    max_retries: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 120.0
    default_rate_wait_s: float = 15.0
    timeout_s: float = 30.0
    page_max_bytes: int = PAGE_MAX_BYTES
    media_max_bytes: int = ImageRules().max_bytes
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    requests_made: int = 0
    waited_s: float = 0.0
    waits: list[tuple[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        per_step = min(10.0, self.timeout_s)
        self.page_limits, self.media_limits = (
            HttpLimits(max_bytes, self.timeout_s, connect_timeout_s=per_step, read_timeout_s=per_step)
            for max_bytes in (self.page_max_bytes, self.media_max_bytes)
        )
        try:
            self.http = HttpClient(self.base_url, {"Authorization": f"Bearer {self.bearer_token}"})
        except OutboundError as error:
            raise XApiError(str(error)) from None

    def _wait(self, kind: str, seconds: float) -> None:
        if self.waited_s + seconds > self.max_wait_s:
            message = f"a {seconds:.0f} s wait is over what is left of the pull's {self.max_wait_s:g} s wait budget"
            raise RateLimited(message) if kind == "rate_limit" else XApiError(message)
        self.waited_s += seconds
        self.waits.append((kind, seconds))
        self.sleep(seconds)

    def _rate_limit_wait(self, reset_header: str | None, attempt: int) -> float:
        """Seconds to wait for a 429: until the reset time it gives, a bounded default when that is
        not a number, the retry backoff when there is none."""
        if reset_header is None:
            return self.backoff_s * 2**attempt
        reset = seconds_header(reset_header)
        return self.default_rate_wait_s if reset is None else max(reset - self.now(), 0.0)

    def _request(self, params: dict[str, Any]) -> dict:
        """One search page (retried on 429, 5xx, network errors and unparseable bodies)."""
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            if self.requests_made >= self.max_requests:
                raise BudgetExhausted(f"request budget of {self.max_requests} spent")
            self.requests_made += 1
            try:
                response = self.http.get(self.base_url + SEARCH_PATH, self.page_limits, params, authenticated=True)
            except OutboundError as error:
                if error.reason in ("invalid_url", "too_large", "too_many_redirects"):
                    raise XApiError(f"{SEARCH_PATH}: {error.reason}") from None
                last = error.reason
            else:
                if response.status == 429:
                    last = "HTTP 429"
                    self._wait("rate_limit", self._rate_limit_wait(response.headers.get("x-rate-limit-reset"), attempt))
                    continue
                if 200 <= response.status < 300:
                    try:
                        return checked_page(orjson.loads(response.body))
                    except orjson.JSONDecodeError:
                        last = "malformed page"
                elif response.status >= 500:
                    last = f"HTTP {response.status}"
                else:
                    raise XApiError(f"HTTP {response.status} for {SEARCH_PATH}")
            if attempt < self.max_retries:
                self._wait("retry", self.backoff_s * 2**attempt)
        raise XApiError(f"{SEARCH_PATH} failed after {self.max_retries} retries ({last})")

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
            page = self._request(params)
            yield page
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return
            params["pagination_token"] = token


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
        attached = [media_by_key[k] for k in keys if k in media_by_key and isinstance(media_by_key[k].get("url"), str)]
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


#: A topic as a file name: kept as it is when it is plain, else a slug and a digest (a topic is a
#: search term: ``climate change``, ``#ai``, ``a/b`` must never make a folder or leave one).
_PLAIN_TOPIC = re.compile(r"^[a-z0-9_-]{1,64}$")


def topic_file_name(topic: str) -> str:
    """A safe, stable file name part for ``topic``."""
    if _PLAIN_TOPIC.match(topic):
        return topic
    slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")[:40] or "topic"
    return f"{slug}-{hashlib.sha256(topic.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def _land_media(storage: LakeStore, client: XApiClient, posts: list[dict], media: list[tuple[str, dict]], counts):
    """Download each media URL once (no credentials) and point the posts at the landed file. A URL
    that is not http(s) is never opened; a failed download leaves the post its URL, which
    ``raw_images`` quarantines with the reason; the reasons are counted in ``media_failed``."""
    landed, failed, new = download_images(storage, client.http, (url for url, _ in media), client.media_limits)
    counts["media_failed"].update(failed)
    counts["images"] += new
    for post in posts:
        for entry in post.get("media", []):
            entry["path"] = landed.get(entry["path"], entry["path"])


def _land_topic(storage: LakeStore, hour: datetime, topic: str, pages: list[dict], rows: dict[str, list]) -> None:
    """Write a topic's raw pages and its posts and users under names fixed per hour and topic."""
    name = topic_file_name(topic)
    for index, page in enumerate(pages):
        storage.write_bytes(f"landing/x_api/{hour:%Y/%m/%d/%H}/{name}-{index:03d}.json", orjson.dumps(page))
    for dataset, records in rows.items():
        if records:
            storage.write_bytes(
                f"{landing_prefix(dataset, hour)}x_api-{name}.jsonl",
                b"\n".join(orjson.dumps(row) for row in records) + b"\n",
            )


def land_x_api_hour(
    storage: LakeStore,
    hour: datetime,
    client: XApiClient,
    topics: Sequence[str],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Search each topic for ``hour`` and land the raw pages, the posts, the users and the images.

    File names are fixed per hour and topic, so landing an hour twice replaces what it landed. A
    topic whose pull fails (a page of the wrong shape, a request that keeps failing) is listed in
    ``failed_topics`` with the reason, one whose rate limit outlasts the wait budget in
    ``rate_limited_topics``; the other topics still land. Stops early (landing what it has) when
    the request budget is spent. ``now`` stamps the users as observed.
    """
    end = hour + timedelta(hours=1)
    observed = _rfc3339(now())
    counts: dict[str, Any] = {
        "posts": 0,
        "users": 0,
        "images": 0,
        "pages": 0,
        "failed_topics": [],
        "rate_limited_topics": [],
        "media_failed": Counter(),
        "budget_exhausted": False,
    }
    for topic in topics:
        posts, users, pages, media = [], [], [], []
        try:
            for page in client.search_recent(f"({topic}) -is:retweet", hour, end):
                pages.append(page)
                page_posts, page_users, page_media = tweets_to_records(page, topic)
                posts += page_posts
                media += page_media
                users += [dict(user, observed_at=observed) for user in page_users]
        except BudgetExhausted:
            counts["budget_exhausted"] = True
        except RateLimited as error:
            counts["rate_limited_topics"].append(f"{topic}: {error}")
        except XApiError as error:
            counts["failed_topics"].append(f"{topic}: {error}")
        _land_media(storage, client, posts, media, counts)
        _land_topic(storage, hour, topic, pages, {"posts": posts, "users": users})
        counts["posts"] += len(posts)
        counts["users"] += len(users)
        counts["pages"] += len(pages)
        if counts["budget_exhausted"]:
            break
    counts["media_failed"] = dict(sorted(counts["media_failed"].items()))
    counts["requests"] = client.requests_made
    counts["waited_s"] = round(client.waited_s, 3)
    return counts
