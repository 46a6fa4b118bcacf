"""Mastodon's hashtag timelines against a local instance that pages as Mastodon does (``min_id``,
newest first within a page): an hour's statuses land once each, under their tag's topic, with
their HTML made text; a rate limit or a page of the wrong shape ends that timeline only."""

from datetime import UTC, datetime, timedelta

import orjson

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.sources.http_client import HttpClient
from sentiment_platform.sources.live.mastodon import hour_min_id, land_mastodon_hour
from sentiment_platform_tests.sources.live.wire_server import WireServer

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)


def status(minute: float, text: str, number: int) -> dict:
    """A status as Mastodon's REST API gives it; its id is made from its time, as Mastodon makes it."""
    created = HOUR + timedelta(minutes=minute)
    local_id = str((int(created.timestamp() * 1000) << 16) + number)
    return {
        "id": local_id,
        "uri": f"https://example.social/users/u{number % 3}/statuses/{local_id}",
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "content": f"<p>{text} <a href='https://example.social/tags/climate' class='mention hashtag'>"
        "#<span>climate</span></a></p>",
        "language": "en",
        "account": {"id": str(number % 3), "acct": f"u{number % 3}", "url": f"https://example.social/@u{number % 3}"},
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": number,
        "media_attachments": [],
        "reblog": None,
        "in_reply_to_id": None,
    }


def timeline(statuses: list[dict]):
    """The tag timeline: the ``limit`` statuses just above ``min_id``, newest first."""
    ordered = sorted(statuses, key=lambda s: int(s["id"]))

    def answer(query: dict[str, str]):
        after = [s for s in ordered if int(s["id"]) > int(query.get("min_id", "0"))][: int(query.get("limit", 20))]
        return 200, "application/json", orjson.dumps(list(reversed(after)))

    return answer


def test_an_hour_of_a_tag_timeline_lands_once_each_paged_by_min_id(lake):
    statuses = [status(-5, "before the hour", 1)] + [status(m * 0.5, f"post {m}", m + 10) for m in range(100)]
    statuses += [status(70, "after the hour", 2)]
    routes = {
        "/api/v1/timelines/tag/climate": timeline(statuses),
        "/api/v1/timelines/tag/heatwave": timeline(statuses[10:20]),  # the same statuses under a second tag
        "/api/v1/timelines/tag/broken": (200, "application/json", b'{"error": "not a list"}'),
        "/api/v1/timelines/tag/limited": (429, "application/json", b'{"error": "Too many requests"}'),
    }
    with WireServer(routes) as server:
        client = HttpClient()
        try:
            counts = land_mastodon_hour(
                lake, HOUR, client, [server.url], {"climate": ["#climate", "heatwave", "broken", "limited"]}
            )
        finally:
            client.close()
        first_page = [path for path in server.seen if path.startswith("/api/v1/timelines/tag/climate")][0]
    assert f"min_id={hour_min_id(HOUR)}" in first_page and "limit=40" in first_page
    assert counts["posts"] == counts["statuses"] == 100
    assert sorted(counts["failed_timelines"]) == [
        f"{server.url} #broken: page_of_wrong_shape",
        f"{server.url} #limited: rate_limited",
    ]
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    cleaned = clean_posts(files, hour=HOUR).cleaned
    assert cleaned.height == 100 and cleaned["post_id"].n_unique() == 100
    assert set(cleaned["topic"]) == {"climate"} and cleaned["text"][0].startswith("post ")
    assert cleaned["hashtags"][0].to_list() == ["climate"] and cleaned["post_id"][0].startswith(
        "mastodon:https://example.social/"
    )


def test_images_download_into_the_landing_zone_and_hostile_ones_keep_their_url_and_reason(lake):
    import io

    from PIL import Image

    from sentiment_platform.lib.cleansing.image_validation import ImageRules

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
    media = [
        {"id": "m1", "type": "image", "url": "{server}/media/ok.png", "description": "a red square"},
        {"id": "m2", "type": "image", "url": "{server}/media/huge.png"},
        {"id": "m3", "type": "image", "url": "file:///etc/passwd"},
        {"id": "m4", "type": "video", "url": "{server}/media/clip.mp4"},
    ]
    with_media = status(10, "look at this", 7)
    routes = {
        "/media/ok.png": (200, "image/png", picture.getvalue()),
        "/media/huge.png": (200, "image/png", b"\x89PNG" + b"0" * (ImageRules().max_bytes + 2 * 1024 * 1024)),
    }
    with WireServer(routes) as server:
        with_media["media_attachments"] = [{**m, "url": m["url"].replace("{server}", server.url)} for m in media]
        server.routes["/api/v1/timelines/tag/climate"] = timeline([with_media])
        client = HttpClient()
        try:
            counts = land_mastodon_hour(lake, HOUR, client, [server.url], {"climate": ["climate"]})
        finally:
            client.close()
    assert counts["images"] == 1 and counts["media_failed"] == {"too_large": 1, "invalid_url": 1}
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    post = clean_posts(files, hour=HOUR).cleaned.row(0, named=True)
    landed, huge, hostile = post["image_keys"]  # the video is not an image
    assert landed.startswith("landing/images/") and lake.read_bytes(landed) == picture.getvalue()
    assert huge.endswith("/media/huge.png") and hostile == "file:///etc/passwd"  # raw_images quarantines both
