"""The REST API served by uvicorn on 127.0.0.1 over the warehouse built from three mock hours."""

import threading
import time
from datetime import timedelta

import httpx
import polars as pl
import pytest
import uvicorn

from sentiment_platform.api import create_app
from sentiment_platform_tests.conftest import HOUR, HOURS, free_port

pytestmark = pytest.mark.integration


def serve(warehouse, storage=None):
    server = uvicorn.Server(
        uvicorn.Config(create_app(warehouse, storage), host="127.0.0.1", port=free_port(), log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="module")
def api(built):
    server, thread = serve(built["warehouse"], built["storage"])
    with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=10) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=5)


def test_health_topics_and_openapi(api):
    health = api.get("/health").json()
    assert health["status"] == "ok" and {"sentiment_trends_15m", "posts", "hashtag_trends"} <= set(health["tables"])
    topics = api.get("/topics").json()
    assert {"tech", "sports", "politics"} <= {t["topic"] for t in topics}
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/trends", "/hashtags/trending", "/posts/{post_id}", "/users/{user_id}/sentiment"} <= set(paths)


def test_trends_at_three_granularities_add_up(api, built):
    params = {"start": HOURS[0].isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat(), "topic": "tech"}
    fine = api.get("/trends", params={**params, "window": "15m"}).json()["rows"]
    hourly = api.get("/trends", params={**params, "window": "1h"}).json()["rows"]
    daily = api.get("/trends", params={**params, "window": "1d"}).json()["rows"]
    assert len(fine) == 12 and len(hourly) == 3 and len(daily) == 1
    assert sum(r["posts"] for r in fine) == sum(r["posts"] for r in hourly) == daily[0]["posts"]
    posts = built["warehouse"].query("SELECT * FROM posts WHERE topic = 'tech'")
    assert daily[0]["posts"] == posts.height
    assert daily[0]["mean_score"] == pytest.approx(posts["post_score"].mean(), abs=1e-6)
    first_hour = posts.filter(pl.col("created_at") < HOURS[1])
    assert hourly[0]["negative"] == (first_hour["post_label"] == "negative").sum()
    assert hourly[0]["window_start"].startswith(HOURS[0].strftime("%Y-%m-%dT%H:00"))


def test_trends_of_one_language_and_the_languages_add_up_to_all_posts(api, built):
    params = {"start": HOURS[0].isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat(), "window": "1d"}
    languages = api.get("/languages", params=params).json()["rows"]
    posts = built["warehouse"].query("SELECT lang, sentiment FROM posts")
    assert {row["lang"]: row["posts"] for row in languages} == dict(posts.group_by("lang").len().iter_rows())
    french = api.get("/trends", params={**params, "lang": "fr", "topic": "tech"}).json()
    assert french["lang"] == "fr" and {row["lang"] for row in french["rows"]} == {"fr"}
    tech_fr = built["warehouse"].query("SELECT post_label FROM posts WHERE lang = 'fr' AND topic = 'tech'")
    assert french["rows"][0]["posts"] == tech_fr.height > 0
    assert french["rows"][0]["negative"] == (tech_fr["post_label"] == "negative").sum()
    assert api.get("/trends", params={**params, "lang": "FR!"}).status_code == 422


def test_pagination_says_the_total_and_the_next_offset(api):
    params = {"start": HOURS[0].isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}
    everything = api.get("/trends", params=params).json()
    total = everything["total"]
    assert total == everything["count"] == len(everything["rows"]) > 10 and everything["next_offset"] is None
    page = api.get("/trends", params={**params, "limit": 5, "offset": 5}).json()
    assert page["count"] == 5 and page["rows"] == everything["rows"][5:10]
    assert page["total"] == total and page["next_offset"] == 10
    last = api.get("/trends", params={**params, "limit": 5, "offset": total - 2}).json()
    assert last["count"] == 2 and last["next_offset"] is None
    past = api.get("/trends", params={**params, "offset": total + 10}).json()
    assert past["count"] == 0 and past["total"] == total and past["next_offset"] is None
    assert api.get("/trends", params={**params, "limit": 100000}).status_code == 422


def test_trends_default_to_the_24_hours_up_to_now(built):
    from fastapi.testclient import TestClient

    now = HOUR + timedelta(hours=1)
    with TestClient(create_app(built["warehouse"], clock=lambda: now)) as client:
        body = client.get("/trends", params={"window": "1h", "topic": "tech"}).json()
        assert body["end"].startswith(now.strftime("%Y-%m-%dT%H:%M")) and body["rows"]
        assert body["start"].startswith((now - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"))
        assert {row["window_start"][:13] for row in body["rows"]} == {h.strftime("%Y-%m-%dT%H") for h in HOURS}
        # Only an end: the 24 hours up to it; only a start: the 24 hours from it.
        early = client.get("/trends", params={"end": HOURS[1].isoformat(), "window": "1h", "topic": "tech"}).json()
        assert [row["window_start"][:13] for row in early["rows"]] == [HOURS[0].strftime("%Y-%m-%dT%H")]
        late = client.get("/trends", params={"start": HOURS[2].isoformat(), "window": "1d"}).json()
        assert late["end"].startswith((HOURS[2] + timedelta(hours=24)).strftime("%Y-%m-%dT%H"))


def test_latest_posts_by_class_and_alerts(api, built):
    body = api.get("/posts", params={"topic": "tech", "label": "negative", "limit": 3}).json()
    expected = built["warehouse"].query(
        "SELECT count(*) AS n FROM posts WHERE topic = 'tech' AND post_label = 'negative'"
    )
    assert body["total"] == expected["n"][0] > 3 and body["count"] == 3 and body["next_offset"] == 3
    assert {(r["topic"], r["post_label"]) for r in body["rows"]} == {("tech", "negative")}
    times = [r["created_at"] for r in body["rows"]]
    assert times == sorted(times, reverse=True)
    alerts = api.get("/alerts", params={"limit": 5}).json()
    sent = built["warehouse"].query("SELECT count(*) AS n FROM alerts_sent")["n"][0]
    assert alerts["count"] == min(5, sent)
    falling = api.get("/hashtags/trending", params={"falling": "true", "limit": 3}).json()["rows"]
    changes = [r["posts_change_vs_24h"] for r in falling]
    assert changes == sorted(changes)


def test_docs_redoc_and_dashboard_come_from_the_package(api):
    for page, asset in (
        ("/docs", "swagger-ui-bundle.js"),
        ("/redoc", "redoc.standalone.js"),
        ("/dashboard", "vega-lite.min.js"),
    ):
        html = api.get(page).text
        assert f"/static/vendor/{asset}" in html and "cdn" not in html.lower() and "googleapis" not in html
        script = api.get(f"/static/vendor/{asset}")
        assert script.status_code == 200 and len(script.content) > 50_000


@pytest.mark.parametrize(
    "params",
    [
        {"start": "yesterday", "end": "2026-11-20T14:00:00Z"},
        {"start": "2026-11-20T14:00:00Z", "end": "2026-11-20T13:00:00Z"},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-11-20T13:00:00Z"},
        {"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T14:00:00Z", "window": "5m"},
        {"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T14:00:00Z", "topic": "t" * 201},
        {"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T14:00:00Z", "topic": ""},
        {"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T14:00:00Z", "lang": "<img>"},
        {"start": "2026-11-20T14:00:00Z", "end": "2026-11-20T14:00:00Z"},
    ],
)
def test_invalid_parameters_get_clear_4xx_errors(api, params):
    response = api.get("/trends", params=params)
    assert response.status_code == 422 and response.json()["detail"]


def test_a_topic_that_looks_like_sql_is_only_ever_a_value(api, built):
    params = {"start": HOURS[0].isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}
    body = api.get("/trends", params=params | {"topic": "tech'; DROP TABLE posts; --"}).json()
    assert body["rows"] == [] and built["warehouse"].query("SELECT count(*) AS n FROM posts")["n"][0] > 0


def test_trending_hashtags(api, built):
    body = api.get("/hashtags/trending", params={"hours": 1, "limit": 5}).json()
    assert body["count"] == 5
    rows = built["warehouse"].query("SELECT * FROM hashtag_trends WHERE hour = $1", [HOUR])
    best = rows.sort(["posts_change_vs_24h", "posts", "hashtag"], descending=[True, True, False]).row(0, named=True)
    assert body["rows"][0]["hashtag"] == best["hashtag"] and body["rows"][0]["posts"] == best["posts"]
    assert api.get("/hashtags/trending", params={"hours": 0}).status_code == 422
    assert api.get("/hashtags/trending", params={"limit": 1000}).status_code == 422


def test_a_posts_images_are_served_from_the_lake(api, built):
    with_image = built["warehouse"].query("SELECT post_id, image_keys FROM posts WHERE image_count > 0 LIMIT 1")
    [key] = with_image["image_keys"][0][:1]
    assert api.get(f"/posts/{with_image['post_id'][0]}").json()["image_keys"][0] == key
    response = api.get(f"/images/{key.rsplit('/', 1)[1]}")
    assert response.status_code == 200 and response.content == built["storage"].read_bytes(key)
    assert response.headers["content-type"].startswith("image/") and "immutable" in response.headers["cache-control"]
    assert api.get("/images/" + "0" * 64 + ".png").status_code == 404
    assert api.get("/images/..%2F..%2Fwarehouse.duckdb").status_code in (404, 422)
    assert api.get("/images/cleansed.parquet").status_code == 422


def test_posts_and_users(api, built):
    post = built["warehouse"].query("SELECT post_id, author_id, score FROM posts LIMIT 1").row(0, named=True)
    body = api.get(f"/posts/{post['post_id']}").json()
    assert body["post_id"] == post["post_id"] and body["score"] == pytest.approx(post["score"])
    assert api.get("/posts/does-not-exist").status_code == 404
    assert api.get("/posts/bad%20id%3B").status_code == 422
    user = api.get(f"/users/{post['author_id']}/sentiment").json()
    assert user["user_id"] == post["author_id"] and user["posts"] >= 1
    assert user["dominant_sentiment"] in ("negative", "neutral", "positive")
    assert api.get("/users/nobody/sentiment").status_code == 404


def test_the_api_cannot_change_data(built):
    import duckdb

    with built["warehouse"].read() as connection:
        with pytest.raises(duckdb.Error):
            connection.execute("DELETE FROM posts")


def test_missing_warehouse_is_a_503(tmp_path):
    from sentiment_platform.resources.warehouse import Warehouse

    server, thread = serve(Warehouse(database=str(tmp_path / "none.duckdb")))
    try:
        response = httpx.get(f"http://127.0.0.1:{server.config.port}/topics")
        assert response.status_code == 503
        assert httpx.get(f"http://127.0.0.1:{server.config.port}/health").json()["error"] == "unavailable"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_writers_get_through_a_busy_api_and_readers_then_see_their_rows(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from sentiment_platform.resources.warehouse import Warehouse

    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), lock_timeout_s=20)
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE posts AS SELECT 'p1' AS post_id, 0.5 AS score")
    server, thread = serve(warehouse)
    base = f"http://127.0.0.1:{server.config.port}"
    stop = threading.Event()

    def hammer() -> int:
        done = 0
        with httpx.Client(base_url=base, timeout=20) as client:
            while not stop.is_set():
                assert client.get("/posts/p1").status_code == 200
                done += 1
        return done

    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(hammer) for _ in range(8)]
            time.sleep(0.5)
            assert httpx.get(f"{base}/posts/p2").status_code == 404
            for i in range(3):  # each write goes through at once; the API then moves to its snapshot
                started = time.perf_counter()
                with warehouse.write() as connection:
                    connection.execute("INSERT INTO posts VALUES (?, 0.1)", [f"p{i + 2}"])
                assert time.perf_counter() - started < 10
                assert httpx.get(f"{base}/posts/p{i + 2}").status_code == 200
            stop.set()
            assert all(f.result() > 0 for f in futures)
    finally:
        stop.set()
        server.should_exit = True
        thread.join(timeout=5)


def test_an_idle_api_never_holds_up_a_write_and_never_shows_half_of_one(tmp_path):
    from sentiment_platform.resources.warehouse import Warehouse

    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))  # the default 600 s lock timeout
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE posts AS SELECT 'p1' AS post_id, 0.5 AS score")
    server, thread = serve(warehouse)
    base = f"http://127.0.0.1:{server.config.port}"
    try:
        assert httpx.get(f"{base}/posts/p1").status_code == 200  # the API now holds its connection, idle
        started = time.perf_counter()
        with warehouse.write() as connection:
            connection.execute("DELETE FROM posts")
            # Mid-write, readers still see the last committed state, whole.
            assert httpx.get(f"{base}/posts/p1").status_code == 200
            connection.execute("INSERT INTO posts VALUES ('p2', 0.1)")
            assert httpx.get(f"{base}/posts/p2").status_code == 404
        assert time.perf_counter() - started < 5
        assert httpx.get(f"{base}/posts/p1").status_code == 404
        assert httpx.get(f"{base}/posts/p2").status_code == 200
        # A separate reader process sees the same published state.
        assert warehouse.query("SELECT post_id FROM posts")["post_id"].to_list() == ["p2"]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
