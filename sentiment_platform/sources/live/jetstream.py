"""Bluesky, live: the Jetstream firehose (``app.bsky.feed.post`` commits as JSON over a WebSocket).

Posts are kept as they arrive when a topic rule matches them, and land every few seconds as one
landing batch per hour, through the same parser and landing as ``import --format bluesky`` (so a
post imported from a dump and the same post streamed land alike). The cursor (the ``time_us`` of
the last event landed) is kept in the lake after each batch lands: a restart resumes from it, and
the events Jetstream replays at or before it are skipped, so a restart leaves no gap and no
duplicate. Deletions, updates, identity and account events are counted, not landed; a message
over the size cap closes the connection (the WebSocket library refuses it) and the listener
reconnects from the cursor.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

from sentiment_platform.sources.http_client import HttpClient
from sentiment_platform.sources.live.live_landing import LiveBatch, land_live_batch
from sentiment_platform.sources.live.topic_rules import TopicRules

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
#: Where the listener keeps its cursor, inside the lake.
CURSOR_KEY = "state/bluesky/jetstream_cursor.json"
#: The largest event accepted (Jetstream's post events are a few KB).
MAX_EVENT_BYTES = 1024 * 1024


@dataclass
class StreamReport:
    """What a listener did: events read, posts landed, what it skipped and why, reconnects."""

    events: int = 0
    landed: int = 0
    batches: int = 0
    reconnects: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    cursor: int | None = None


def read_cursor(storage: LakeStore) -> int | None:
    try:
        value = orjson.loads(storage.read_bytes(CURSOR_KEY)).get("time_us")
    except (FileNotFoundError, orjson.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def subscribe_url(base: str, cursor: int | None) -> str:
    """The subscription of post events, from ``cursor`` (microseconds) when there is one."""
    query = [("wantedCollections", "app.bsky.feed.post")]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    return f"{base}?{urlencode(query)}"


@dataclass
class JetstreamListener:
    """Listens to Jetstream and lands what the topic rules keep, batch by batch."""

    storage: LakeStore
    rules: TopicRules
    url: str = JETSTREAM_URL
    batch_seconds: float = 5.0
    max_event_bytes: int = MAX_EVENT_BYTES
    reconnect_seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    report: StreamReport = field(default_factory=StreamReport)
    #: Downloads the posts' images (from Bluesky's CDN); None lands them as their URLs.
    media_client: HttpClient | None = None

    def run(self, stop: threading.Event, max_batches: int | None = None) -> StreamReport:
        """Listen until ``stop`` is set (or ``max_batches`` batches have landed), reconnecting
        from the cursor whenever the connection drops."""
        from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException
        from websockets.sync.client import connect

        self.report.cursor = read_cursor(self.storage)
        while not stop.is_set() and not self._enough(max_batches):
            try:
                with connect(
                    subscribe_url(self.url, self.report.cursor),
                    max_size=self.max_event_bytes,
                    proxy=None,  # as the hardened HTTP client: no proxy picked up from the environment
                    open_timeout=10,
                    close_timeout=5,
                ) as socket:
                    self._listen(socket, stop, max_batches)
            except InvalidURI:
                raise
            except (OSError, InvalidHandshake, WebSocketException, TimeoutError):
                self.report.reconnects += 1
                stop.wait(self.reconnect_seconds)
        return self.report

    def _enough(self, max_batches: int | None) -> bool:
        return max_batches is not None and self.report.batches >= max_batches

    def _listen(self, socket: Any, stop: threading.Event, max_batches: int | None) -> None:
        batch, started = LiveBatch("bluesky"), self.clock()
        try:
            while not stop.is_set() and not self._enough(max_batches):
                try:
                    message = socket.recv(timeout=max(0.05, self.batch_seconds - (self.clock() - started)))
                except TimeoutError:
                    message = None
                if message is not None:
                    self._take(message, batch)
                if self.clock() - started >= self.batch_seconds:
                    self._land(batch)
                    batch, started = LiveBatch("bluesky"), self.clock()
        finally:
            self._land(batch)  # what arrived before the connection dropped is not lost

    def _take(self, message: str | bytes, batch: LiveBatch) -> None:
        self.report.events += 1
        try:
            event = orjson.loads(message)
        except orjson.JSONDecodeError:
            self.report.skipped["invalid_json"] += 1
            return
        time_us = event.get("time_us") if isinstance(event, dict) else None
        if not isinstance(time_us, int) or isinstance(time_us, bool):
            self.report.skipped["no_time_us"] += 1
            return
        if self.report.cursor is not None and time_us <= self.report.cursor:
            self.report.skipped["replayed"] += 1  # landed before the reconnect
            return
        batch.add(message if isinstance(message, str) else message.decode("utf-8", "replace"), time_us)

    def _land(self, batch: LiveBatch) -> None:
        if not batch.texts:
            return
        landed = land_live_batch(self.storage, batch, self.rules, self.media_client)
        self.report.landed += landed.landed
        self.report.skipped.update(landed.skipped)
        self.report.batches += 1
        # The cursor moves only once the batch is in the lake: a crash before this replays it.
        self.report.cursor = batch.last_position
        self.storage.write_bytes(CURSOR_KEY, orjson.dumps({"time_us": batch.last_position}))
