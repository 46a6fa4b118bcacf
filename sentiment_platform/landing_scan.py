"""Finding new objects in the landing zone, exactly once, for the landing sensor.

Listings are narrowed to hour prefixes (``landing/<dataset>/YYYY/MM/DD/HH/``). Each prefix keeps its
own cursor: the last-modified time it has been read up to and the keys seen at that instant, so a
new object is one modified later, or at that instant under a key not seen yet. Every tick lists
the last two days of hours, the hours left unfinished by the previous tick, and a rotating slice of
older hours (newest first), so objects that arrive late for an old hour are found too: within a
tick for the last two days, within one rotation for older hours. A cap on
new objects per tick keeps each tick short; an hour cut by the cap is finished on the next tick,
and its run is requested once the hour has no backlog left.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sentiment_platform.layout import LANDING_DATASETS, landing_prefix
from sentiment_platform.partitions import (
    PARTITIONS_START,
    floor_hour,
    hour_partition_key,
)
from sentiment_platform.resources.storage import LakeObject, LakeStorage

_KEY = re.compile(r"^landing/(?P<dataset>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/[^/]+\.jsonl$")


def hour_of_key(key: str) -> datetime | None:
    """The hour a landing batch key belongs to, or None if the key names no valid hour and dataset."""
    match = _KEY.match(key)
    if not match or match["dataset"] not in LANDING_DATASETS:
        return None
    try:
        return datetime(int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]), tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass
class ScanCursor:
    """What the sensor remembers between ticks (serialised as JSON in the sensor cursor)."""

    prefixes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # prefix -> (iso time, keys)
    rotation: str | None = None  # next old hour the rotation lists
    pending: list[str] = field(default_factory=list)  # hours (iso) cut by the cap

    def to_json(self) -> str:
        return json.dumps({"prefixes": self.prefixes, "rotation": self.rotation, "pending": self.pending},
                          sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> "ScanCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls({k: (v[0], list(v[1])) for k, v in data["prefixes"].items()}, data.get("rotation"), data.get("pending", []))


@dataclass
class ScanResult:
    requests: dict[str, list[str]]  # partition key -> new object keys that triggered it
    unmatched: list[str]
    listed_prefixes: int
    new_objects: int
    capped: bool
    cursor: ScanCursor


def run_key(partition: str, keys: list[str]) -> str:
    """Idempotent run key: the same partition and objects always give the same key."""
    return f"{partition}:{hashlib.sha256(chr(10).join(sorted(keys)).encode()).hexdigest()[:16]}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _hours_to_list(cursor: ScanCursor, now: datetime, lookback_hours: int, rotation_hours: int,
                   start: datetime) -> tuple[list[datetime], str | None]:
    current = floor_hour(now)
    recent = [current - timedelta(hours=i) for i in range(lookback_hours + 1)]
    pending = [datetime.fromisoformat(iso) for iso in cursor.pending]
    oldest_recent = current - timedelta(hours=lookback_hours)
    # The rotation walks back from the newest old hour (late data is most often recent) to the
    # first partition, then starts again.
    rotation: list[datetime] = []
    newest_old = oldest_recent - timedelta(hours=1)
    position = datetime.fromisoformat(cursor.rotation) if cursor.rotation else newest_old
    if newest_old >= start:
        for _ in range(rotation_hours):
            if position < start or position > newest_old:
                position = newest_old
            rotation.append(position)
            position -= timedelta(hours=1)
    hours = sorted(set(pending + recent + rotation), reverse=True)
    return hours, _iso(position) if rotation else cursor.rotation


def scan_landing(storage: LakeStorage, cursor: ScanCursor, now: datetime, lookback_hours: int = 48,
                 rotation_hours: int = 24, max_new_objects: int = 1000,
                 start: datetime = PARTITIONS_START) -> ScanResult:
    """One tick: list the hours due, pick the new objects (oldest first, at most
    ``max_new_objects``), advance each prefix's cursor, and group them into partitions to run."""
    hours, rotation = _hours_to_list(cursor, now, lookback_hours, rotation_hours, start)
    candidates: list[tuple[LakeObject, str]] = []
    unmatched: list[str] = []
    listed = 0
    for hour in hours:
        for dataset in LANDING_DATASETS:
            prefix = landing_prefix(dataset, hour)
            listed += 1
            seen_at, seen_keys = cursor.prefixes.get(prefix, (None, []))
            mark = datetime.fromisoformat(seen_at) if seen_at else None
            known = set(seen_keys)
            for obj in storage.iter_objects(prefix):
                if hour_of_key(obj.key) != hour:
                    unmatched.append(obj.key)
                    continue
                if mark is None or obj.last_modified > mark or (obj.last_modified == mark and obj.key not in known):
                    candidates.append((obj, prefix))
    candidates.sort(key=lambda item: (item[0].last_modified, item[0].key))
    taken, left = candidates[:max_new_objects], candidates[max_new_objects:]

    prefixes = dict(cursor.prefixes)
    touched: dict[datetime, list[str]] = {}
    for obj, prefix in taken:
        seen_at, seen_keys = prefixes.get(prefix, (None, []))
        instant = _iso(obj.last_modified)
        prefixes[prefix] = (instant, [*seen_keys, obj.key] if seen_at == instant else [obj.key])
        touched.setdefault(hour_of_key(obj.key), []).append(obj.key)
    unfinished = {hour_of_key(obj.key) for obj, _ in left}
    requests = {hour_partition_key(hour): keys for hour, keys in touched.items() if hour not in unfinished}
    new_cursor = ScanCursor(prefixes, rotation, sorted(_iso(hour) for hour in unfinished))
    return ScanResult(requests, sorted(set(unmatched)), listed, len(taken), bool(left), new_cursor)
