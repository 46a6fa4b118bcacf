"""Each network's native JSON, from samples written after the networks' public documentation,
imported and then cleansed as the pipeline would."""

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from sentiment_platform.lib.cleansing.cleaning import clean_posts, clean_users
from sentiment_platform.lib.lake_store import LocalLakeStore
from sentiment_platform.sources.archives.archive_landing import IMPORT_QUARANTINE, import_archives
from sentiment_platform.sources.archives.field_mapping import ImportOptions
from sentiment_platform.sources.archives.formats import FORMATS

SAMPLES = Path(__file__).with_name("samples")
START = datetime(2010, 1, 1, tzinfo=UTC)


def imported(tmp_path, name: str, sample: str, options: ImportOptions = ImportOptions()):
    storage = LocalLakeStore(str(tmp_path / "lake"))
    report = import_archives(storage, [SAMPLES / sample], FORMATS[name], options, START)
    posts = clean_posts([(key, storage.read_bytes(key)) for key in storage.list_keys("landing/posts/")])
    users = clean_users([(key, storage.read_bytes(key)) for key in storage.list_keys("landing/users/")])
    refused = [
        json.loads(line)
        for key in storage.list_keys(IMPORT_QUARANTINE)
        for line in storage.read_bytes(key).splitlines()
    ]
    return report, posts, users, sorted((row["line_no"], row["reason"]) for row in refused)


def by_id(cleaned: pl.DataFrame) -> dict[str, dict]:
    return {row["post_id"]: row for row in cleaned.to_dicts()}


def test_x_v2_pages_and_tweet_objects(tmp_path):
    report, posts, users, refused = imported(tmp_path, "x-v2", "x_v2.jsonl", ImportOptions(topic="travel"))
    rows = by_id(posts.cleaned)
    assert set(rows) == {"1460323737035677698", "1460323737035677699", "1460323737035677701"}
    first = rows["1460323737035677698"]
    assert first["text"] == "Delays again & no updates <sigh> #travel"  # X's entities decoded
    assert first["text_original"].startswith("Delays again &amp; no updates &lt;sigh&gt;")
    assert (first["like_count"], first["repost_count"], first["reply_count"]) == (12, 3, 1)
    assert first["topic"] == "travel" and first["source"] == "x" and first["lang"] == "en"
    assert first["created_at"] == datetime(2021, 11, 15, 19, 8, 5, tzinfo=UTC)
    assert rows["1460323737035677699"]["in_reply_to_id"] == "1460323737035677698"
    assert rows["1460323737035677701"]["text"].startswith("A long post that X keeps in note_tweet")
    assert posts.counts["retweets"] == 1  # referenced as retweeted: counted, not kept
    assert set(users.cleaned["handle"]) == {"XDevelopers", "X"}
    assert users.cleaned.filter(pl.col("handle") == "XDevelopers")["followers_count"].item() == 583201
    assert refused == [(3, "not_a_post:x-v2 object without id and text"), (4, "invalid_json")]
    assert report.rows_in == 6 and report.landed == 4


def test_bluesky_jetstream_events_post_views_and_feed_items(tmp_path):
    report, posts, users, refused = imported(tmp_path, "bluesky", "bluesky.jsonl")
    rows = by_id(posts.cleaned)
    event = rows["at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3l3qo2vuowo2b"]
    assert event["author_id"] == "did:plc:eygmaihciaxprqvxpfvl6flk"
    assert event["in_reply_to_id"] == "at://did:plc:abc/app.bsky.feed.post/3l3qnz"
    assert "&amp;" in event["text"]  # Bluesky's text is plain: nothing to decode
    view = rows["at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3kgbz6zjgv22c"]
    assert (view["like_count"], view["repost_count"], view["reply_count"]) == (300, 20, 4)
    assert "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3kgbz6zjgv22d" in rows
    assert users.cleaned.filter(pl.col("user_id") == "did:plc:z72i7hdynmk6r22z27h6tvur")["name"].item() == "Bluesky"
    assert refused == [
        (2, "not_a_post:bluesky delete of app.bsky.feed.post"),
        (3, "not_a_post:bluesky identity event"),
    ]
    assert report.landed == 3


def test_mastodon_statuses_are_html_made_plain_text(tmp_path):
    _, posts, users, refused = imported(tmp_path, "mastodon", "mastodon.jsonl")
    rows = by_id(posts.cleaned)
    # Ids are the statuses' uris (the same from every instance), prefixed so they meet no other network's.
    original = "mastodon:https://mastodon.social/users/Gargron/statuses/103270115826048975"
    status = rows[original]
    assert status["text"] == "Fish & chips with @user, loving it #food second paragraph"
    assert status["hashtags"] == ["food"] and "script" not in status["text"] and "alert" not in status["text"]
    assert status["source"] == "mastodon" and status["lang"] == "en" and status["lang_source"] == "source"
    assert (status["like_count"], status["repost_count"], status["reply_count"]) == (11, 6, 5)
    reply = rows["mastodon:https://example.org/users/friend/statuses/103270115826048976"]
    assert reply["in_reply_to_id"] == "mastodon:103270115826048975" and reply["lang_source"] == "detected"
    assert len(rows) == 2 and posts.counts["retweets"] == 1  # a reblog
    assert (
        users.cleaned.filter(pl.col("user_id") == "mastodon:friend@example.org")["handle"].item()
        == "friend@example.org"
    )
    assert refused == []


def test_reddit_submissions_comments_and_listings(tmp_path):
    _, posts, users, refused = imported(tmp_path, "reddit", "reddit.jsonl")
    rows = by_id(posts.cleaned)
    assert set(rows) == {"t3_1abcde", "t1_k1", "t1_k3", "t1_k4"}
    submission = rows["t3_1abcde"]
    assert submission["text"] == (
        "Terrible layover & lost luggage Never again. See the thread for details they said it was my fault"
    )
    assert submission["topic"] == "flights" and submission["author_id"] == "t2_9xyz"
    assert submission["created_at"] == datetime.fromtimestamp(1700000000, UTC)
    assert submission["like_count"] == 57 and submission["reply_count"] == 14
    assert rows["t1_k1"]["in_reply_to_id"] == "t3_1abcde" and rows["t1_k3"]["in_reply_to_id"] == "t1_k1"
    assert set(users.cleaned["handle"]) >= {"traveler42", "other"}
    assert refused == [(3, "removed_content"), (5, "not_a_post:reddit more")]


@pytest.mark.parametrize("name", ["x-v2", "bluesky", "mastodon", "reddit"])
def test_native_formats_refuse_what_is_not_their_shape_without_crashing(tmp_path, name):
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_bytes(
        b'[1, 2]\n"a string"\n{}\n{"data": 5}\n{"kind": "t3", "data": {"created_utc": 1e300}}\n'
        b"\xff\xfe not utf-8\n" + b'{"id": "' + b"x" * 100 + b'"}\n'
    )
    storage = LocalLakeStore(str(tmp_path / "lake"))
    report = import_archives(storage, [hostile], FORMATS[name], ImportOptions(), START)
    assert report.landed == 0 and report.refused_rows == report.rows_in == 7
    assert report.refused["invalid_utf8"] == 1
