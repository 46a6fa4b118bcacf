"""Encoded responses kept per warehouse snapshot.

A snapshot never changes once published, so a response computed on one is right for as long as
that snapshot is the latest: the cache is keyed by the snapshot's version and the request, and
emptied the first time a request sees a newer version. Readers therefore never see a mix of two
snapshots, and a writer never waits on the cache (it only publishes a new snapshot).
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ResponseCache:
    """At most ``max_entries`` encoded bodies of the current snapshot, least recently used out."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._version: str | None = None
        self._lock = threading.Lock()

    def get(self, version: str | None, key: str) -> bytes | None:
        """The body stored for ``key`` on snapshot ``version``, if any."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
                return None
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, version: str | None, key: str, body: bytes) -> None:
        """Keep ``body`` for ``key`` if ``version`` is still the snapshot the cache holds."""
        if self.max_entries <= 0:
            return
        with self._lock:
            if version != self._version:
                return
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
