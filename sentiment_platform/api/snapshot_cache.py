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
    """At most ``max_entries`` values computed on the current snapshot, and at most ``max_bytes``
    of keys and encoded answers together (values that are not bytes count their key only), least
    recently used out. A value larger than a quarter of ``max_bytes`` is not kept at all, so one
    answer never empties the cache and distinct long query strings cannot grow it without bound."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._version: str | None = None
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """Bytes the kept keys and answers take now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, version: str | None, key: Any) -> Any:
        """The value stored for ``key`` on snapshot ``version``, or None."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._bytes = 0
                self._version = version
                return None
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, version: str | None, key: Any, value: Any) -> None:
        """Keep ``value`` for ``key`` if ``version`` is still the snapshot the cache holds."""
        size = _size(key) + (len(value) if isinstance(value, (bytes, bytearray)) else 0)
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return
        with self._lock:
            if version != self._version:
                return
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._entries.popitem(last=False)[1][1]


def _size(key: Any) -> int:
    if isinstance(key, str):
        return len(key.encode("utf-8", "surrogatepass"))
    if isinstance(key, tuple):
        return sum(_size(part) for part in key)
    return 64


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
