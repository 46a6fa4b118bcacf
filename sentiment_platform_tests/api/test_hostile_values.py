"""The API over a warehouse the real graph built from hostile and Unicode values: every value the
pipeline keeps is a parameter that works, images that are not files are 404s, answers that depend
on the clock follow it, and the answer cache stays within its bytes."""

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sentiment_platform.api import create_app
from sentiment_platform.api.snapshot_cache import SnapshotCache
from sentiment_platform_tests.conftest import HOSTILE_TOPICS, HOUR, SCRIPT_BREAKOUT

pytestmark = pytest.mark.materialize

RANGE = {"start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}


@pytest.fixture(scope="module")
def client(hostile_built):
    with TestClient(create_app(hostile_built["warehouse"], hostile_built["storage"])) as client:
        yield client


@pytest.mark.parametrize("topic", HOSTILE_TOPICS)
def test_every_topic_the_pipeline_keeps_works_as_a_parameter(client, topic):
    assert topic in {row["topic"] for row in client.get("/topics").json()}
    trends = client.get("/trends", params=RANGE | {"topic": topic})
    assert trends.status_code == 200 and sum(row["posts"] for row in trends.json()["rows"]) == 30
    assert {row["topic"] for row in trends.json()["rows"]} == {topic}
    posts = client.get("/posts", params={"topic": topic, "limit": 5}).json()
    assert posts["total"] == 30 and {row["topic"] for row in posts["rows"]} == {topic}
    by_language = client.get("/trends", params=RANGE | {"topic": topic, "lang": "en", "window": "1h"}).json()
    assert by_language["rows"][0]["posts"] == 30  # the hostile `lang` values were detected, not kept
    assert client.get("/alerts", params={"topic": topic}).status_code == 200


def test_topics_compare_in_lower_case_and_hashtags_with_or_without_their_sign(client):
    assert client.get("/posts", params={"topic": "Climate Change"}).json()["total"] == 30
    plain = client.get("/posts", params={"hashtag": "fútbol"}).json()
    signed = client.get("/posts", params={"hashtag": "#FÚTBOL"}).json()
    assert plain["total"] == signed["total"] > 0 and all("fútbol" in row["hashtags"] for row in plain["rows"])
    assert client.get("/alerts", params={"topic": SCRIPT_BREAKOUT}).json()["count"] == 1
    longest = "ü" * 200
    assert client.get("/trends", params=RANGE | {"topic": longest}).status_code == 200
    for refused in ({"topic": longest + "ü"}, {"hashtag": "#"}, {"hashtag": "h" * 201}):
        response = client.get("/posts", params=refused)
        assert response.status_code == 422 and response.json()["error"] == "invalid_parameter"


def test_an_image_name_that_is_a_folder_or_a_symlink_is_a_404_in_the_error_shape(client, hostile_built, tmp_path):
    images = Path(hostile_built["storage"].root) / "landing" / "images"
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG not for the API")
    (images / ("a" * 64 + ".png")).symlink_to(outside)
    (images / ("b" * 64 + ".jpg")).mkdir()
    (images / ("c" * 64 + ".png")).symlink_to(images / ("b" * 64 + ".jpg"))
    for name in ("a" * 64 + ".png", "b" * 64 + ".jpg", "c" * 64 + ".png"):
        response = client.get(f"/images/{name}")
        assert response.status_code == 404 and response.json()["error"] == "not_found", name


def test_answers_that_default_to_now_follow_the_clock_past_the_cache(hostile_built):
    now = [HOUR + timedelta(hours=2)]
    app = create_app(hostile_built["warehouse"], clock=lambda: now[0])
    with TestClient(app) as client:
        first = client.get("/trends", params={"window": "1h"}).json()
        assert first["rows"] and client.get("/trends", params={"window": "1h"}).json() == first
        now[0] += timedelta(days=3)  # the same snapshot, the same request: a later "now"
        later = client.get("/trends", params={"window": "1h"}).json()
        assert later["rows"] == [] and later["end"] > first["end"]
        # Explicit ranges are still answered from the cache.
        client.get("/trends", params=RANGE)
        assert any(key.startswith("/trends?start=") for key in app.state.answer_cache._entries)


def test_the_answer_cache_is_bounded_in_bytes_whatever_the_query_strings(hostile_built):
    app = create_app(hostile_built["warehouse"], cache_bytes=200_000)
    with TestClient(app) as client:
        for index in range(400):  # distinct long query strings, each a valid request
            topic = f"{index:04d}" + "x" * 190
            assert client.get("/posts", params={"topic": topic, "limit": 1}).status_code == 200
    cache = app.state.answer_cache
    assert 0 < cache.size_bytes <= 200_000 and 0 < len(cache) < 400


def test_the_snapshot_cache_counts_keys_and_answers_and_keeps_no_oversized_answer():
    cache = SnapshotCache(max_entries=100, max_bytes=2000)
    cache.get("v1", "warm")  # adopt the snapshot
    cache.put("v1", "k" * 10, b"a" * 300)
    assert cache.size_bytes == 310
    cache.put("v1", "big", b"b" * 498)  # over a quarter of the bound: not kept
    assert cache.get("v1", "big") is None and cache.size_bytes == 310
    for index in range(10):
        cache.put("v1", f"key{index}", b"c" * 200)
    assert cache.size_bytes <= 2000 and cache.get("v1", "key9") == b"c" * 200 and cache.get("v1", "k" * 10) is None


def test_a_parameter_that_is_not_utf8_is_refused_not_dropped(client):
    for query in ("topic=%ED%A0%80", "hashtag=%FF", "topic=tech&lang=%C3"):
        response = client.get(f"/posts?{query}")
        assert response.status_code == 422 and response.json()["error"] == "invalid_parameter", query
    assert client.get("/posts?topic=f%C3%BAtbol").json()["total"] == 30
