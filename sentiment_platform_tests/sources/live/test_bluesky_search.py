"""Bluesky's search endpoint against a local AppView that answers as ``searchPosts`` does: an
hour's posts per topic term, paged by ``cursor``, each landed once under its topic."""

from datetime import UTC, datetime, timedelta

import orjson

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.sources.http_client import HttpClient
from sentiment_platform.sources.live.bluesky_search import land_bluesky_hour
from sentiment_platform_tests.sources.live.wire_server import WireServer

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)


def view(number: int, text: str) -> dict:
    did = f"did:plc:author{number % 5}"
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3lp{number:05d}",
        "cid": f"bafy{number}",
        "author": {"did": did, "handle": f"author{number % 5}.bsky.social", "displayName": f"Author {number % 5}"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": (HOUR + timedelta(minutes=number % 60)).isoformat().replace("+00:00", "Z"),
            "langs": ["en"],
        },
        "likeCount": number,
        "repostCount": 0,
        "replyCount": 1,
        "indexedAt": "2026-11-20T13:59:00Z",
    }


def search(views_by_term: dict[str, list[dict]]):
    def answer(query: dict[str, str]):
        assert query["since"] == "2026-11-20T13:00:00Z" and query["until"] == "2026-11-20T14:00:00Z"
        found = views_by_term.get(query["q"], [])
        start = int(query.get("cursor", "0"))
        page = found[start : start + int(query["limit"])]
        more = start + len(page) < len(found)
        body = {"posts": page, "hitsTotal": len(found)} | ({"cursor": str(start + len(page))} if more else {})
        return 200, "application/json", orjson.dumps(body)

    return answer


def test_an_hours_search_results_land_once_under_their_topic(lake):
    heat = [view(n, f"heatwave update {n}") for n in range(130)]
    routes = {
        "/xrpc/app.bsky.feed.searchPosts": search({"heatwave": heat, "#climate": heat[:30], "boom": [{"uri": 5}]}),
    }
    with WireServer(routes) as server:
        client = HttpClient()
        try:
            counts = land_bluesky_hour(
                lake,
                HOUR,
                client,
                {"climate": ["heatwave", "#climate", "boom"]},
                url=f"{server.url}/xrpc/app.bsky.feed.searchPosts",
            )
        finally:
            client.close()
    assert counts["found"] == 131 and counts["posts"] == 130  # the malformed view is refused, with its reason
    assert counts["refused"] == {"not_a_post": 1}
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    cleaned = clean_posts(files, hour=HOUR).cleaned
    assert cleaned.height == 130 and set(cleaned["topic"]) == {"climate"} and set(cleaned["source"]) == {"bluesky"}
    assert cleaned["post_id"].str.starts_with("at://did:plc:author").all()
