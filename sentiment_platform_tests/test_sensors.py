"""The landing sensor over a real S3-compatible server: ticks, restarts, late objects, big hours."""

from datetime import datetime, timedelta, timezone

import pytest
from dagster import build_sensor_context

from sentiment_platform.definitions import defs
from sentiment_platform.landing_scan import ScanCursor, hour_of_key, scan_landing
from sentiment_platform.layout import landing_prefix
from sentiment_platform.mockfeed import MockFeedConfig
from sentiment_platform.mockfeed.landing import land_window
from sentiment_platform.partitions import hour_partition_key
from sentiment_platform.sensors import LandingScan, landing_sensor

NOW = datetime(2026, 11, 20, 13, 40, tzinfo=timezone.utc)


def test_keys_map_to_hours_or_to_nothing():
    assert hour_of_key("landing/posts/2026/11/20/13/b.jsonl") == datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    for key in ("landing/posts/2026/13/40/99/b.jsonl", "landing/images/abc.jpg", "landing/posts/2026/11/20/13/x.txt",
                "landing/unknown/2026/11/20/13/b.jsonl", "landing/posts/2026/11/20/13/sub/b.jsonl"):
        assert hour_of_key(key) is None


def tick(storage, cursor, now, **options):
    """One sensor evaluation through Dagster, returning (partition keys requested, new cursor)."""
    # With the repository, Dagster checks each requested partition exists, as the daemon does.
    context = build_sensor_context(cursor=cursor, repository_def=defs.get_repository_def(), resources={
        "storage": storage, "landing_scan": LandingScan(lookback_hours=30, rotation_hours=6, **options)})
    result = landing_sensor(context)
    requests = sorted(r.partition_key for r in (result.run_requests or []))
    return requests, result.cursor, result


def test_firehose_ticks_restart_and_a_late_object_give_one_request_each(s3_lake, monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr("sentiment_platform.sensors.datetime", type("Clock", (), {"now": staticmethod(lambda tz=None: clock["now"])}))
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
    late_hour = datetime(2026, 11, 19, 10, tzinfo=timezone.utc)
    s3_lake.write_bytes(landing_prefix("posts", late_hour) + "late.jsonl", b'{"id": "late"}\n')
    assert tick(s3_lake, cursor, NOW)[0] == [hour_partition_key(late_hour)]
    requests, cursor, _ = tick(s3_lake, tick(s3_lake, cursor, NOW)[1], NOW)
    assert requests == []


def test_late_objects_for_old_hours_are_found_by_the_rotation(lake):
    start = datetime(2026, 11, 10, tzinfo=timezone.utc)
    cursor = scan_landing(lake, ScanCursor(), NOW, start=start).cursor
    old_hour = datetime(2026, 11, 12, 7, tzinfo=timezone.utc)
    lake.write_bytes(landing_prefix("users", old_hour) + "late.jsonl", b'{"user_id": "u1"}\n')
    found = []
    for _ in range(10):  # 8 older days at 24 hours per tick: one full rotation
        result = scan_landing(lake, cursor, NOW, start=start)
        cursor, found = result.cursor, found + list(result.requests)
    assert found == [hour_partition_key(old_hour)]


def test_run_keys_make_requests_idempotent(lake):
    land_window(lake, NOW - timedelta(minutes=10), NOW, MockFeedConfig())
    first = scan_landing(lake, ScanCursor(), NOW)
    second = scan_landing(lake, ScanCursor(), NOW)  # a replay from the same cursor
    assert first.requests == second.requests
    _, _, result = tick(lake, None, NOW)
    keys = {r.run_key for r in result.run_requests}
    assert len(keys) == len(result.run_requests) == 1


def test_2500_objects_in_one_hour_paginate_and_respect_the_per_tick_cap(s3_lake):
    hour = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: s3_lake.write_bytes(f"{landing_prefix('posts', hour)}batch-{i:05d}.jsonl", b"{}\n"),
                      range(2500)))
    s3_lake.write_bytes(f"{landing_prefix('posts', hour)}notes.txt", b"stray")
    cursor, seen, requests = ScanCursor(), 0, []
    for _ in range(3):
        result = scan_landing(s3_lake, cursor, NOW, lookback_hours=1, rotation_hours=0, max_new_objects=1000)
        cursor = result.cursor
        seen += result.new_objects
        requests.append(sorted(result.requests))
        assert result.unmatched == ["landing/posts/2026/11/20/13/notes.txt"]
    assert seen == 2500
    # The hour is requested once, when its backlog is drained, not on every capped tick.
    assert requests == [[], [], ["2026-11-20-13:00"]]
    assert scan_landing(s3_lake, cursor, NOW, lookback_hours=1, rotation_hours=0).new_objects == 0


@pytest.mark.parametrize("cap", [1, 7])
def test_objects_sharing_one_timestamp_are_neither_lost_nor_repeated(lake, cap):
    land_window(lake, NOW - timedelta(minutes=15), NOW, MockFeedConfig())
    expected = sum(1 for _ in lake.iter_objects("landing/posts/")) + sum(1 for _ in lake.iter_objects("landing/users/")) \
        + sum(1 for _ in lake.iter_objects("landing/interactions/"))
    cursor, total = ScanCursor(), 0
    for _ in range(50):
        result = scan_landing(lake, cursor, NOW, max_new_objects=cap)
        cursor, total = result.cursor, total + result.new_objects
    assert total == expected
