"""Answers kept per warehouse snapshot.

A snapshot never changes once published, so anything computed on one (an encoded response, a
topic's whole trend series) is right for as long as that snapshot is the latest: the cache is keyed
by the snapshot's version and a key, and emptied the first time a lookup sees a newer version.
Readers therefore never see a mix of two snapshots, and a writer never waits on the cache (it
only publishes a new snapshot).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class SnapshotCache:
    """At most ``max_entries`` values computed on the current snapshot, least recently used out."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._version: str | None = None
        self._lock = threading.Lock()

    def get(self, version: str | None, key: Any) -> Any:
        """The value stored for ``key`` on snapshot ``version``, or None."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
                return None
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, version: str | None, key: Any, value: Any) -> None:
        """Keep ``value`` for ``key`` if ``version`` is still the snapshot the cache holds."""
        if self.max_entries <= 0:
            return
        with self._lock:
            if version != self._version:
                return
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def request_key(scope: dict) -> str:
    """The cache key of an HTTP request: its path and query string, as sent."""
    return scope["path"] + "?" + scope["query_string"].decode("latin-1")


class CachedAnswers:
    """ASGI middleware: a GET whose answer on the latest snapshot is in ``cache`` is answered from
    it before routing (the request was validated when that answer was made; errors are never
    kept); anything else goes on to ``app``."""

    def __init__(self, app: Any, cache: SnapshotCache, version: Any) -> None:
        self.app, self.cache, self.version = app, cache, version

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self.cache.get(self.version(), request_key(scope))
            if body is not None:
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
