"""The mock network as Bluesky's Jetstream: a local WebSocket server that sends ``app.bsky.feed.post``
commit events in Jetstream's JSON (``did``, ``time_us``, ``kind``, ``commit``), from the cursor a
client asks for, as Jetstream does. Tests script the awkward cases: deletions and other events, a
connection dropped mid-stream, broken or oversized messages."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from sentiment_platform.sources.mock_network.config import MockFeedConfig
from sentiment_platform.sources.mock_network.generator import generate_hour

_POST = "app.bsky.feed.post"


def post_event(did: str, rkey: str, time_us: int, text: str, created_at: str, langs: list[str]) -> dict[str, Any]:
    """A Jetstream commit event creating a post."""
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": f"rev{time_us}",
            "operation": "create",
            "collection": _POST,
            "rkey": rkey,
            "record": {"$type": _POST, "text": text, "createdAt": created_at, "langs": langs},
            "cid": f"bafy{rkey}",
        },
    }


def mock_hour_events(hour: datetime, config: MockFeedConfig = MockFeedConfig()) -> list[dict[str, Any]]:
    """The mock network's original posts of ``hour`` as Jetstream events, in time order."""
    events = []
    for record in generate_hour(hour, config).posts:
        try:
            post = orjson.loads(record.line)
        except orjson.JSONDecodeError:
            continue  # the feed's deliberately broken lines have no Jetstream form
        fields = ("id", "text", "created_at")
        if (
            not isinstance(post, dict)
            or post.get("retweet_of_id")
            or not all(isinstance(post.get(f), str) for f in fields)
        ):
            continue  # a retweet is no post on Bluesky; a deliberately broken record has no event form
        time_us = int(record.emit_at.timestamp() * 1_000_000)
        did = f"did:plc:{post.get('author_id')}"
        events.append(
            post_event(did, str(post["id"]), time_us, post["text"], post["created_at"], [post.get("lang") or "en"])
        )
    # Re-sent lines (the feed's duplicates) are one event on Jetstream.
    unique = {event["commit"]["rkey"]: event for event in events}
    return sorted(unique.values(), key=lambda event: event["time_us"])


class MockJetstream:
    """Serves ``events`` (sorted by ``time_us``) on ``ws://127.0.0.1:<port>/subscribe``: from the
    first event after the client's ``cursor``; after ``drop_after`` events a connection is cut (the
    next one resumes from the client's cursor). ``raw`` messages are sent as they are, first."""

    def __init__(
        self,
        events: Iterable[dict[str, Any]],
        drop_after: int | None = None,
        raw: Iterable[str | bytes] = (),
        port: int = 0,
    ) -> None:
        from websockets.sync.server import serve

        self.events = sorted(events, key=lambda event: event["time_us"])
        self.drop_after = drop_after
        self.raw = list(raw)
        self.connections: list[dict[str, list[str]]] = []
        self._server = serve(self._handle, "127.0.0.1", port, compression=None)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/subscribe"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> MockJetstream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def _handle(self, connection: Any) -> None:
        query = parse_qs(urlparse(connection.request.path).query)
        self.connections.append(query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        if len(self.connections) == 1:
            for message in self.raw:
                connection.send(message)
        sent = 0
        for event in self.events:
            if cursor is not None and event["time_us"] < cursor:
                continue  # Jetstream replays from the cursor itself, inclusive
            if self.drop_after is not None and sent >= self.drop_after and len(self.connections) == 1:
                return  # cut mid-stream: the client reconnects
            connection.send(orjson.dumps(event).decode())
            sent += 1
        try:
            connection.recv()  # stay open, as a live stream does, until the client leaves
        except Exception:  # noqa: BLE001 - the client closed: nothing to do
            return
