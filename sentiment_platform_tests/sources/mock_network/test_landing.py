import threading
from datetime import timedelta

from sentiment_platform.cli.main import main
from sentiment_platform.sources.mock_network import (
    MockFeedConfig,
    generate_hour,
    land_hour,
    land_window,
    run_firehose,
)
from sentiment_platform_tests.conftest import HOUR


def test_land_hour_is_idempotent(lake):
    first = land_hour(lake, HOUR)
    keys = lake.list_keys("landing/")
    contents = {key: lake.read_bytes(key) for key in keys}
    land_hour(lake, HOUR)
    assert lake.list_keys("landing/") == keys
    assert {key: lake.read_bytes(key) for key in keys} == contents
    assert first["posts"] == len(generate_hour(HOUR, MockFeedConfig()).posts)


def test_firehose_lands_steady_batches_over_time(any_lake):
    clock_values = iter([HOUR + timedelta(minutes=58) + timedelta(seconds=30 * step) for step in range(10)])
    batches = []
    count = run_firehose(
        any_lake,
        interval=0.01,
        rate=30,
        stop=threading.Event(),
        max_batches=5,
        clock=lambda: next(clock_values),
        on_batch=lambda s, e, c: batches.append(c),
    )
    assert count == 5
    assert all(c["posts"] > 0 for c in batches)
    post_keys = any_lake.list_keys("landing/posts/")
    # The window crosses 14:00, so batches land under both hours.
    assert any("/2026/11/20/13/firehose-" in key for key in post_keys)
    assert any("/2026/11/20/14/firehose-" in key for key in post_keys)
    assert any_lake.list_keys("landing/images/")


def test_land_window_only_lands_what_was_sent_in_it(lake):
    start = HOUR + timedelta(minutes=10)
    counts = land_window(lake, start, start + timedelta(minutes=5))
    batch = generate_hour(HOUR, MockFeedConfig())
    assert counts["posts"] == sum(start <= r.emit_at < start + timedelta(minutes=5) for r in batch.posts)


def test_mockfeed_command_runs_against_local_and_s3(tmp_path, s3_lake, s3_endpoint):
    assert (
        main(
            ["mockfeed", "--interval", "0.05", "--max-batches", "2", "--since", "10", "--lake", str(tmp_path / "lake")]
        )
        == 0
    )
    assert (tmp_path / "lake" / "landing" / "posts").is_dir()
    assert (
        main(
            [
                "mockfeed",
                "--interval",
                "0.05",
                "--max-batches",
                "2",
                "--since",
                "10",
                "--lake",
                s3_lake.root,
                "--endpoint-url",
                s3_endpoint,
            ]
        )
        == 0
    )
    assert s3_lake.list_keys("landing/posts/")
