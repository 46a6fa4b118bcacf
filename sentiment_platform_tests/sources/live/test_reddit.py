"""Reddit against a local token endpoint and a local API that answer as Reddit's do: the app's key
goes only to the token endpoint and the token only to the API; an hour of new submissions and
comments lands under the configured topic; removed comments and `more` stubs are not posts."""

from datetime import UTC, datetime, timedelta

import orjson

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.sources.live.reddit import RedditApp, land_reddit_hour
from sentiment_platform_tests.sources.live.wire_server import WireServer

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)


def thing(kind: str, number: int, minute: float, **data) -> dict:
    created = (HOUR + timedelta(minutes=minute)).timestamp()
    base = {
        "id": f"k{number}",
        "name": f"{kind}_k{number}",
        "created_utc": created,
        "subreddit": "Flights",
        "author": f"user{number % 4}",
        "author_fullname": f"t2_u{number % 4}",
        "ups": number,
    }
    if kind == "t3":
        base |= {"title": f"Delayed flight number {number}", "selftext": "Again &amp; again.", "num_comments": 2}
    else:
        base |= {"body": f"Same **here**, number {number}", "parent_id": "t3_k1"}
    return {"kind": kind, "data": base | data}


def listing(things: list[dict]):
    """Newest first, 100 a page, ``after`` naming the last of the page."""
    ordered = sorted(things, key=lambda t: -t["data"]["created_utc"])

    def answer(query: dict[str, str]):
        start = 0
        if "after" in query:
            start = next(i for i, t in enumerate(ordered) if t["data"]["name"] == query["after"]) + 1
        page = ordered[start : start + int(query.get("limit", 25))]
        after = page[-1]["data"]["name"] if start + len(page) < len(ordered) else None
        return 200, "application/json", orjson.dumps({"kind": "Listing", "data": {"after": after, "children": page}})

    return answer


def test_an_hour_of_a_subreddit_lands_under_its_topic_and_the_key_and_token_stay_home(lake):
    submissions = [thing("t3", n, n * 0.4) for n in range(150)] + [thing("t3", 999, -30)]
    comments = [thing("t1", 500 + n, n) for n in range(10)] + [
        thing("t1", 600, 5, body="[removed]"),
        {
            "kind": "more",
            "data": {"count": 3, "children": ["a", "b"], "created_utc": (HOUR + timedelta(minutes=9)).timestamp()},
        },
    ]
    token = WireServer(
        {"/api/v1/access_token": (200, "application/json", b'{"access_token": "tok-123", "expires_in": 86400}')}
    )
    api = WireServer({"/r/flights/new": listing(submissions), "/r/flights/comments": listing(comments)})
    with token, api:
        app = RedditApp("app-id", "app-secret", token_url=f"{token.url}/api/v1/access_token", api_url=api.url)
        counts = land_reddit_hour(lake, HOUR, app, {"travel": ["flights"]})
    assert token.bodies == [b"grant_type=client_credentials"]
    assert token.headers[0][1]["authorization"].startswith("Basic ")
    assert {headers.get("authorization") for _, headers in api.headers} == {"bearer tok-123"}
    assert all("app-secret" not in str(headers) for _, headers in api.headers)
    assert counts["failed_listings"] == [] and counts["posts"] == 160
    assert counts["refused"] == {"removed_content": 1, "not_a_post": 1}
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    cleaned = clean_posts(files, hour=HOUR).cleaned
    assert cleaned.height == 160 and set(cleaned["topic"]) == {"travel"} and set(cleaned["source"]) == {"reddit"}
    comment = cleaned.filter(cleaned["post_id"] == "t1_k500").row(0, named=True)
    assert comment["text"] == "Same here, number 500" and comment["in_reply_to_id"] == "t3_k1"


def test_a_refused_key_is_reported_and_nothing_lands(lake):
    token = WireServer({"/api/v1/access_token": (401, "application/json", b'{"error": "invalid_grant"}')})
    with token:
        app = RedditApp("id", "wrong", token_url=f"{token.url}/api/v1/access_token", api_url="http://127.0.0.1:9")
        counts = land_reddit_hour(lake, HOUR, app, {"travel": ["flights"]})
    assert counts["failed_listings"] == ["token: token_status_401"] and lake.list_keys("landing/") == []
