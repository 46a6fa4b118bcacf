"""The landing sensor over a real S3-compatible server: ticks, restarts, late objects, big hours."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from sentiment_platform.definitions import build_definitions
from sentiment_platform.defs.ingestion.landing_sensor import landing_sensor
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.lib.landing_scan import (
    ScanCursor,
    hour_of_key,
    run_key,
    scan_landing,
)
from sentiment_platform.partitions import hour_partition_key
from sentiment_platform.resources.clock import FixedClock
from sentiment_platform.resources.scan_limits import LandingScan
from sentiment_platform.sources.mock_network import MockFeedConfig
from sentiment_platform.sources.mock_network.landing import land_window

defs = build_definitions()

pytestmark = [pytest.mark.clock, pytest.mark.materialize]

NOW = datetime(2026, 11, 20, 13, 40, tzinfo=UTC)
INSTANCE = DagsterInstance.ephemeral()


def test_keys_map_to_hours_or_to_nothing():
    assert hour_of_key("landing/posts/2026/11/20/13/b.jsonl") == datetime(2026, 11, 20, 13, tzinfo=UTC)
    for key in (
        "landing/posts/2026/13/40/99/b.jsonl",
        "landing/images/abc.jpg",
        "landing/posts/2026/11/20/13/x.txt",
        "landing/unknown/2026/11/20/13/b.jsonl",
        "landing/posts/2026/11/20/13/sub/b.jsonl",
    ):
        assert hour_of_key(key) is None


def tick(storage, cursor, now, **options):
    """One sensor evaluation through Dagster at ``now``, returning (partition keys requested, new cursor, result)."""
    # With the repository, Dagster checks each requested partition exists, as the daemon does.
    context = build_sensor_context(
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        instance=INSTANCE,
        resources={
            "storage": storage,
            "clock": FixedClock(at=now.isoformat()),
            "landing_scan": LandingScan(lookback_hours=30, rotation_hours=6, **options),
        },
    )
    result = landing_sensor(context)
    requests = sorted(r.partition_key for r in (result.run_requests or []))
    return requests, result.cursor, result


def test_firehose_ticks_restart_and_a_late_object_give_one_request_each(s3_lake):
    config = MockFeedConfig()
    # Three firehose batches, the first straddling the hour boundary.
    land_window(s3_lake, NOW - timedelta(minutes=50), NOW - timedelta(minutes=35), config)
    requests, cursor, _ = tick(s3_lake, None, NOW)
    assert requests == ["2026-11-20-12:00", "2026-11-20-13:00"]
    again, cursor, _ = tick(s3_lake, cursor, NOW)
    assert again == []  # nothing new: nothing requested

    land_window(s3_lake, NOW - timedelta(minutes=35), NOW - timedelta(minutes=30), config)
    requests, cursor, _ = tick(s3_lake, cursor, NOW)
    assert requests == ["2026-11-20-13:00"]

    # A restart: the sensor comes back with only its stored cursor.
    restored = ScanCursor.from_json(cursor).to_json()
    land_window(s3_lake, NOW - timedelta(minutes=30), NOW - timedelta(minutes=20), config)
    requests, cursor, _ = tick(s3_lake, restored, NOW)
    assert requests == ["2026-11-20-13:00"]
    assert tick(s3_lake, cursor, NOW)[0] == []

    # A late object for yesterday is requested on the next tick, once.
    late_hour = datetime(2026, 11, 19, 10, tzinfo=UTC)
    s3_lake.write_bytes(landing_prefix("posts", late_hour) + "late.jsonl", b'{"id": "late"}\n')
    assert tick(s3_lake, cursor, NOW)[0] == [hour_partition_key(late_hour)]
    requests, cursor, _ = tick(s3_lake, tick(s3_lake, cursor, NOW)[1], NOW)
    assert requests == []


def test_late_objects_for_old_hours_are_found_by_the_rotation(lake):
    cursor = scan_landing(lake, ScanCursor(), NOW).cursor
    old_hour = datetime(2026, 11, 15, 7, tzinfo=UTC)
    lake.write_bytes(landing_prefix("users", old_hour) + "late.jsonl", b'{"user_id": "u1"}\n')
    found = []
    for _ in range(6):  # 5 older days (to the 7-day horizon) at 24 hours per tick: one full rotation
        result = scan_landing(lake, cursor, NOW)
        cursor, found = result.cursor, found + list(result.requests)
    assert found == [hour_partition_key(old_hour)]


def test_the_cursor_forgets_hours_past_the_horizon(lake):
    for days in (1, 3, 9, 30):
        lake.write_bytes(landing_prefix("posts", NOW - timedelta(days=days)) + "b.jsonl", b"{}\n")
    cursor = ScanCursor()
    for _ in range(10):
        cursor = scan_landing(lake, cursor, NOW, horizon_hours=168).cursor
    assert len(cursor.hours) == 2  # 9 and 30 days back are past the horizon
    later = NOW + timedelta(days=5)  # the 1-day-old hour is 6 days old; the 3-day-old one has left
    assert len(scan_landing(lake, cursor, later, horizon_hours=168).cursor.hours) == 1


def test_run_keys_make_requests_idempotent(lake):
    land_window(lake, NOW - timedelta(minutes=10), NOW, MockFeedConfig())
    first = scan_landing(lake, ScanCursor(), NOW)
    second = scan_landing(lake, ScanCursor(), NOW)  # a replay from the same cursor
    assert first.requests == second.requests
    _, _, result = tick(lake, None, NOW)
    keys = {r.run_key for r in result.run_requests}
    assert len(keys) == len(result.run_requests) == 1
    # The same objects give the same key whenever the tick runs.
    _, _, later = tick(lake, None, NOW + timedelta(minutes=20))
    assert {r.run_key for r in later.run_requests} == keys


def test_objects_older_than_the_cursor_and_rewritten_objects_are_requested(lake):
    import os

    hour = datetime(2026, 11, 20, 13, tzinfo=UTC)
    lake.write_bytes(landing_prefix("posts", hour) + "a.jsonl", b'{"id": "a"}\n')
    first = scan_landing(lake, ScanCursor(), NOW)
    (key,) = [scan_landing_key(first)]
    # An object moved in with an old modification time (mv, rsync -t, cp -p, a multipart upload).
    late = Path(lake.root) / landing_prefix("posts", hour) / "b.jsonl"
    late.write_bytes(b'{"id": "b"}\n')
    old = (hour - timedelta(days=2)).timestamp()
    os.utime(late, (old, old))
    second = scan_landing(lake, first.cursor, NOW)
    assert list(second.requests) == ["2026-11-20-13:00"] and scan_landing_key(second) != key
    # A correction: the same key rewritten with other content gets a new run key.
    lake.write_bytes(landing_prefix("posts", hour) + "a.jsonl", b'{"id": "A"}\n')
    third = scan_landing(lake, second.cursor, NOW)
    assert list(third.requests) == ["2026-11-20-13:00"] and scan_landing_key(third) not in {
        key,
        scan_landing_key(second),
    }
    assert scan_landing(lake, third.cursor, NOW).requests == {}


def scan_landing_key(result) -> str:
    ((partition, change),) = result.requests.items()
    return run_key(partition, change.digest)


def test_the_sensor_and_the_asset_read_the_same_objects(lake):
    from sentiment_platform.defs.ingestion.raw_data import landed_objects

    hour = datetime(2026, 11, 20, 13, tzinfo=UTC)
    prefix = landing_prefix("posts", hour)
    for name in ("a.jsonl", "nested/b.jsonl", "notes.txt"):
        lake.write_bytes(prefix + name, b'{"id": "x"}\n')
    result = scan_landing(lake, ScanCursor(), NOW)
    assert result.requests["2026-11-20-13:00"].objects == 1
    assert result.unmatched == [prefix + "nested/b.jsonl", prefix + "notes.txt"]
    assert [obj.key for obj in landed_objects(lake, "posts", hour)] == [prefix + "a.jsonl"]
    # A change in a nested folder is no change of the hour: nothing reads it.
    lake.write_bytes(prefix + "nested/c.jsonl", b"{}\n")
    assert scan_landing(lake, result.cursor, NOW).requests == {}


def test_2500_objects_in_one_hour_paginate_into_one_request(s3_lake):
    hour = datetime(2026, 11, 20, 13, tzinfo=UTC)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: s3_lake.write_bytes(f"{landing_prefix('posts', hour)}batch-{i:05d}.jsonl", b"{}\n"),
                range(2500),
            )
        )
    s3_lake.write_bytes(f"{landing_prefix('posts', hour)}notes.txt", b"stray")
    result = scan_landing(s3_lake, ScanCursor(), NOW, lookback_hours=1, rotation_hours=0)
    assert result.requests["2026-11-20-13:00"].objects == 2500
    assert result.unmatched == ["landing/posts/2026/11/20/13/notes.txt"]
    assert scan_landing(s3_lake, result.cursor, NOW, lookback_hours=1, rotation_hours=0).requests == {}


def test_the_per_tick_cap_takes_the_oldest_hours_first_and_loses_none(lake):
    hours = [datetime(2026, 11, 20, h, tzinfo=UTC) for h in (8, 9, 10, 11, 12)]
    for hour in hours:
        lake.write_bytes(landing_prefix("interactions", hour) + "b.jsonl", b"{}\n")
    cursor, requested = ScanCursor(), []
    for _ in range(4):
        result = scan_landing(lake, cursor, NOW, max_runs=2)
        cursor = result.cursor
        requested.append(sorted(result.requests))
    assert requested == [
        [hour_partition_key(h) for h in hours[:2]],
        [hour_partition_key(h) for h in hours[2:4]],
        [hour_partition_key(hours[4])],
        [],
    ]


def test_an_hour_with_a_run_in_flight_waits_and_its_next_run_takes_every_batch_landed_meanwhile(lake):
    from dagster import DagsterRunStatus

    hour = datetime(2026, 11, 20, 13, tzinfo=UTC)
    instance = DagsterInstance.ephemeral()
    lake.write_bytes(landing_prefix("posts", hour) + "a.jsonl", b"{}\n")
    context = build_sensor_context(
        repository_def=defs.get_repository_def(),
        instance=instance,
        resources={"storage": lake, "clock": FixedClock(at=NOW.isoformat()), "landing_scan": LandingScan()},
    )
    first = landing_sensor(context)
    assert [r.partition_key for r in first.run_requests] == [hour_partition_key(hour)]
    # The run it asked for is in progress; two more batches land meanwhile.
    job = defs.get_implicit_global_asset_job_def()
    tags = {"dagster/partition": hour_partition_key(hour), "dagster/sensor_name": "landing_sensor"}
    run = instance.create_run_for_job(job, tags=tags, status=DagsterRunStatus.STARTED)
    lake.write_bytes(landing_prefix("posts", hour) + "b.jsonl", b"{}\n")
    context.update_cursor(first.cursor)
    waiting = landing_sensor(context)
    assert not waiting.run_requests  # no second run queued behind the first
    lake.write_bytes(landing_prefix("posts", hour) + "c.jsonl", b"{}\n")
    instance.report_run_failed(run)  # finished (its outcome does not matter here)
    context.update_cursor(waiting.cursor)
    after = landing_sensor(context)
    assert [r.partition_key for r in after.run_requests] == [hour_partition_key(hour)]
    assert after.run_requests[0].tags["sentiment/objects"] == "3"  # one run for all three batches


def test_a_landed_hour_runs_from_its_ingestion_to_its_trend_tables_in_one_run():
    from sentiment_platform.defs.ingestion.landing_sensor import HOURLY_CHAIN

    graph = defs.resolve_asset_graph()
    chain = {key.to_user_string() for key in HOURLY_CHAIN.resolve(graph)}
    hourly = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).partitions_def == graph.get(next(iter(HOURLY_CHAIN.resolve(graph)))).partitions_def
    }
    # Every hourly asset is in the chain (the models and the daily assets follow by automation).
    assert chain == hourly and {"raw_posts", "sentiment_trends_15m", "warehouse_posts"} <= chain
