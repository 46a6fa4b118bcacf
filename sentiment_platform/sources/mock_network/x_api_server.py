"""The mock network served as the X API v2 recent-search endpoint, over HTTP on 127.0.0.1.

``GET /2/tweets/search/recent`` answers like the real API (``data``, ``includes.users``,
``includes.media``, ``meta.next_token``) from the hours the mock network generates, for queries of
the form ``(<topic>) -is:retweet`` (the topic stands for the search terms); ``GET /media/<file>``
serves the images the media URLs point to. Faults can be scripted per request number (429 with
``x-rate-limit-reset``, 5xx, a malformed page) to test clients against them.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import orjson

from sentiment_platform.lib.partition_hours import floor_hour
from sentiment_platform.sources.mock_network.config import MockFeedConfig
from sentiment_platform.sources.mock_network.generator import REQUIRED_KEYS, generate_hour, iso
from sentiment_platform.sources.mock_network.world import population

_QUERY = re.compile(r"^\(?(?P<topic>[a-z_]+)\)?(?P<rest>.*)$")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class MockXApi:
    """The data side of the server: tweets, users and media of the mock network."""

    config: MockFeedConfig = field(default_factory=MockFeedConfig)
    base_url: str = ""

    def _records(self, start: datetime, end: datetime) -> tuple[list[dict], dict[str, dict], dict[str, bytes]]:
        posts, users, images = [], {}, {}
        hour = floor_hour(start)
        while hour < end:
            batch = generate_hour(hour, self.config)
            for record in batch.users:
                try:
                    user = orjson.loads(record.line)
                    if isinstance(user.get("user_id"), str) and isinstance(user.get("handle"), str):
                        users[user["user_id"]] = user
                except (orjson.JSONDecodeError, AttributeError):
                    continue
            for image in batch.images:
                images[image.key.rsplit("/", 1)[1]] = image.data
            for record in batch.posts:
                try:
                    post = orjson.loads(record.line)
                    created = _parse_time(post["created_at"])
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                    continue  # the real API never returns malformed tweets
                complete = all(isinstance(post.get(key), str) for key in REQUIRED_KEYS["posts"])
                if start <= created < end and complete:
                    posts.append(post)
            hour += timedelta(hours=1)
        # The real API always includes a tweet's author: profiles the feed sent malformed this hour
        # come from the network's population instead.
        for user in population(self.config.seed, self.config.users):
            users.setdefault(
                user.user_id,
                {
                    "user_id": user.user_id,
                    "handle": user.handle,
                    "name": user.name,
                    "location": user.location,
                    "created_at": iso(user.created_at),
                    "followers_count": user.base_followers,
                },
            )
        unique = {post["id"]: post for post in posts}  # the API returns each tweet once
        return sorted(unique.values(), key=lambda p: p["created_at"], reverse=True), users, images

    def search(
        self, query: str, start: datetime, end: datetime, max_results: int, token: str | None
    ) -> tuple[dict, dict[str, bytes]]:
        """One page of results, and the image files its media URLs point to."""
        match = _QUERY.match(query.strip())
        if not match:
            raise ValueError(f"unsupported query {query!r}")
        topic, exclude_retweets = match["topic"], "-is:retweet" in match["rest"]
        posts, users, images = self._records(start, end)
        chosen = [p for p in posts if p.get("topic") == topic and not (exclude_retweets and p.get("retweet_of_id"))]
        offset = int(token) if token else 0
        page = chosen[offset : offset + max_results]
        body: dict = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [self._tweet(p) for p in page]
            body["meta"].update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
            authors = {p["author_id"] for p in page}
            body["includes"] = {"users": [self._user(users[a]) for a in sorted(authors) if a in users]}
            media = [m for p in page for m in (p.get("media") or []) if isinstance(m, dict) and m.get("path")]
            if media:
                body["includes"]["media"] = [self._media(m) for m in media]
        if offset + max_results < len(chosen):
            body["meta"]["next_token"] = str(offset + max_results)
        return body, images

    def _tweet(self, post: dict) -> dict:
        tweet = {
            "id": post["id"],
            "text": post["text"],
            "author_id": post["author_id"],
            "created_at": post["created_at"],
            "lang": post.get("lang") or "und",
            "edit_history_tweet_ids": [post["id"]],
            "public_metrics": {
                "like_count": post.get("like_count", 0),
                "retweet_count": post.get("repost_count", 0),
                "reply_count": post.get("reply_count", 0),
                "quote_count": 0,
            },
        }
        if post.get("in_reply_to_id"):
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": post["in_reply_to_id"]}]
        media = [m for m in (post.get("media") or []) if isinstance(m, dict) and m.get("path")]
        if media:
            tweet["attachments"] = {"media_keys": [m["media_key"] for m in media]}
        return tweet

    def _user(self, user: dict) -> dict:
        return {
            "id": user["user_id"],
            "username": user["handle"],
            "name": user.get("name"),
            "location": user.get("location"),
            "created_at": user.get("created_at"),
            "public_metrics": {"followers_count": user.get("followers_count", 0)},
        }

    def _media(self, media: dict) -> dict:
        name = media["path"].rsplit("/", 1)[1]
        return {
            "media_key": media["media_key"],
            "type": "photo",
            "url": f"{self.base_url}/media/{name}",
            "preview_image_url": f"{self.base_url}/media/{name}",
            "alt_text": media.get("alt_text", ""),
        }


class MockXApiServer:
    """A threaded HTTP server for :class:`MockXApi` on 127.0.0.1.

    ``faults`` maps a 1-based request number to ``429``, ``500``, ``503`` or ``malformed``, or to a
    whole answer ``(status, headers, body)`` (a hostile page, a strange rate-limit header);
    ``bearer_token``, when set, is required in the ``Authorization`` header.
    """

    def __init__(
        self,
        config: MockFeedConfig = MockFeedConfig(),
        port: int = 0,
        bearer_token: str | None = None,
        faults: dict[int, str | tuple[int, dict[str, str], bytes]] | None = None,
        rate_limit_reset_s: float = 1.0,
    ) -> None:
        self.api = MockXApi(config)
        self.bearer_token = bearer_token
        self.faults = dict(faults or {})
        self.rate_limit_reset_s = rate_limit_reset_s
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._images: dict[str, bytes] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.api.base_url = self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> MockXApiServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"api_server": self})


class _Handler(BaseHTTPRequestHandler):
    """One request to the mock X API: the search endpoint, the media it lists, or a scripted fault."""

    api_server: MockXApiServer

    def log_message(self, *args) -> None:
        pass

    def _send(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        server = self.api_server
        parsed = urlparse(self.path)
        with server._lock:
            server.requests.append(parsed.path)
            number = len(server.requests)
        if parsed.path.startswith("/media/"):
            return self._media(parsed.path.rsplit("/", 1)[1])
        if parsed.path != "/2/tweets/search/recent":
            return self._send(404, b'{"title": "Not Found"}')
        if server.bearer_token and self.headers.get("Authorization") != f"Bearer {server.bearer_token}":
            return self._send(401, b'{"title": "Unauthorized"}')
        if not self._fault(server.faults.get(number)):
            self._search({k: v[0] for k, v in parse_qs(parsed.query).items()})

    def _fault(self, fault: str | tuple | None) -> bool:
        """Answer with the scripted ``fault`` of this request, if it has one."""
        if isinstance(fault, tuple):
            status, headers, body = fault
            self._send(status, body, headers)
        elif fault == "429":
            reset = int(datetime.now(UTC).timestamp() + self.api_server.rate_limit_reset_s)
            headers = {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"}
            self._send(429, b'{"title": "Too Many Requests"}', headers)
        elif fault in ("500", "503"):
            self._send(int(fault), b'{"title": "Server Error"}')
        elif fault == "malformed":
            self._send(200, b'{"data": [{"id": "1", "text": ')
        else:
            return False
        return True

    def _search(self, query: dict[str, str]) -> None:
        server = self.api_server
        try:
            body, images = server.api.search(
                query["query"],
                _parse_time(query["start_time"]),
                _parse_time(query["end_time"]),
                int(query.get("max_results", 10)),
                query.get("pagination_token") or query.get("next_token"),
            )
        except (KeyError, ValueError) as error:
            return self._send(400, json.dumps({"title": "Invalid Request", "detail": str(error)}).encode())
        with server._lock:
            server._images.update(images)  # the media URLs of served pages become downloadable
        self._send(200, orjson.dumps(body))

    def _media(self, name: str) -> None:
        with self.api_server._lock:
            data = self.api_server._images.get(name)
        if data is None:
            return self._send(404, b'{"title": "Not Found"}')
        self._send(200, data, content_type="image/jpeg" if name.endswith(".jpg") else "image/png")
