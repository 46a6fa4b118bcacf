"""Writing the mock network's output into the landing zone: one hour at a time, or as a firehose."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sentiment_platform.lib.lake_layout import LANDING_DATASETS, landing_prefix
from sentiment_platform.lib.partition_hours import floor_hour
from sentiment_platform.sources.mock_network.config import MockFeedConfig
from sentiment_platform.sources.mock_network.generator import generate_hour

if TYPE_CHECKING:  # the lake is a resource: the sources only type-hint it
    from sentiment_platform.lib.lake_store import LakeStore

log = logging.getLogger(__name__)


def land_hour(storage: LakeStore, hour: datetime, config: MockFeedConfig = MockFeedConfig()) -> dict[str, int]:
    """Land a whole past hour as one batch per dataset (the pull mode used by backfills).

    The batch name is fixed per hour, so landing the same hour twice rewrites identical objects.
    """
    return land_window(storage, hour, hour + timedelta(hours=1), config, batch_name=f"mockfeed-{hour:%Y%m%d%H}")


def land_window(
    storage: LakeStore,
    start: datetime,
    end: datetime,
    config: MockFeedConfig = MockFeedConfig(),
    batch_name: str | None = None,
) -> dict[str, int]:
    """Land what the network sent in [start, end): JSON-lines batches per hour and dataset, and images.

    Returns the number of records landed per dataset (and ``images``).
    """
    counts = dict.fromkeys((*LANDING_DATASETS, "images"), 0)
    hour = floor_hour(start)
    while hour < end:
        batch = generate_hour(hour, config)
        name = batch_name or f"firehose-{int(start.timestamp() * 1000)}-{int(end.timestamp() * 1000)}"
        for image in batch.images:
            if start <= image.emit_at < end and not storage.exists(image.key):
                storage.write_bytes(image.key, image.data)
                counts["images"] += 1
        for dataset in LANDING_DATASETS:
            lines = [record.line for record in batch.records(dataset) if start <= record.emit_at < end]
            if lines:
                storage.write_bytes(f"{landing_prefix(dataset, hour)}{name}.jsonl", b"\n".join(lines) + b"\n")
                counts[dataset] += len(lines)
        hour += timedelta(hours=1)
    return counts


def run_firehose(
    storage: LakeStore,
    interval: float = 5.0,
    rate: float | None = None,
    config: MockFeedConfig = MockFeedConfig(),
    stop: threading.Event | None = None,
    max_batches: int | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_batch: Callable[[datetime, datetime, dict[str, int]], None] | None = None,
    catch_up: timedelta | None = None,
) -> int:
    """Keep landing what the network sends, every ``interval`` seconds, until stopped.

    ``rate`` is the mean number of posts per minute (it overrides ``config.posts_per_hour``);
    ``catch_up`` makes the first batch also cover that much time before the start.
    Returns the number of batches written.
    """
    if interval <= 0:
        raise ValueError("interval must be positive")
    if rate is not None:
        config = replace(config, posts_per_hour=round(rate * 60))
    stop = stop or threading.Event()
    last = clock() - (catch_up or timedelta(seconds=interval))
    batches = 0
    while not stop.is_set() and (max_batches is None or batches < max_batches):
        now = clock()
        counts = land_window(storage, last, now, config)
        batches += 1
        log.info("landed %s for [%s, %s)", counts, last.isoformat(), now.isoformat())
        if on_batch:
            on_batch(last, now, counts)
        last = now
        if max_batches is not None and batches >= max_batches:
            break
        stop.wait(interval)
    return batches
