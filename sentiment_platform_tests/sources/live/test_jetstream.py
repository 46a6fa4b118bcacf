"""The Bluesky listener against a local Jetstream that speaks its wire format: topic rules, the
cursor across reconnects and restarts, the events that are not posts, hostile messages."""

import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.sources.live.jetstream import CURSOR_KEY, JetstreamListener, read_cursor
from sentiment_platform.sources.live.topic_rules import TopicRules
from sentiment_platform.sources.mock_network.jetstream_server import MockJetstream, post_event

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)
RULES = TopicRules.parse("climate=climate|heatwave|#climate;tech=#ai|open source")


def _events(count: int, start_us: int = 1_763_643_600_000_000) -> list[dict]:
    texts = ["The heatwave again, third week", "New #AI model released today", "Lunch was fine"]
    return [
        post_event(
            f"did:plc:user{i % 4}",
            f"3lpost{i:04d}",
            start_us + i * 1_000_000,
            texts[i % 3],
            (HOUR + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
            ["en"],
        )
        for i in range(count)
    ]


def _landed(lake) -> list[dict]:
    keys = lake.list_keys(landing_prefix("posts", HOUR))
    return [orjson.loads(line) for key in keys for line in lake.read_bytes(key).splitlines() if line.strip()]


def _listen(lake, server, max_batches=None, seconds=None, **options):
    stop = threading.Event()
    if seconds is not None:
        threading.Timer(seconds, stop.set).start()
    listener = JetstreamListener(lake, RULES, url=server.url, batch_seconds=0.4, reconnect_seconds=0.05, **options)
    return listener.run(stop, max_batches=max_batches)


def test_posts_the_rules_keep_land_as_the_import_lands_them_and_the_rest_are_counted(lake):
    deletion = {
        "did": "did:plc:user1",
        "time_us": 1,
        "kind": "commit",
        "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3lgone"},
    }
    identity = {"did": "did:plc:user2", "time_us": 2, "kind": "identity", "identity": {"handle": "a.bsky.social"}}
    raw = [orjson.dumps(deletion).decode(), orjson.dumps(identity).decode(), "{not json", '{"kind": "commit"}']
    with MockJetstream(_events(9), raw=raw) as server:
        report = _listen(lake, server, max_batches=1)
    landed = _landed(lake)
    # Six of nine match a rule (the lunch posts match none); ids are the posts' at:// URIs.
    assert sorted(post["topic"] for post in landed) == ["climate"] * 3 + ["tech"] * 3
    assert all(post["id"].startswith("at://did:plc:user") and post["source"] == "bluesky" for post in landed)
    assert report.landed == 6 and report.skipped["off_topic"] == 3
    assert report.skipped["invalid_json"] == 1 and report.skipped["no_time_us"] == 1
    assert report.skipped["not_a_post:bluesky"] == 2  # the deletion and the identity event
    # Cleansing reads them like any landed batch: true UTC times, the text as posted.
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    cleaned = clean_posts(files, hour=HOUR).cleaned
    assert cleaned.height == 6 and cleaned["created_at"].min() == HOUR
    assert read_cursor(lake) == _events(9)[-1]["time_us"]


def test_a_dropped_connection_and_a_restart_leave_no_gap_and_no_duplicate(lake):
    events = _events(12)
    with MockJetstream(events, drop_after=5) as server:
        first = _listen(lake, server, max_batches=2)
        assert first.reconnects == 1 and len(server.connections) == 2
        # The second connection asked for the cursor of what had landed.
        assert server.connections[1]["cursor"] == [str(events[4]["time_us"])]
        assert first.skipped["replayed"] == 1  # Jetstream resends the cursor's own event
        restarted = _listen(lake, server, seconds=1.5)  # a new process: the cursor is in the lake
    assert server.connections[2]["cursor"] == [str(events[-1]["time_us"])] and restarted.landed == 0
    ids = [post["id"] for post in _landed(lake)]
    assert len(ids) == len(set(ids)) == 8  # 12 events, 8 on a topic, each landed once


def test_an_oversized_message_closes_the_connection_and_the_listener_resumes_from_its_cursor(lake):
    huge = orjson.dumps(_events(1)[0] | {"padding": "x" * 300_000}).decode()
    with MockJetstream(_events(6), raw=[huge]) as server:
        report = _listen(lake, server, max_batches=1, max_event_bytes=64 * 1024)
    assert len(server.connections) >= 2 and report.landed == 4


def test_a_cursor_that_cannot_be_read_starts_from_now_rather_than_failing(lake):
    lake.write_bytes(CURSOR_KEY, b"{broken")
    assert read_cursor(lake) is None


@pytest.mark.parametrize("rule", ["", "climate", "=a|b", "climate=|"])
def test_unreadable_topic_rules_are_refused_with_the_rule(rule):
    from sentiment_platform.sources.live.topic_rules import TopicRuleError

    with pytest.raises(TopicRuleError):
        TopicRules.parse(rule)


def test_rules_match_words_and_hashtags_not_parts_of_words():
    rules = TopicRules.parse("tech=ai|#opensource;sport=fútbol")
    assert rules.topic_of("AI is everywhere") == "tech"
    assert rules.topic_of("the rain in Spain") is None  # "ai" inside a word
    assert rules.topic_of("loving #OpenSource") == "tech"
    assert rules.topic_of("FÚTBOL tonight") == "sport"


@pytest.mark.integration
def test_the_mock_network_served_as_jetstream_streams_into_the_landing_zone_and_an_hour_materializes(tmp_path):
    """`mockfeed --serve bluesky` and `stream --source bluesky`, as a user runs them; then the hour
    the stream landed is materialized from the landing zone alone."""
    import os
    import subprocess
    import sys
    import time

    from dagster import materialize

    from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
    from sentiment_platform.defs.ingestion.raw_data import landed_batches
    from sentiment_platform.lib.lake_layout import dataset_key
    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.partitions import hour_partition_key, partition_hour
    from sentiment_platform.resources.post_sources import LandingSource
    from sentiment_platform.resources.spark_engine import SparkEngine
    from sentiment_platform_tests.conftest import free_port

    port, cli = free_port(), [sys.executable, "-m", "sentiment_platform.cli.main"]
    env = {name: value for name, value in os.environ.items() if not name.startswith("SENTIMENT_")}
    server = subprocess.Popen([*cli, "mockfeed", "--serve", "bluesky", "--port", str(port), "--hours", "1"], env=env)
    try:
        for _ in range(100):
            try:
                with __import__("socket").create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        lake = tmp_path / "lake"
        url = f"ws://127.0.0.1:{port}/subscribe"
        done = subprocess.run(
            [
                *cli,
                "stream",
                "--source",
                "bluesky",
                "--url",
                url,
                "--max-batches",
                "1",
                "--batch-seconds",
                "3",
                "--lake",
                str(lake),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "posts landed in 1 batches" in done.stdout, done.stdout
    store = LocalLakeStore(str(lake))
    hours = sorted({"/".join(key.split("/")[2:6]) for key in store.list_keys("landing/posts/")})
    assert hours, "nothing landed"
    year, month, day, hour = hours[0].split("/")
    key = hour_partition_key(partition_hour(f"{year}-{month}-{day}-{hour}:00"))
    result = materialize(
        [landed_batches, cleaned_posts],
        partition_key=key,
        resources={"storage": store, "source": LandingSource(), "spark": SparkEngine()},
    )
    assert result.success
    cleaned = store.read_parquet(dataset_key("cleaned_posts", partition_hour(key)))
    assert cleaned.height > 100 and cleaned["source"].unique().to_list() == ["bluesky"]


def test_a_posts_image_blobs_are_its_images_alike_streamed_and_imported(lake, tmp_path):
    from sentiment_platform.sources.archives.archive_landing import import_archives
    from sentiment_platform.sources.archives.field_mapping import ImportOptions
    from sentiment_platform.sources.archives.formats import FORMATS

    event = _events(1)[0]
    event["commit"]["record"]["embed"] = {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": "a chart",
                "image": {"$type": "blob", "ref": {"$link": "bafkreiabc123"}, "mimeType": "image/jpeg", "size": 1234},
            }
        ],
    }
    with MockJetstream([event]) as server:
        _listen(lake, server, max_batches=1)
    dump = tmp_path / "events.jsonl"
    dump.write_text(orjson.dumps(event).decode() + "\n")
    other = type(lake)(str(tmp_path / "imported"))
    import_archives(other, [dump], FORMATS["bluesky"], ImportOptions(topic="climate"), HOUR - timedelta(days=1))
    streamed, imported = (
        clean_posts(
            [(k, store.read_bytes(k)) for k in store.list_keys(landing_prefix("posts", HOUR))], hour=HOUR
        ).cleaned
        for store in (lake, other)
    )
    url = "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:user0/bafkreiabc123@jpeg"
    assert streamed["image_keys"].to_list() == imported["image_keys"].to_list() == [[url]]
    assert streamed.select("post_id", "text", "created_at", "lang").equals(
        imported.select("post_id", "text", "created_at", "lang")
    )
