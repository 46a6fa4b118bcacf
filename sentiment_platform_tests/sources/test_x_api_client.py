"""The X API v2 source end to end against the mock network's HTTP server on 127.0.0.1."""

from datetime import timedelta

import orjson
import polars as pl
import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
from sentiment_platform.lib.lake_layout import dataset_key, landing_prefix
from sentiment_platform.resources.post_sources import XApiSource
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.sources.mock_network.x_api_server import MockXApiServer
from sentiment_platform.sources.x_api_client import (
    XApiClient,
    XApiError,
    land_x_api_hour,
)
from sentiment_platform_tests.conftest import HOUR, PARTITION

pytestmark = pytest.mark.integration

TOKEN = "test-token-not-a-secret"


@pytest.fixture
def server():
    server = MockXApiServer(bearer_token=TOKEN, rate_limit_reset_s=0.2).start()
    yield server
    server.stop()


def client(server, **options) -> XApiClient:
    return XApiClient(server.url, TOKEN, backoff_s=0.01, **options)


def test_pages_follow_next_token_and_exclude_retweets(server):
    pages = list(client(server).search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1), page_size=20))
    tweets = [t for p in pages for t in p.get("data", [])]
    assert len(pages) > 2 and len({t["id"] for t in tweets}) == len(tweets) > 40
    assert all(p["meta"].get("next_token") for p in pages[:-1]) and "next_token" not in pages[-1]["meta"]
    assert all(t["created_at"][:13] == "2026-11-20T13" for t in tweets)
    assert not any(t["text"].startswith("RT @") for t in tweets)
    users = {u["id"] for p in pages for u in p["includes"]["users"]}
    assert {t["author_id"] for t in tweets} <= users


def test_rate_limits_server_errors_and_malformed_pages_are_retried(server):
    server.faults = {1: "429", 2: "500", 3: "malformed", 5: "503"}
    api = client(server)
    pages = list(api.search_recent("(sports) -is:retweet", HOUR, HOUR + timedelta(hours=1), page_size=50))
    assert pages and all("meta" in page for page in pages)
    kinds = [kind for kind, _ in api.waits]
    assert kinds[0] == "rate_limit" and kinds.count("retry") == 3
    assert 0 <= api.waits[0][1] <= 1.5  # waited for x-rate-limit-reset, not longer


def test_persistent_failures_and_bad_tokens_raise_clear_errors(server):
    server.faults = {n: "500" for n in range(1, 20)}
    with pytest.raises(XApiError, match="failed after 2 retries"):
        list(client(server, max_retries=2).search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
    server.faults = {}
    with pytest.raises(XApiError, match="HTTP 401") as error:
        list(XApiClient(server.url, "wrong").search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
    assert "wrong" not in str(error.value)


def test_the_request_budget_stops_the_run_and_keeps_what_was_landed(server, lake):
    counts = land_x_api_hour(lake, HOUR, client(server, max_requests=3), ["tech", "sports"])
    assert counts["budget_exhausted"] and counts["requests"] == 3


def test_x_api_hour_lands_and_cleanses_like_any_source(server, lake, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    source = XApiSource(base_url=server.url, topics="tech,climate", bearer_token=TOKEN)
    result = materialize(
        [landed_batches, raw_images, cleaned_posts],
        partition_key=PARTITION,
        resources={"storage": lake, "source": source, "spark": SparkEngine()},
    )
    assert result.success
    landed = [k for k in lake.list_keys(landing_prefix("posts", HOUR))]
    assert landed == [
        f"{landing_prefix('posts', HOUR)}x_api-climate.jsonl",
        f"{landing_prefix('posts', HOUR)}x_api-tech.jsonl",
    ]
    assert lake.list_keys("landing/x_api/2026/11/20/13/")  # the raw pages, as received
    posts = lake.read_parquet(dataset_key("cleaned_posts", HOUR))
    assert set(posts["topic"]) == {"tech", "climate"} and (posts["source"] == "x_api").all()
    assert posts.filter(pl.col("has_image")).height > 5
    images = lake.read_parquet(dataset_key("raw_images", HOUR))
    assert images.height > 5 and images["image_key"].str.starts_with("landing/images/").all()
    for key in landed:
        assert TOKEN not in lake.read_bytes(key).decode()
    first = orjson.loads(lake.read_bytes(landed[0]).splitlines()[0])
    assert {"id", "author_id", "created_at", "text", "lang", "like_count"} <= set(first)
    again = materialize([landed_batches], partition_key=PARTITION, resources={"storage": lake, "source": source})
    assert again.success and lake.list_keys(landing_prefix("posts", HOUR)) == landed  # re-landing replaces


def test_mockfeed_command_serves_the_x_api(tmp_path):
    import subprocess
    import sys

    from sentiment_platform_tests.conftest import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sentiment_platform.cli.main", "mockfeed", "--serve", "x-api", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = XApiClient(f"http://127.0.0.1:{port}", "any", backoff_s=0.2, max_retries=30)
        pages = list(api.search_recent("(travel) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
        assert pages[0]["data"] and pages[0]["data"][0]["id"].startswith("p")
    finally:
        process.terminate()
        process.wait(timeout=10)


# Hostile pages and headers: each is a whole answer the mock server gives for one request number.
WRONG_SHAPES = {
    "a list": b"[]",
    "meta a string": b'{"data": [], "meta": "nope"}',
    "referenced_tweets of strings": b'{"data": [{"id": "1", "text": "x", "referenced_tweets": ["2"]}], "meta": {}}',
    "a tweet without an id": b'{"data": [{"text": "x"}], "meta": {}}',
    "users not a list": b'{"data": [], "includes": {"users": {"id": "1"}}, "meta": {}}',
    "next_token a number": b'{"data": [], "meta": {"next_token": 5}}',
}


@pytest.mark.parametrize("shape", sorted(WRONG_SHAPES))
def test_a_page_of_the_wrong_shape_fails_its_topic_and_the_others_still_land(server, lake, shape):
    server.faults = {1: (200, {}, WRONG_SHAPES[shape])}
    counts = land_x_api_hour(lake, HOUR, client(server), ["tech", "sports"], now=lambda: HOUR)
    assert [failure.split(":")[0] for failure in counts["failed_topics"]] == ["tech"]
    assert " is not " in counts["failed_topics"][0] or " has no " in counts["failed_topics"][0]  # says what
    assert lake.list_keys(landing_prefix("posts", HOUR)) == [f"{landing_prefix('posts', HOUR)}x_api-sports.jsonl"]
    assert server.requests.count("/2/tweets/search/recent") >= 2  # not retried as if it were a network fault


@pytest.mark.parametrize("reset", ["soon", "nan", "inf", "", "1e400"])
def test_a_rate_limit_reset_that_is_not_a_number_waits_a_bounded_default(server, reset):
    server.faults = {1: (429, {"x-rate-limit-reset": reset}, b"{}")}
    api = client(server, default_rate_wait_s=7.0, sleep=lambda s: None)
    assert list(api.search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
    assert api.waits[0] == ("rate_limit", 7.0)


def test_a_reset_far_in_the_future_ends_the_topic_as_rate_limited_without_sleeping(server, lake):
    slept = []
    far = str(int(HOUR.timestamp()) + 6 * 3600)
    server.faults = {1: (429, {"x-rate-limit-reset": far}, b"{}")}
    api = client(server, sleep=slept.append, now=lambda: HOUR.timestamp(), max_wait_s=60)
    counts = land_x_api_hour(lake, HOUR, api, ["tech", "sports"], now=lambda: HOUR)
    assert [entry.split(":")[0] for entry in counts["rate_limited_topics"]] == ["tech"]
    assert slept == [] and counts["posts"] > 0  # sports still landed, and nobody slept for hours
    # Many short waits spend the budget too: the pull never sleeps past it in total.
    done = len(server.requests)
    soon = (429, {"x-rate-limit-reset": str(int(HOUR.timestamp()) + 20)}, b"{}")
    server.faults = {done + n: soon for n in range(1, 30)}
    api = client(server, sleep=slept.append, now=lambda: HOUR.timestamp(), max_wait_s=60, max_retries=20)
    with pytest.raises(XApiError, match="wait budget"):
        list(api.search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
    assert sum(slept) <= 60


def test_media_get_no_token_and_urls_that_are_not_http_are_never_opened(server, lake):
    from sentiment_platform_tests.sources.hostile_server import HostileServer

    media_host = HostileServer().start()
    try:
        page = {
            "data": [
                {
                    "id": "t1",
                    "author_id": "u1",
                    "created_at": "2026-11-20T13:05:00Z",
                    "text": "a view",
                    "attachments": {"media_keys": ["m1", "m2", "m3", "m4"]},
                },
            ],
            "includes": {
                "users": [{"id": "u1", "username": "someone"}],
                "media": [
                    {"media_key": "m1", "type": "photo", "url": "file:///etc/passwd"},
                    {"media_key": "m2", "type": "photo", "url": f"{media_host.url}/ok"},
                    {"media_key": "m3", "type": "photo", "url": f"{media_host.url}/endless"},
                    {"media_key": "m4", "type": "photo", "url": f"{server.url}/media/missing.jpg"},
                ],
            },
            "meta": {},
        }
        server.faults = {1: (200, {}, orjson.dumps(page))}
        counts = land_x_api_hour(lake, HOUR, client(server), ["tech"], now=lambda: HOUR)
    finally:
        media_host.stop()
    assert counts["media_failed"] == {"http_404": 1, "invalid_url": 1, "too_large": 1}
    # The token went to the API's search and to none of the media, not even the API host's own.
    assert media_host.authorizations("/ok") == [None] and media_host.authorizations("/endless") == [None]
    result = materialize([raw_images], partition_key=PARTITION, resources={"storage": lake})
    assert result.success
    from sentiment_platform.lib.lake_layout import quarantine_prefix

    rejected = [
        orjson.loads(line)
        for line in lake.read_bytes(quarantine_prefix("images", HOUR) + "rejected.jsonl").splitlines()
    ]
    reasons = {item["image_key"]: item["reason"] for item in rejected}
    assert reasons["file:///etc/passwd"] == "invalid_url"
    assert reasons[f"{server.url}/media/missing.jpg"] == "not_downloaded"


def test_an_hour_a_rate_limit_cut_short_is_pulled_again_by_the_next_tick(server, lake):
    from datetime import datetime

    from dagster import build_schedule_context, instance_for_test

    from sentiment_platform.definitions import build_definitions
    from sentiment_platform.defs.ingestion.hourly_pull import hourly_pull_schedule

    repository = build_definitions().get_repository_def()
    server.faults = {1: (429, {"x-rate-limit-reset": "9999999999"}, b"{}")}  # a reset centuries away
    source = XApiSource(base_url=server.url, topics="tech,climate", bearer_token=TOKEN)
    with instance_for_test() as instance:
        result = materialize(
            [landed_batches], partition_key=PARTITION, resources={"storage": lake, "source": source}, instance=instance
        )
        assert result.success
        pulled = [
            m for m in result.asset_materializations_for_node("landed_batches") if m.asset_key.path == ["raw_posts"]
        ]
        assert pulled[0].metadata["rate_limited_topics"].value == 1
        assert [t.split(":")[0] for t in pulled[0].metadata["pulled"].value["rate_limited_topics"]] == ["tech"]
        tick = datetime(2026, 11, 20, 16, 1, tzinfo=HOUR.tzinfo)
        requests = hourly_pull_schedule.evaluate_tick(
            build_schedule_context(scheduled_execution_time=tick, instance=instance, repository_def=repository)
        ).run_requests
        assert [r.partition_key for r in requests] == ["2026-11-20-15:00", PARTITION]
        # Pulled again without the limit: the hour no longer asks for another pull.
        server.faults = {}
        assert materialize(
            [landed_batches], partition_key=PARTITION, resources={"storage": lake, "source": source}, instance=instance
        ).success
        requests = hourly_pull_schedule.evaluate_tick(
            build_schedule_context(scheduled_execution_time=tick, instance=instance, repository_def=repository)
        ).run_requests
        assert [r.partition_key for r in requests] == ["2026-11-20-15:00"]


def test_topics_become_one_safe_file_name_each():
    from sentiment_platform.sources.x_api_client import topic_file_name

    names = {
        topic: topic_file_name(topic) for topic in ("tech", "climate change", "#ai", "a/b", "../../etc", "ü" * 300)
    }
    assert names["tech"] == "tech"
    assert len(set(names.values())) == len(names)
    assert all("/" not in name and name not in (".", "..") and len(name.encode()) <= 64 for name in names.values())


def test_a_search_that_trickles_is_cut_off_at_the_deadline_and_retried_within_budget():
    import time

    from sentiment_platform_tests.sources.hostile_server import HostileServer

    slow = HostileServer().start()
    try:
        # Under /trickle/ every path (the search's among them) answers a byte every 0.2 s.
        api = XApiClient(f"{slow.url}/trickle", TOKEN, timeout_s=1.0, max_retries=1, backoff_s=0.01)
        started = time.monotonic()
        with pytest.raises(XApiError, match="deadline_exceeded"):
            list(api.search_recent("(tech) -is:retweet", HOUR, HOUR + timedelta(hours=1)))
        assert time.monotonic() - started < 3.5 and api.requests_made == 2
    finally:
        slow.stop()
