"""Finding what changed in the landing zone, for the landing sensor.

An hour's batches are the JSON-lines objects directly in its folders
(``landing/<dataset>/YYYY/MM/DD/HH/*.jsonl``): :func:`hour_batches` finds them, for the sensor and
for the ingestion assets alike, so both always see the same set. The cursor keeps, per hour, a
digest of that set: every key with its version (the ETag on S3; size, mtime and ctime on disk). An
hour whose digest changed (an object added, removed or rewritten, whatever its timestamp says) is
requested with a run key made from the digest: the same objects in the same versions always give
the same key, a correction gives a new one.

Every tick lists the last ``lookback_hours`` hours, the hours a previous tick's cap left over, and a
rotating slice of the older hours back to ``horizon_hours``. Hours past the horizon leave the cursor,
so it stays bounded (one digest per hour); late data for them is picked up by a backfill.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sentiment_platform.lib.lake_layout import (
    LANDING_DATASETS,
    LakeObject,
    landing_prefix,
)
from sentiment_platform.lib.partition_hours import (
    PARTITIONS_START,
    floor_hour,
    hour_partition_key,
)

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: The metadata entry in which the ingestion assets record the digest of the landing they read.
LANDING_DIGEST = "landing_digest"

_KEY = re.compile(r"^landing/(?P<dataset>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/[^/]+\.jsonl$")


def hour_of_key(key: str) -> datetime | None:
    """The hour a landing batch key belongs to, or None if the key names no valid hour and dataset."""
    match = _KEY.match(key)
    if not match or match["dataset"] not in LANDING_DATASETS:
        return None
    try:
        return datetime(int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]), tzinfo=UTC)
    except ValueError:
        return None


def hour_batches(storage: LakeStore, dataset: str, hour: datetime) -> tuple[list[LakeObject], list[str]]:
    """The landed batches of ``dataset`` for ``hour`` in key order, and the keys under its folder
    that are not batches of it (nested folders, other extensions), which nothing reads."""
    batches, ignored = [], []
    for obj in storage.iter_objects(landing_prefix(dataset, hour)):
        (batches if hour_of_key(obj.key) == hour else ignored).append(obj)
    return batches, [obj.key for obj in ignored]


def hour_digest(objects: Sequence[LakeObject]) -> str:
    """A digest of the identities and versions of ``objects`` (order does not matter)."""
    listing = "\n".join(sorted(f"{obj.key}\t{obj.version}" for obj in objects))
    return hashlib.sha256(listing.encode()).hexdigest()


def run_key(partition: str, digest: str) -> str:
    """Idempotent run key: the same partition and object versions always give the same key."""
    return f"{partition}:{digest[:24]}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass
class ScanCursor:
    """What the sensor remembers between ticks (serialised as JSON in the sensor cursor)."""

    hours: dict[str, str] = field(default_factory=dict)  # hour (iso) -> digest of its batches
    rotation: str | None = None  # next old hour the rotation lists
    pending: list[str] = field(default_factory=list)  # changed hours (iso) left over by the cap

    def to_json(self) -> str:
        return json.dumps(
            {"hours": self.hours, "rotation": self.rotation, "pending": self.pending},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> ScanCursor:
        """The cursor stored by :meth:`to_json`; a missing or older-format one starts afresh."""
        data = json.loads(text) if text else {}
        if "hours" not in data:
            return cls()
        return cls(dict(data["hours"]), data.get("rotation"), list(data.get("pending", [])))


@dataclass(frozen=True)
class HourChange:
    """An hour whose batches changed since the cursor: what a run of it will read."""

    objects: int
    digest: str


@dataclass
class ScanResult:
    requests: dict[str, HourChange]  # partition key -> the hour's batches
    unmatched: list[str]
    listed_prefixes: int
    capped: bool
    cursor: ScanCursor


def _hours_to_list(
    cursor: ScanCursor, now: datetime, lookback_hours: int, rotation_hours: int, horizon: datetime
) -> tuple[list[datetime], str | None]:
    current = floor_hour(now)
    recent = [current - timedelta(hours=i) for i in range(lookback_hours + 1)]
    pending = [hour for hour in map(datetime.fromisoformat, cursor.pending) if horizon <= hour <= current]
    # The rotation walks back from the newest old hour (late data is most often recent) to the
    # horizon, then starts again.
    rotation: list[datetime] = []
    newest_old = current - timedelta(hours=lookback_hours + 1)
    position = datetime.fromisoformat(cursor.rotation) if cursor.rotation else newest_old
    if newest_old >= horizon:
        for _ in range(rotation_hours):
            if position < horizon or position > newest_old:
                position = newest_old
            rotation.append(position)
            position -= timedelta(hours=1)
    hours = sorted({hour for hour in pending + recent + rotation if hour >= horizon})
    return hours, _iso(position) if rotation else cursor.rotation


def scan_landing(
    storage: LakeStore,
    cursor: ScanCursor,
    now: datetime,
    lookback_hours: int = 48,
    rotation_hours: int = 24,
    horizon_hours: int = 168,
    max_runs: int = 100,
    start: datetime = PARTITIONS_START,
    busy: frozenset[str] = frozenset(),
) -> ScanResult:
    """One tick: list the hours due, find those whose batches changed, request at most
    ``max_runs`` of them (oldest first; the rest wait for the next tick) and advance the cursor.

    A changed hour whose partition is ``busy`` (a run of it is queued or in progress) is neither
    requested nor recorded: the next tick sees the change again, and one run then takes every
    batch that landed meanwhile (a steady stream makes one run at a time per hour, not a queue)."""
    horizon = max(start, floor_hour(now) - timedelta(hours=horizon_hours))
    hours, rotation = _hours_to_list(cursor, now, lookback_hours, rotation_hours, horizon)
    changed: list[tuple[datetime, HourChange]] = []
    unmatched: list[str] = []
    for hour in hours:
        objects: list[LakeObject] = []
        for dataset in LANDING_DATASETS:
            batches, ignored = hour_batches(storage, dataset, hour)
            objects += batches
            unmatched += ignored
        digest = hour_digest(objects) if objects else None
        if digest != cursor.hours.get(_iso(hour)):
            changed.append((hour, HourChange(len(objects), digest or hour_digest([]))))
    waiting = [(hour, change) for hour, change in changed if hour_partition_key(hour) in busy]
    changed = [(hour, change) for hour, change in changed if hour_partition_key(hour) not in busy]
    taken, left = changed[:max_runs], changed[max_runs:] + waiting
    kept = {iso: digest for iso, digest in cursor.hours.items() if datetime.fromisoformat(iso) >= horizon}
    for hour, change in taken:
        if change.objects:
            kept[_iso(hour)] = change.digest
        else:
            kept.pop(_iso(hour), None)
    requests = {hour_partition_key(hour): change for hour, change in taken}
    new_cursor = ScanCursor(kept, rotation, [_iso(hour) for hour, _ in left])
    return ScanResult(requests, sorted(set(unmatched)), len(hours) * len(LANDING_DATASETS), bool(left), new_cursor)
